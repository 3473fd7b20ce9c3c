namespace MptcpActors.Transport.Sim;

/// <summary>Which way through a device wrapper a frame goes.</summary>
[Flags]
public enum FrameDirections
{
    None = 0,
    /// <summary>Sent by the host (Transmit).</summary>
    Transmit = 1,
    /// <summary>Received from the device.</summary>
    Receive = 2,
    Both = Transmit | Receive,
}

/// <summary>Selects frames (a fault rule's scope); the span is the whole Ethernet frame, valid only during the call.</summary>
public delegate bool FrameFilter(ReadOnlySpan<byte> frame);
