namespace MptcpActors.Actors.Tcp;

/// <summary>A fixed-capacity ring of bytes: appended at the tail, consumed at the head, read anywhere in between without copying out twice.</summary>
public sealed class ByteRing(int capacity)
{
    private readonly byte[] _buffer = new byte[capacity];
    private int _head;

    public int Capacity => _buffer.Length;
    public int Count { get; private set; }
    public int Free => _buffer.Length - Count;

    /// <summary>Appends what fits; returns how many bytes were taken.</summary>
    public int Append(ReadOnlySpan<byte> data)
    {
        var n = Math.Min(data.Length, Free);
        Write(Count, data[..n]);
        Count += n;
        return n;
    }

    /// <summary>Writes at <paramref name="offset"/> from the head (inside or at the end of the ring's capacity) without changing Count.</summary>
    public void Write(int offset, ReadOnlySpan<byte> data)
    {
        var start = (_head + offset) % _buffer.Length;
        var first = Math.Min(data.Length, _buffer.Length - start);
        data[..first].CopyTo(_buffer.AsSpan(start));
        data[first..].CopyTo(_buffer);
    }

    /// <summary>Makes <paramref name="n"/> bytes already written past Count part of the content.</summary>
    public void Extend(int n) => Count += n;

    /// <summary>Copies bytes starting <paramref name="offset"/> from the head into <paramref name="destination"/>.</summary>
    public void Peek(int offset, Span<byte> destination)
    {
        var start = (_head + offset) % _buffer.Length;
        var first = Math.Min(destination.Length, _buffer.Length - start);
        _buffer.AsSpan(start, first).CopyTo(destination);
        _buffer.AsSpan(0, destination.Length - first).CopyTo(destination[first..]);
    }

    public void Consume(int n)
    {
        if (n > Count) throw new ArgumentOutOfRangeException(nameof(n));
        _head = (_head + n) % _buffer.Length;
        Count -= n;
    }

    /// <summary>Reads and consumes up to destination.Length bytes.</summary>
    public int Read(Span<byte> destination)
    {
        var n = Math.Min(destination.Length, Count);
        Peek(0, destination[..n]);
        Consume(n);
        return n;
    }
}
