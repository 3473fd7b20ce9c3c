namespace MptcpActors.Transport.Sim;

/// <summary>Counters of one direction of a link since it was created. Frame counts and bytes are whole Ethernet frames.</summary>
public sealed class LinkDirectionStats
{
    private readonly long[] _dropped = new long[Enum.GetValues<DropReason>().Length];

    /// <summary>Every frame handed to the sending port, whatever became of it.</summary>
    public long FramesOffered { get; internal set; }
    public long BytesOffered { get; internal set; }
    /// <summary>Frames that got onto the link (started serializing or were queued).</summary>
    public long FramesAccepted { get; internal set; }
    public long FramesDelivered { get; internal set; }
    public long BytesDelivered { get; internal set; }
    public long FramesDropped { get; private set; }
    public long BytesDropped { get; private set; }
    /// <summary>Frames picked for reordering (held back so later frames overtake them).</summary>
    public long FramesReordered { get; internal set; }
    public int MaxQueuePackets { get; internal set; }
    public long MaxQueueBytes { get; internal set; }

    public long Dropped(DropReason reason) => _dropped[(int)reason];

    internal void AddDrop(DropReason reason, int bytes)
    {
        _dropped[(int)reason]++;
        FramesDropped++;
        BytesDropped += bytes;
    }

    public override string ToString() =>
        $"offered {FramesOffered} ({BytesOffered} B), delivered {FramesDelivered} ({BytesDelivered} B), dropped {FramesDropped} " +
        $"[{string.Join(", ", Enum.GetValues<DropReason>().Where(r => Dropped(r) > 0).Select(r => $"{r} {Dropped(r)}"))}], " +
        $"reordered {FramesReordered}, max queue {MaxQueuePackets} pkts / {MaxQueueBytes} B";
}
