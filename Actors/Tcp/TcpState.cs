namespace MptcpActors.Actors.Tcp;

/// <summary>RFC 9293 3.3.2 connection states.</summary>
public enum TcpState : byte
{
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

public static class TcpStates
{
    /// <summary>States after the handshake, where RFC 5961's rules for RST and SYN apply.</summary>
    public static bool IsSynchronized(this TcpState s) => s >= TcpState.Established;

    /// <summary>States in which the application may still send.</summary>
    public static bool CanSend(this TcpState s) => s is TcpState.Established or TcpState.CloseWait or TcpState.SynReceived or TcpState.SynSent;

    /// <summary>States in which segment text is accepted (RFC 9293 3.10.7.4, seventh step).</summary>
    public static bool CanReceive(this TcpState s) => s is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2;

    /// <summary>The state as <c>ss</c> prints it, so engine and kernel listings read alike.</summary>
    public static string SsName(this TcpState s) => s switch
    {
        TcpState.Closed => "UNCONN",
        TcpState.Listen => "LISTEN",
        TcpState.SynSent => "SYN-SENT",
        TcpState.SynReceived => "SYN-RECV",
        TcpState.Established => "ESTAB",
        TcpState.FinWait1 => "FIN-WAIT-1",
        TcpState.FinWait2 => "FIN-WAIT-2",
        TcpState.CloseWait => "CLOSE-WAIT",
        TcpState.Closing => "CLOSING",
        TcpState.LastAck => "LAST-ACK",
        _ => "TIME-WAIT",
    };
}

/// <summary>How a connection ended, for the layer above (Akka.IO's ConnectionClosed variants).</summary>
public enum TcpCloseReason : byte
{
    /// <summary>Both directions closed by FIN exchange.</summary>
    Closed,
    /// <summary>Our abort (RST sent).</summary>
    Aborted,
    /// <summary>The peer reset the connection.</summary>
    Reset,
    /// <summary>The active open was refused (RST to our SYN).</summary>
    Refused,
    /// <summary>Retransmissions or keepalive probes went unanswered too long.</summary>
    TimedOut,
}
