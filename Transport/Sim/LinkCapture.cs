using MptcpActors.Transport.Capture;

namespace MptcpActors.Transport.Sim;

/// <summary>Where on a link a <see cref="LinkCapture"/> looks.</summary>
public enum LinkCapturePoint
{
    /// <summary>Frames as they get onto the link (at send time; later lost or not).</summary>
    Sent,
    /// <summary>Frames as they arrive at the far port (at arrival time; what crossed the link).</summary>
    Delivered,
}

/// <summary>
/// Writes the frames crossing a link (both directions, or one) to a pcap file with virtual timestamps: a capture of
/// the wire itself, where a <see cref="PcapTap"/> captures at one interface. Timestamps are origin + virtual time,
/// to the microsecond (classic pcap).
/// </summary>
public sealed class LinkCapture : ISimLinkObserver
{
    private readonly PcapWriter _writer;
    private readonly LinkCapturePoint _point;
    private readonly DateTimeOffset _origin;

    public LinkCapture(PcapWriter writer, LinkCapturePoint point = LinkCapturePoint.Delivered, DateTimeOffset? origin = null)
    {
        _writer = writer ?? throw new ArgumentNullException(nameof(writer));
        _point = point;
        _origin = origin ?? DateTimeOffset.UnixEpoch;
    }

    /// <summary>Captures both directions of <paramref name="link"/>.</summary>
    public LinkCapture Attach(SimLink link)
    {
        link.AddObserver(this);
        return this;
    }

    public LinkCapture Attach(SimLinkDirection direction)
    {
        direction.AddObserver(this);
        return this;
    }

    public long FramesWritten { get; private set; }

    void ISimLinkObserver.FrameAccepted(SimLinkDirection d, ReadOnlySpan<byte> frame, long nowNs)
    {
        if (_point == LinkCapturePoint.Sent) Write(frame, nowNs);
    }

    void ISimLinkObserver.FrameDelivered(SimLinkDirection d, ReadOnlySpan<byte> frame, long nowNs)
    {
        if (_point == LinkCapturePoint.Delivered) Write(frame, nowNs);
    }

    private void Write(ReadOnlySpan<byte> frame, long nowNs)
    {
        _writer.Write(frame, _origin.AddTicks(nowNs / 100));
        FramesWritten++;
    }
}
