using System.Globalization;

namespace MptcpActors.Transport.Sim;

/// <summary>The <see cref="LinkTrace"/>s of every direction of every link of a <see cref="SimNetwork"/>.</summary>
public sealed class NetworkTrace
{
    private readonly List<LinkTrace> _traces = [];

    internal NetworkTrace(long bucketNs, bool queueSamples)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketNs);
        BucketNs = bucketNs;
        QueueSamplesEnabled = queueSamples;
    }

    public long BucketNs { get; }
    public bool QueueSamplesEnabled { get; }
    public IReadOnlyList<LinkTrace> Links => _traces;

    public LinkTrace For(SimLinkDirection direction) =>
        _traces.FirstOrDefault(t => ReferenceEquals(t.Direction, direction)) ?? throw new KeyNotFoundException($"{direction.Name} is not traced");

    internal void Add(SimLink link)
    {
        _traces.Add(new LinkTrace(link.AToB, BucketNs, QueueSamplesEnabled));
        _traces.Add(new LinkTrace(link.BToA, BucketNs, QueueSamplesEnabled));
    }

    /// <summary>One CSV row per bucket and direction: time_s,link,direction,delivered_frames,delivered_bytes,dropped,dropped_queue,dropped_loss,max_queue_packets,max_queue_bytes.</summary>
    public void WriteCsv(TextWriter writer)
    {
        writer.WriteLine("time_s,link,direction,delivered_frames,delivered_bytes,dropped,dropped_queue,dropped_loss,max_queue_packets,max_queue_bytes");
        foreach (var t in _traces)
        {
            foreach (var b in t.Buckets)
            {
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{b.StartNs / 1e9:0.#########},{t.Direction.Link.Name},{t.Direction.Name},{b.DeliveredFrames},{b.DeliveredBytes},{b.DroppedFrames},{b.DroppedQueueFull},{b.DroppedLoss},{b.MaxQueuePackets},{b.MaxQueueBytes}"));
            }
        }
    }
}
