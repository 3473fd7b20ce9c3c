namespace MptcpActors.Actors.Tcp;

/// <summary>
/// A ring of bytes of a fixed logical capacity: appended at the tail, consumed at the head, read anywhere in between
/// without copying out twice. Memory follows use: the backing array starts small and doubles (up to the capacity) only
/// when data needs the room, so a thousand idle connections with megabyte windows cost kilobytes each. Growing moves
/// the head to slot 0 (a caller keeping its own slot arithmetic beside the ring grows through <see cref="Reserve"/>).
/// </summary>
public sealed class ByteRing
{
    private const int InitialSize = 16 * 1024;
    private byte[] _buffer;
    private int _head;

    public ByteRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _buffer = new byte[Math.Min(capacity, InitialSize)];
    }

    /// <summary>The most bytes the ring holds (its logical size, whatever is allocated now).</summary>
    public int Capacity { get; }
    public int Count { get; private set; }
    public int Free => Capacity - Count;
    /// <summary>Bytes allocated now.</summary>
    public int Allocated => _buffer.Length;

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
        if (offset + data.Length > _buffer.Length) Grow(offset + data.Length);
        var start = (_head + offset) % _buffer.Length;
        var first = Math.Min(data.Length, _buffer.Length - start);
        data[..first].CopyTo(_buffer.AsSpan(start));
        data[first..].CopyTo(_buffer);
    }

    /// <summary>Allocates room for <paramref name="size"/> bytes from the head now (moving the head to slot 0 if it grows).</summary>
    public void Reserve(int size)
    {
        if (size > _buffer.Length) Grow(size);
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

    /// <summary>
    /// Moves the head past <paramref name="n"/> slots while the ring is empty: bytes that were never written here (a
    /// reader took them elsewhere) and that slots beyond Count, written already, now follow.
    /// </summary>
    public void Skip(int n)
    {
        if (Count != 0 || n > _buffer.Length) throw new InvalidOperationException($"cannot skip {n} slots with {Count} bytes readable in {_buffer.Length}");
        _head = (_head + n) % _buffer.Length;
    }

    /// <summary>Reads and consumes up to destination.Length bytes.</summary>
    public int Read(Span<byte> destination)
    {
        var n = Math.Min(destination.Length, Count);
        Peek(0, destination[..n]);
        Consume(n);
        return n;
    }

    /// <summary>A larger array holding every slot in order from the head (bytes written beyond Count included).</summary>
    private void Grow(int needed)
    {
        if (needed > Capacity) throw new ArgumentOutOfRangeException(nameof(needed), "beyond the ring's capacity");
        var size = _buffer.Length;
        while (size < needed) size = (int)Math.Min((long)size * 2, Capacity);
        var grown = new byte[size];
        _buffer.AsSpan(_head).CopyTo(grown);
        _buffer.AsSpan(0, _head).CopyTo(grown.AsSpan(_buffer.Length - _head));
        _buffer = grown;
        _head = 0;
    }
}
