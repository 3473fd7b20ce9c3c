namespace MptcpActors.Transport.Sim;

/// <summary>
/// Watches one direction of a link (traces, link-level pcap). Called synchronously inside the simulation with the
/// frame's bytes, valid only during the call; the direction's queue counters already include the change.
/// Every method is optional.
/// </summary>
public interface ISimLinkObserver
{
    /// <summary>The frame got onto the link: it started serializing at once or joined the queue.</summary>
    void FrameAccepted(SimLinkDirection direction, ReadOnlySpan<byte> frame, long nowNs) { }

    /// <summary>A queued frame left the queue and started serializing.</summary>
    void FrameDequeued(SimLinkDirection direction, ReadOnlySpan<byte> frame, long nowNs) { }

    void FrameDropped(SimLinkDirection direction, ReadOnlySpan<byte> frame, DropReason reason, long nowNs) { }

    /// <summary>Called just before the receiving port hands the frame up.</summary>
    void FrameDelivered(SimLinkDirection direction, ReadOnlySpan<byte> frame, long nowNs) { }
}
