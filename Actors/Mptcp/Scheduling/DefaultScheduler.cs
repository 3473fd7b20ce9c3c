namespace MptcpActors.Actors.Mptcp.Scheduling;

/// <summary>
/// The eligible subflow with room and the lowest smoothed RTT, in the spirit of Linux's mptcp_subflow_get_send
/// (net/mptcp/protocol.c), which ranks by how soon a subflow drains its queue. A subflow without an RTT sample ranks
/// after every sampled one but is still used, so it gets one. When the fastest subflow is full, a slower one with
/// room is taken only if that would not stall the receiver (BLEST, below).
/// </summary>
public sealed class DefaultScheduler : IPacketScheduler
{
    /// <summary>
    /// Bytes of the connection-level send window (the peer's DATA_ACK-relative receive window) not taken by data in
    /// flight, set by the caller before each <see cref="Select"/>. long.MaxValue: unlimited, never wait for the fast subflow.
    /// </summary>
    public long ConnectionWindowFree { get; set; } = long.MaxValue;

    public int Select(ReadOnlySpan<SubflowView> subflows, long chunkLength, Span<int> chosen)
    {
        var backupsCarry = SubflowView.BackupsCarry(subflows);
        int fastest = -1, best = -1;
        long highestSample = 0;
        for (var i = 0; i < subflows.Length; i++)
        {
            var s = subflows[i];
            if (!s.Eligible(backupsCarry)) continue;
            highestSample = Math.Max(highestSample, s.SrttNs);
            if (fastest < 0 || RttRank(s) < RttRank(subflows[fastest])) fastest = i;
            if (s.SendSpace > 0 && (best < 0 || RttRank(s) < RttRank(subflows[best]))) best = i;
        }
        if (best < 0) return 0;
        var fast = subflows[fastest];
        var slow = subflows[best];
        if (RttRank(fast) < RttRank(slow) && WouldBlock(fast, slow, highestSample, Math.Min(chunkLength, slow.SendSpace))) return 0;
        chosen[0] = best;
        return 1;
    }

    private static long RttRank(SubflowView s) => s.SrttNs > 0 ? s.SrttNs : long.MaxValue;

    /// <summary>
    /// BLEST (Ferlin, Alay, Mehani, Boreli, "BLEST: Blocking Estimation-based MPTCP Scheduler for Heterogeneous
    /// Networks", IFIP Networking 2016): bytes sent on the slow subflow hold their share of the connection-level window
    /// for one slow RTT. In that time the fast subflow, growing its window by about one MSS per RTT, could send
    ///   X = MSS_f · (cwnd_f / MSS_f + (rtt_s / rtt_f − 1) / 2) · rtt_s / rtt_f
    /// bytes. If X·λ does not fit in the window left once the slow subflow has its chunk, the fast subflow would be
    /// blocked by the receiver's window while the slow one's data is still in flight — head-of-line blocking — so
    /// waiting for the fast subflow's next ack is better. λ, which the paper adapts to observed blocking, is fixed at 1.
    /// A slow subflow without an RTT sample is taken to have the highest sampled RTT among the eligible ones.
    /// </summary>
    private bool WouldBlock(SubflowView fast, SubflowView slow, long highestSample, long slowBytes)
    {
        if (ConnectionWindowFree == long.MaxValue) return false;
        var ratio = (double)(slow.SrttNs > 0 ? slow.SrttNs : highestSample) / fast.SrttNs;
        var fastBytes = (fast.CongestionWindow + fast.Mss * (ratio - 1) / 2) * ratio;
        const double lambda = 1;
        return fastBytes * lambda >= ConnectionWindowFree - slowBytes;
    }
}
