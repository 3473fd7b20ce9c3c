namespace MptcpActors.Transport.Sim;

/// <summary>Why a link did not deliver a frame.</summary>
public enum DropReason
{
    /// <summary>The drop-tail queue was full when the frame was sent.</summary>
    QueueFull,
    /// <summary>Random loss on the wire (the frame was serialized, then lost).</summary>
    Loss,
    /// <summary>The link was down when the frame was sent, or went down while it was queued or in flight.</summary>
    LinkDown,
    /// <summary>The direction was blackholed when the frame was sent.</summary>
    Blackhole,
    /// <summary>Larger than the port's MTU plus the Ethernet header.</summary>
    TooBig,
    /// <summary>Shorter than an Ethernet header.</summary>
    Malformed,
    /// <summary>Arrived at a port nothing is attached to.</summary>
    NoReceiver,
}
