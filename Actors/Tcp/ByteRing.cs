using System.Buffers;
using System.Numerics;

namespace MptcpActors.Actors.Tcp;

/// <summary>
/// A ring of bytes of a fixed logical capacity: appended at the tail, consumed at the head, read anywhere in between
/// without copying out twice. Memory follows use: no array until data needs one, then a small one that doubles (up to
/// the capacity) only when data needs the room, and given back by <see cref="ReleaseIfEmpty"/> once its owner has
/// nothing left in it — so a hundred thousand idle connections with megabyte windows cost no buffer at all. Arrays of
/// a power-of-two size come from and go back to the shared pool (a trickle of data rents and returns the same few),
/// cleared when rented: slots never written read as zero. Growing moves the head to slot 0 (a caller keeping its own
/// slot arithmetic beside the ring grows through <see cref="Reserve"/>).
/// </summary>
public sealed class ByteRing
{
    private const int InitialSize = 16 * 1024;
    private byte[] _buffer = [];
    private int _head;

    public ByteRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
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
        if (data.IsEmpty) return;
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
    public void Extend(int n)
    {
        if (Count + n > _buffer.Length) Grow(Count + n);
        Count += n;
    }

    /// <summary>Copies bytes starting <paramref name="offset"/> from the head into <paramref name="destination"/>.</summary>
    public void Peek(int offset, Span<byte> destination)
    {
        if (_buffer.Length == 0)
        {
            destination.Clear();
            return;
        }
        var start = (_head + offset) % _buffer.Length;
        var first = Math.Min(destination.Length, _buffer.Length - start);
        _buffer.AsSpan(start, first).CopyTo(destination);
        _buffer.AsSpan(0, destination.Length - first).CopyTo(destination[first..]);
    }

    public void Consume(int n)
    {
        if (n > Count) throw new ArgumentOutOfRangeException(nameof(n));
        if (n == 0) return;
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

    /// <summary>
    /// Gives the array back (to the pool when it came from there) if the ring holds nothing. Only its owner knows that
    /// nothing is parked beyond Count either (out-of-order bytes written ahead): it calls this when so.
    /// </summary>
    public void ReleaseIfEmpty()
    {
        if (Count > 0 || _buffer.Length == 0) return;
        Return(_buffer);
        _buffer = [];
        _head = 0;
    }

    /// <summary>A larger array holding every slot in order from the head (bytes written beyond Count included).</summary>
    private void Grow(int needed)
    {
        if (needed > Capacity) throw new ArgumentOutOfRangeException(nameof(needed), "beyond the ring's capacity");
        var size = Math.Max(_buffer.Length, Math.Min(InitialSize, Capacity));
        while (size < needed) size = (int)Math.Min((long)size * 2, Capacity);
        var grown = Rent(size);
        _buffer.AsSpan(_head).CopyTo(grown);
        _buffer.AsSpan(0, _head).CopyTo(grown.AsSpan(_buffer.Length - _head));
        Return(_buffer);
        _buffer = grown;
        _head = 0;
    }

    // The ring's slot count is its array's length: a pooled array must be exactly the size asked (the shared pool hands
    // out powers of two from 16 bytes on, at least the size asked).
    private static byte[] Rent(int size)
    {
        if (size < 16 || !BitOperations.IsPow2(size)) return new byte[size];
        var array = ArrayPool<byte>.Shared.Rent(size);
        if (array.Length != size)
        {
            ArrayPool<byte>.Shared.Return(array);
            return new byte[size];
        }
        Array.Clear(array);
        return array;
    }

    private static void Return(byte[] array)
    {
        if (array.Length >= 16 && BitOperations.IsPow2(array.Length)) ArrayPool<byte>.Shared.Return(array);
    }
}
