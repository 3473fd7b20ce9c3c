using System.Runtime.InteropServices;

namespace MptcpActors.Transport.Sim;

/// <summary>
/// Time series of one direction of a link, in fixed-width buckets of virtual time: delivered frames and bytes,
/// drops, and the largest queue. Optionally every queue change as well (a sample per frame, so only for short runs).
/// Bucket i covers [i·width, (i+1)·width); buckets with no event carry the queue length that held through them.
/// </summary>
public sealed class LinkTrace : ISimLinkObserver
{
    private readonly List<LinkTraceBucket> _buckets = [];
    private readonly List<QueueSample>? _queueSamples;

    public LinkTrace(SimLinkDirection direction, long bucketNs, bool queueSamples = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketNs);
        Direction = direction;
        BucketNs = bucketNs;
        if (queueSamples) _queueSamples = [];
        direction.AddObserver(this);
    }

    public SimLinkDirection Direction { get; }
    public long BucketNs { get; }
    public IReadOnlyList<LinkTraceBucket> Buckets => _buckets;
    public IReadOnlyList<QueueSample> QueueSamples => (IReadOnlyList<QueueSample>?)_queueSamples ?? [];

    void ISimLinkObserver.FrameAccepted(SimLinkDirection d, ReadOnlySpan<byte> frame, long nowNs)
    {
        ref var b = ref BucketAt(nowNs);
        b.AcceptedFrames++;
        QueueChanged(ref b, nowNs);
    }

    void ISimLinkObserver.FrameDequeued(SimLinkDirection d, ReadOnlySpan<byte> frame, long nowNs) => QueueChanged(ref BucketAt(nowNs), nowNs);

    void ISimLinkObserver.FrameDropped(SimLinkDirection d, ReadOnlySpan<byte> frame, DropReason reason, long nowNs)
    {
        ref var b = ref BucketAt(nowNs);
        b.DroppedFrames++;
        if (reason == DropReason.QueueFull) b.DroppedQueueFull++;
        else if (reason == DropReason.Loss) b.DroppedLoss++;
        else if (reason == DropReason.LinkDown) QueueChanged(ref b, nowNs); // a link-down empties the queue
    }

    void ISimLinkObserver.FrameDelivered(SimLinkDirection d, ReadOnlySpan<byte> frame, long nowNs)
    {
        ref var b = ref BucketAt(nowNs);
        b.DeliveredFrames++;
        b.DeliveredBytes += frame.Length;
    }

    private void QueueChanged(ref LinkTraceBucket b, long nowNs)
    {
        var packets = Direction.QueuePackets;
        var bytes = Direction.QueueBytes;
        if (packets > b.MaxQueuePackets) b.MaxQueuePackets = packets;
        if (bytes > b.MaxQueueBytes) b.MaxQueueBytes = bytes;
        _queueSamples?.Add(new QueueSample(nowNs, packets, bytes));
    }

    private ref LinkTraceBucket BucketAt(long nowNs)
    {
        var index = (int)(nowNs / BucketNs);
        while (_buckets.Count <= index)
        {
            // Nothing happened in a skipped bucket, so the queue stood where it is now for all of it.
            _buckets.Add(new LinkTraceBucket((long)_buckets.Count * BucketNs)
            {
                MaxQueuePackets = Direction.QueuePackets,
                MaxQueueBytes = Direction.QueueBytes,
            });
        }
        return ref CollectionsMarshal.AsSpan(_buckets)[index];
    }
}
