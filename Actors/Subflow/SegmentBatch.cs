namespace MptcpActors.Actors.Subflow;

/// <summary>
/// The TCP segments for one subflow out of one receive batch of its device, back to back in one buffer: one message per
/// subflow per batch instead of an array and a message per segment. Batches come from a <see cref="Pool"/>: the I/O
/// thread rents one, the subflow feeds every segment to its core and gives it back with <see cref="Release"/>; a batch
/// that never comes back (its subflow had stopped) is left to the GC.
/// </summary>
public sealed class SegmentBatch
{
    /// <summary>Bytes after which a batch goes on its way and the next segments start another (bounds what a pool keeps).</summary>
    public const int FullBytes = 256 * 1024;

    // A batch whose buffer grew past this anyway is left to the GC rather than pooled: the pool's memory stays bounded
    // whatever the traffic was.
    private const int RetainedBufferLimit = 1 << 20;

    private readonly Pool _home;
    private byte[] _bytes = new byte[16 * 1024];
    private (int Offset, int Length)[] _segments = new (int, int)[64];
    private int _used;

    private SegmentBatch(Pool home) => _home = home;

    public int Count { get; private set; }

    /// <summary>Whether it holds <see cref="FullBytes"/> or more.</summary>
    public bool IsFull => _used >= FullBytes;

    public ReadOnlySpan<byte> this[int i] => _bytes.AsSpan(_segments[i].Offset, _segments[i].Length);

    /// <summary>Copies a segment in (the buffer grows, once, when a batch outgrows it).</summary>
    public void Add(ReadOnlySpan<byte> segment)
    {
        if (_used + segment.Length > _bytes.Length) Array.Resize(ref _bytes, Math.Max(2 * _bytes.Length, _used + segment.Length));
        if (Count == _segments.Length) Array.Resize(ref _segments, 2 * Count);
        segment.CopyTo(_bytes.AsSpan(_used));
        _segments[Count++] = (_used, segment.Length);
        _used += segment.Length;
    }

    /// <summary>Empties the batch and gives it back to its pool; the caller must not touch it afterwards.</summary>
    public void Release()
    {
        Count = 0;
        _used = 0;
        if (_bytes.Length <= RetainedBufferLimit) _home.Return(this);
    }

    /// <summary>
    /// Batches of one receiver (one device's thread rents, subflows on any thread give back). Last in, first out: the
    /// batch given back most recently (already grown to the traffic's size, warm in the cache) is the next one rented;
    /// a FIFO would cycle through every pooled batch, growing each in turn.
    /// </summary>
    public sealed class Pool(int limit = 64)
    {
        private readonly Stack<SegmentBatch> _free = new();

        /// <summary>An empty batch, a pooled one when there is one.</summary>
        public SegmentBatch Rent()
        {
            lock (_free)
            {
                if (_free.TryPop(out var batch)) return batch;
            }
            return new SegmentBatch(this);
        }

        internal void Return(SegmentBatch batch)
        {
            lock (_free)
            {
                if (_free.Count < limit) _free.Push(batch);
            }
        }
    }
}
