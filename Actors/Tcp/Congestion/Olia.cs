namespace MptcpActors.Actors.Tcp.Congestion;

/// <summary>
/// Opportunistic Linked Increases (Khalili, Gast, Popovic, Le Boudec, CoNEXT 2012; the logic of Linux's mptcp_olia.c).
/// Slow start, loss and timeout as NewReno; in congestion avoidance each ACK on path r changes w_r by
/// [ (w_r/rtt_r²) / (Σ_p w_p/rtt_p)² + α_r/w_r ] · MSS_r per acknowledged byte, where, with R the paths, M those with
/// the largest window and B the best paths (largest ℓ_p/rtt_p², ℓ_p = max(bytes between the last two losses, bytes
/// since the last loss)): α_r = 1/(|R|·|B∖M|) for r ∈ B∖M, −1/(|R|·|M|) for r ∈ M when B∖M ≠ ∅, else 0.
/// A negative change shrinks the window (never below one MSS). A lone path (or one without RTT estimates for the
/// others) follows NewReno exactly.
/// </summary>
public sealed class Olia : CoupledCongestionControl
{
    private double _pendingSegments;

    public Olia(ICongestionCoupling? coupling) : base(coupling) { }

    public override string Name => "olia";

    /// <summary>
    /// OLIA's α_r and the window change per acknowledged byte in units of MSS_r (so a Reno path gets 1/cwnd) for
    /// <paramref name="self"/> among <paramref name="subflows"/>; false (α_r = 0, Reno's 1/cwnd) with fewer than two
    /// paths that have an RTT estimate. <paramref name="self"/> should be one of <paramref name="subflows"/>.
    /// </summary>
    public static bool TryComputeIncrease(IReadOnlyList<ISubflowCongestionView> subflows, ISubflowCongestionView self,
        out double alpha, out double increasePerByte)
    {
        var ok = TryCompute(subflows, self.CongestionWindow, self.SmoothedRttNs, LossDistance(self), out alpha, out increasePerByte);
        if (!ok) increasePerByte = self.CongestionWindow > 0 ? 1.0 / self.CongestionWindow : 0;
        return ok;
    }

    private protected override void CongestionAvoidance(in AckSample sample, long ackedBytes)
    {
        var cwnd = CongestionWindow;
        var subflows = CoupledSubflows;
        if (subflows is null || !TryCompute(subflows, cwnd, SmoothedRttNs, LossDistance(this), out _, out var perByte))
        {
            AdditiveIncrease(ackedBytes, cwnd);
            return;
        }
        // A signed count of segments gained or lost, as mptcp_olia's snd_cwnd_cnt: increases and decreases offset
        // each other while a path moves in and out of the sets, and cwnd changes when a whole segment is due.
        _pendingSegments += ackedBytes * perByte;
        if (_pendingSegments >= 1 || _pendingSegments <= -1)
        {
            var segments = Math.Truncate(_pendingSegments);
            _pendingSegments -= segments;
            SetCongestionWindow(cwnd + (long)segments * Mss);
        }
    }

    private protected override void OnCongestionEvent(long nowNs, long bytesInFlight, bool timeout)
    {
        base.OnCongestionEvent(nowNs, bytesInFlight, timeout);
        _pendingSegments = 0;
    }

    private protected override void OnReset(long nowNs)
    {
        base.OnReset(nowNs);
        _pendingSegments = 0;
    }

    private static long LossDistance(ISubflowCongestionView view) =>
        view is ISubflowLossHistory h ? Math.Max(h.BytesBetweenLastTwoLosses, view.BytesSinceLastLoss) : view.BytesSinceLastLoss;

    // ℓ/rtt² compared exactly, as Linux does, by cross-multiplying in 128 bits with RTTs in microseconds.
    private static long RttMicros(long rttNs) => Math.Clamp((rttNs + 999) / 1000, 1, int.MaxValue);

    private static int CompareLossRate(long lossA, long rttUsA, long lossB, long rttUsB) =>
        ((Int128)lossA * rttUsB * rttUsB).CompareTo((Int128)lossB * rttUsA * rttUsA);

    private static bool TryCompute(IReadOnlyList<ISubflowCongestionView> subflows, long selfCwnd, long selfSrttNs, long selfLoss,
        out double alpha, out double increasePerByte)
    {
        alpha = 0;
        increasePerByte = 0;
        if (selfSrttNs <= 0 || selfCwnd <= 0) return false;

        // Pass 1: |R|, Σ w_p/rtt_p, the largest window, the best ℓ_p/rtt_p².
        var count = 0;
        double sumRate = 0;
        long maxCwnd = 0, bestLoss = 0, bestRttUs = 1;
        for (var i = 0; i < subflows.Count; i++)
        {
            var s = subflows[i];
            if (!Eligible(s)) continue;
            count++;
            sumRate += (double)s.CongestionWindow / s.SmoothedRttNs;
            if (s.CongestionWindow > maxCwnd) maxCwnd = s.CongestionWindow;
            var loss = LossDistance(s);
            var rttUs = RttMicros(s.SmoothedRttNs);
            if (CompareLossRate(loss, rttUs, bestLoss, bestRttUs) >= 0)
            {
                bestLoss = loss;
                bestRttUs = rttUs;
            }
        }
        if (count < 2 || sumRate <= 0) return false;

        // Pass 2: |M| and |B∖M|.
        int inM = 0, bestNotM = 0;
        for (var i = 0; i < subflows.Count; i++)
        {
            var s = subflows[i];
            if (!Eligible(s)) continue;
            if (s.CongestionWindow == maxCwnd) inM++;
            else if (CompareLossRate(LossDistance(s), RttMicros(s.SmoothedRttNs), bestLoss, bestRttUs) == 0) bestNotM++;
        }

        if (bestNotM > 0)
        {
            if (selfCwnd >= maxCwnd) alpha = -1.0 / (count * Math.Max(inM, 1));
            else if (CompareLossRate(selfLoss, RttMicros(selfSrttNs), bestLoss, bestRttUs) == 0) alpha = 1.0 / (count * bestNotM);
        }

        double w = selfCwnd, rtt = selfSrttNs;
        increasePerByte = w / (rtt * rtt) / (sumRate * sumRate) + alpha / w;
        return true;
    }
}
