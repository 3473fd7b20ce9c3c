namespace MptcpActors.Transport.Sim;

/// <summary>What one direction of a link did during [StartNs, StartNs + bucket width).</summary>
public record struct LinkTraceBucket(long StartNs)
{
    public long AcceptedFrames;
    public long DeliveredFrames;
    public long DeliveredBytes;
    public long DroppedFrames;
    public long DroppedQueueFull;
    public long DroppedLoss;
    /// <summary>Largest queue seen during the bucket (frames waiting behind the one being serialized).</summary>
    public int MaxQueuePackets;
    public long MaxQueueBytes;
}

/// <summary>The queue of a link direction right after a change, at <paramref name="TimeNs"/>.</summary>
public readonly record struct QueueSample(long TimeNs, int Packets, long Bytes);
