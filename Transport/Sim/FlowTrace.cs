namespace MptcpActors.Transport.Sim;

/// <summary>
/// What one flow (one 5-tuple, one way through a device) carried: totals and per-bucket series of frames, frame bytes
/// and transport payload bytes (goodput) over time. Bucket i covers [i·width, (i+1)·width) of the clock.
/// </summary>
public sealed class FlowTrace
{
    private readonly List<long> _packets = [];
    private readonly List<long> _bytes = [];
    private readonly List<long> _payloadBytes = [];

    internal FlowTrace(FlowKey key, FrameDirections direction, long bucketNs)
    {
        Key = key;
        Direction = direction;
        BucketNs = bucketNs;
    }

    public FlowKey Key { get; }
    /// <summary><see cref="FrameDirections.Transmit"/> (sent by the host) or <see cref="FrameDirections.Receive"/>.</summary>
    public FrameDirections Direction { get; }
    public long BucketNs { get; }
    public long Packets { get; private set; }
    /// <summary>Whole Ethernet frames.</summary>
    public long Bytes { get; private set; }
    /// <summary>TCP/UDP payload (the IP payload for other protocols).</summary>
    public long PayloadBytes { get; private set; }
    public long FirstNs { get; private set; } = -1;
    public long LastNs { get; private set; } = -1;

    public IReadOnlyList<long> PacketsPerBucket => _packets;
    public IReadOnlyList<long> BytesPerBucket => _bytes;
    public IReadOnlyList<long> PayloadBytesPerBucket => _payloadBytes;

    /// <summary>Frame bits per second during bucket <paramref name="index"/>.</summary>
    public double RateBps(int index) => index < _bytes.Count ? _bytes[index] * 8e9 / BucketNs : 0;

    internal void Add(int frameBytes, int payloadBytes, long timeNs)
    {
        if (FirstNs < 0) FirstNs = timeNs;
        LastNs = timeNs;
        Packets++;
        Bytes += frameBytes;
        PayloadBytes += payloadBytes;
        var index = (int)(Math.Max(0, timeNs) / BucketNs);
        while (_bytes.Count <= index)
        {
            _packets.Add(0);
            _bytes.Add(0);
            _payloadBytes.Add(0);
        }
        _packets[index]++;
        _bytes[index] += frameBytes;
        _payloadBytes[index] += payloadBytes;
    }
}
