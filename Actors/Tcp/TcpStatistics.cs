namespace MptcpActors.Actors.Tcp;

/// <summary>Counters of one connection (what `ss -ti` shows of a kernel socket).</summary>
public sealed class TcpStatistics
{
    public long SegmentsSent { get; internal set; }
    public long SegmentsReceived { get; internal set; }
    /// <summary>New payload bytes sent (retransmissions excluded).</summary>
    public long BytesSent { get; internal set; }
    public long BytesRetransmitted { get; internal set; }
    public long SegmentsRetransmitted { get; internal set; }
    /// <summary>In-order payload bytes received.</summary>
    public long BytesReceived { get; internal set; }
    public long BytesAcked { get; internal set; }
    public long FastRecoveries { get; internal set; }
    public long Timeouts { get; internal set; }
    public long DuplicateAcks { get; internal set; }
    public long ChallengeAcks { get; internal set; }
    /// <summary>ACKs to invalid segments (challenge ACKs, out-of-window and PAWS duplicate ACKs) not sent because of the rate limit.</summary>
    public long InvalidAcksSuppressed { get; internal set; }
    public long PawsDrops { get; internal set; }
    public long OutOfWindowDrops { get; internal set; }
    public long WindowProbes { get; internal set; }
    /// <summary>RFC 8985 tail loss probes sent.</summary>
    public long TailLossProbes { get; internal set; }
    public long PathMtuReductions { get; internal set; }
}
