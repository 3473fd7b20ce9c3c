using System.Globalization;
using MptcpActors.Transport.Devices;

namespace MptcpActors.Transport.Sim;

/// <summary>
/// Counts what goes through the wrapped device per flow (IPv4/IPv6 5-tuple and direction): packets, bytes and
/// payload bytes, in totals and in buckets of <see cref="BucketNs"/> of the clock (sent frames are timed by the clock,
/// received ones by their arrival time). Frames that are not IP are counted apart. For a link's queue length over
/// time, trace the link itself (<see cref="LinkTrace"/>). Locked, as frames may go down and come up on different threads.
/// </summary>
public sealed class FrameTracer : FrameDeviceDecorator
{
    private readonly IDeviceClock _clock;
    private readonly object _gate = new();
    private readonly Dictionary<FlowKey, FlowTrace> _sent = [];
    private readonly Dictionary<FlowKey, FlowTrace> _received = [];
    private readonly List<FlowTrace> _order = [];

    public FrameTracer(IFrameDevice inner, IDeviceClock clock, long bucketNs) : base(inner)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketNs);
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        BucketNs = bucketNs;
    }

    public long BucketNs { get; }
    public long NonIpFrames { get; private set; }
    public long NonIpBytes { get; private set; }

    /// <summary>A snapshot of the flows, in the order they were first seen.</summary>
    public IReadOnlyList<FlowTrace> Flows
    {
        get
        {
            lock (_gate) return _order.ToArray();
        }
    }

    /// <summary>The flow with this key seen going <paramref name="direction"/> (Transmit or Receive), if any.</summary>
    public FlowTrace? Find(FlowKey key, FrameDirections direction)
    {
        if (direction is not (FrameDirections.Transmit or FrameDirections.Receive))
            throw new ArgumentOutOfRangeException(nameof(direction), direction, "Transmit or Receive");
        lock (_gate) return (direction == FrameDirections.Transmit ? _sent : _received).GetValueOrDefault(key);
    }

    protected override void OnTransmit(ReadOnlySpan<byte> frame)
    {
        Count(frame, _sent, FrameDirections.Transmit, _clock.NowNs);
        Inner.Transmit(frame);
    }

    protected override void OnReceive(ReadOnlySpan<byte> frame, long timeNs)
    {
        Count(frame, _received, FrameDirections.Receive, timeNs);
        Deliver(frame, timeNs);
    }

    private void Count(ReadOnlySpan<byte> frame, Dictionary<FlowKey, FlowTrace> flows, FrameDirections direction, long timeNs)
    {
        var isIp = FlowKey.TryParse(frame, out var key, out var payload);
        lock (_gate)
        {
            if (!isIp)
            {
                NonIpFrames++;
                NonIpBytes += frame.Length;
                return;
            }
            if (!flows.TryGetValue(key, out var trace))
            {
                trace = new FlowTrace(key, direction, BucketNs);
                flows.Add(key, trace);
                _order.Add(trace);
            }
            trace.Add(frame.Length, payload, timeNs);
        }
    }

    /// <summary>One CSV row per flow and non-empty bucket: time_s,direction,flow,packets,bytes,payload_bytes.</summary>
    public void WriteCsv(TextWriter writer)
    {
        writer.WriteLine("time_s,direction,flow,packets,bytes,payload_bytes");
        foreach (var f in Flows)
        {
            for (var i = 0; i < f.BytesPerBucket.Count; i++)
            {
                if (f.PacketsPerBucket[i] == 0) continue;
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{i * BucketNs / 1e9:0.#########},{(f.Direction == FrameDirections.Transmit ? "tx" : "rx")},{f.Key},{f.PacketsPerBucket[i]},{f.BytesPerBucket[i]},{f.PayloadBytesPerBucket[i]}"));
            }
        }
    }
}
