using MptcpActors.Transport.Capture;
using MptcpActors.Transport.Devices;

namespace MptcpActors.Transport.Sim;

/// <summary>
/// Writes every frame sent and/or received through the wrapped device to a pcap, like tcpdump on an interface.
/// Sent frames are stamped with the clock's time, received ones with their arrival time; a timestamp is
/// <c>origin + ns</c> (the Unix epoch by default, so virtual time 1.5 s reads 1970-01-01 00:00:01.5), to the microsecond.
/// Several taps may share one writer: writes lock the writer, because on real devices frames come up on an I/O thread
/// while others go down from an actor.
/// </summary>
public sealed class PcapTap : FrameDeviceDecorator
{
    private readonly PcapWriter _writer;
    private readonly IDeviceClock _clock;
    private readonly DateTimeOffset _origin;

    public PcapTap(IFrameDevice inner, PcapWriter writer, IDeviceClock clock, FrameDirections directions = FrameDirections.Both,
        DateTimeOffset? origin = null) : base(inner)
    {
        _writer = writer ?? throw new ArgumentNullException(nameof(writer));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        Directions = directions;
        _origin = origin ?? DateTimeOffset.UnixEpoch;
    }

    public FrameDirections Directions { get; set; }
    public long FramesWritten { get; private set; }

    protected override void OnTransmit(ReadOnlySpan<byte> frame)
    {
        if ((Directions & FrameDirections.Transmit) != 0) Write(frame, _clock.NowNs);
        Inner.Transmit(frame);
    }

    protected override void OnReceive(ReadOnlySpan<byte> frame, long timeNs)
    {
        if ((Directions & FrameDirections.Receive) != 0) Write(frame, timeNs);
        Deliver(frame, timeNs);
    }

    private void Write(ReadOnlySpan<byte> frame, long timeNs)
    {
        lock (_writer)
        {
            _writer.Write(frame, _origin.AddTicks(timeNs / 100));
            FramesWritten++;
        }
    }
}
