namespace MptcpActors.Actors.Tcp.Congestion;

/// <summary>
/// A congestion control algorithm for one TCP subflow, driven by the TCP core's loss detection and RTT sampling
/// (RFC 5681 terms). Windows are in bytes; times are nanoseconds of the core's clock (virtual or real).
/// </summary>
public interface ICongestionControl
{
    string Name { get; }
    /// <summary>cwnd in bytes.</summary>
    long CongestionWindow { get; }
    /// <summary>ssthresh in bytes (long.MaxValue until the first loss).</summary>
    long SlowStartThreshold { get; }
    bool InSlowStart => CongestionWindow < SlowStartThreshold;

    /// <summary>Connection established: sets the initial window (RFC 6928: min(10·MSS, max(2·MSS, 14600))).</summary>
    void OnEstablished(int mss, long nowNs);

    /// <summary>A cumulative or SACKed acknowledgement of new data outside loss recovery (or a partial ACK inside it).</summary>
    void OnAck(in AckSample sample);

    /// <summary>Loss detected by duplicate ACKs or SACK (RFC 6675 / 6582): enter recovery; called once per recovery episode.</summary>
    void OnLossDetected(long nowNs, long bytesInFlight);

    /// <summary>Recovery ended: the ACK covered the recovery point.</summary>
    void OnRecoveryExit(long nowNs);

    /// <summary>The retransmission timer expired (RFC 5681 3.1 eq. 4: ssthresh = max(FlightSize/2, 2·SMSS), cwnd = 1 SMSS).</summary>
    void OnRetransmissionTimeout(long nowNs, long bytesInFlight);

    /// <summary>The path's MSS changed (PMTU): windows kept in bytes, per-MSS constants rescaled.</summary>
    void OnMssChanged(int mss);
}

/// <summary>What an acknowledgement tells congestion control.</summary>
/// <param name="NowNs">Time of the ACK.</param>
/// <param name="AckedBytes">Bytes newly acknowledged (cumulatively or by SACK).</param>
/// <param name="BytesInFlight">Bytes in flight after processing the ACK (RFC 6675 pipe).</param>
/// <param name="RttNs">An RTT sample taken from this ACK, or -1.</param>
/// <param name="MinRttNs">The smallest RTT seen on the subflow, or -1.</param>
/// <param name="Mss">The sender's current MSS.</param>
/// <param name="InRecovery">True for a partial ACK during fast recovery.</param>
/// <param name="ApplicationLimited">The sender had nothing more to send (RFC 7661): growth should not count this ACK.</param>
public readonly record struct AckSample(long NowNs, long AckedBytes, long BytesInFlight, long RttNs, long MinRttNs, int Mss, bool InRecovery,
    bool ApplicationLimited);

/// <summary>One subflow as a coupled algorithm (LIA, OLIA) sees it: the MPTCP connection supplies all of them.</summary>
public interface ISubflowCongestionView
{
    long CongestionWindow { get; }
    long SmoothedRttNs { get; }
    int Mss { get; }
    /// <summary>Bytes acknowledged since the last loss on this subflow (OLIA's l_r).</summary>
    long BytesSinceLastLoss { get; }
}

/// <summary>The subflows of one MPTCP connection, for algorithms that couple their windows (RFC 6356).</summary>
public interface ICongestionCoupling
{
    IReadOnlyList<ISubflowCongestionView> Subflows { get; }
}

public enum CongestionControlKind
{
    Cubic,
    NewReno,
    Lia,
    Olia,
}
