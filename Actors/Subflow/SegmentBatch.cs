namespace MptcpActors.Actors.Subflow;

/// <summary>
/// The TCP segments for one subflow out of one receive batch of its device, back to back in one buffer: one message per
/// subflow per batch instead of an array and a message per segment. Batches are pooled: the I/O thread rents one,
/// the subflow feeds every segment to its core and gives it back with <see cref="Release"/>; a batch that never comes
/// back (its subflow had stopped) is left to the GC.
/// </summary>
public sealed class SegmentBatch
{
    private const int PoolLimit = 256;
    // A batch whose buffer grew past this (64 KiB GSO frames from a kernel peer) is left to the GC rather than pooled:
    // the pool's memory stays bounded whatever the traffic was.
    private const int RetainedBufferLimit = 1 << 20;
    // Last in, first out: the batch given back most recently (the one already grown to the traffic's size, warm in the
    // cache) is the next one rented. A FIFO queue would cycle through every pooled batch, growing each in turn.
    private static readonly Stack<SegmentBatch> Pool = new();
    private byte[] _bytes = new byte[16 * 1024];
    private (int Offset, int Length)[] _segments = new (int, int)[64];
    private int _used;

    private SegmentBatch()
    {
    }

    public int Count { get; private set; }

    public ReadOnlySpan<byte> this[int i] => _bytes.AsSpan(_segments[i].Offset, _segments[i].Length);

    /// <summary>An empty batch, from the pool when one is there.</summary>
    public static SegmentBatch Rent()
    {
        lock (Pool)
        {
            if (Pool.TryPop(out var batch)) return batch;
        }
        return new SegmentBatch();
    }

    /// <summary>Copies a segment in (the buffer grows, once, when a batch outgrows it).</summary>
    public void Add(ReadOnlySpan<byte> segment)
    {
        if (_used + segment.Length > _bytes.Length) Array.Resize(ref _bytes, Math.Max(2 * _bytes.Length, _used + segment.Length));
        if (Count == _segments.Length) Array.Resize(ref _segments, 2 * Count);
        segment.CopyTo(_bytes.AsSpan(_used));
        _segments[Count++] = (_used, segment.Length);
        _used += segment.Length;
    }

    /// <summary>Empties the batch and returns it to the pool; the caller must not touch it afterwards.</summary>
    public void Release()
    {
        Count = 0;
        _used = 0;
        if (_bytes.Length > RetainedBufferLimit) return;
        lock (Pool)
        {
            if (Pool.Count < PoolLimit) Pool.Push(this);
        }
    }
}
