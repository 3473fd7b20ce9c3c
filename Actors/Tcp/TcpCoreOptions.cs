namespace MptcpActors.Actors.Tcp;

/// <summary>Per-connection TCP parameters of the core (derived from mptcp.tcp in akka.hocon by the shell).</summary>
public sealed record TcpCoreOptions
{
    /// <summary>MSS announced and the upper bound on what we send (payload bytes without options).</summary>
    public int Mss { get; init; } = 1460;
    public int SendBufferSize { get; init; } = 4 * 1024 * 1024;
    public int ReceiveBufferSize { get; init; } = 6 * 1024 * 1024;
    public bool Timestamps { get; init; } = true;
    public bool Sack { get; init; } = true;
    public bool WindowScaling { get; init; } = true;
    public bool Nagle { get; init; } = true;
    public bool DelayedAck { get; init; } = true;
    /// <summary>Linux's minimum delayed-ACK timeout (TCP_DELACK_MIN); RFC 9293 allows up to 500 ms.</summary>
    public long DelayedAckNs { get; init; } = 40_000_000;
    public long InitialRtoNs { get; init; } = 1_000_000_000;
    public long MinRtoNs { get; init; } = 200_000_000;
    public long MaxRtoNs { get; init; } = 120_000_000_000;
    /// <summary>SYN retransmissions before giving up (net.ipv4.tcp_syn_retries).</summary>
    public int SynRetries { get; init; } = 6;
    /// <summary>Data retransmissions by RTO before giving up (net.ipv4.tcp_retries2).</summary>
    public int MaxRetransmissions { get; init; } = 15;
    /// <summary>TIME-WAIT duration, 2·MSL (Linux: 60 s).</summary>
    public long TimeWaitNs { get; init; } = 60_000_000_000;
    public bool Keepalive { get; init; }
    public long KeepaliveIdleNs { get; init; } = 7_200_000_000_000;
    public long KeepaliveIntervalNs { get; init; } = 75_000_000_000;
    public int KeepaliveProbes { get; init; } = 9;
    /// <summary>Least time between two ACKs answering invalid segments (Linux's net.ipv4.tcp_invalid_ratelimit, 500 ms); 0 disables the limit.</summary>
    public long InvalidAckIntervalNs { get; init; } = 500_000_000;
    public Congestion.CongestionControlKind CongestionControl { get; init; } = Congestion.CongestionControlKind.Cubic;
}
