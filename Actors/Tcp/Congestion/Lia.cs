namespace MptcpActors.Actors.Tcp.Congestion;

/// <summary>
/// Linked Increases (RFC 6356). Slow start, loss and timeout as NewReno; in congestion avoidance each ACK on subflow i
/// grows cwnd_i by min(α·bytes_acked·MSS_i/cwnd_total, bytes_acked·MSS_i/cwnd_i), with
/// α = cwnd_total · max_i(cwnd_i/rtt_i²) / (Σ_i cwnd_i/rtt_i)², recomputed on every ACK from the coupling.
/// Counted in bytes as RFC 3465 does for Reno: one MSS per max(cwnd_total/α, cwnd_i) bytes acknowledged, so a lone
/// subflow follows NewReno exactly.
/// </summary>
public sealed class Lia : CoupledCongestionControl
{
    public Lia(ICongestionCoupling? coupling) : base(coupling) { }

    public override string Name => "lia";

    /// <summary>
    /// RFC 6356's α over the subflows that have an RTT estimate, with their cwnd_total; false (α = 1) with fewer than two.
    /// </summary>
    public static bool TryComputeAlpha(IReadOnlyList<ISubflowCongestionView> subflows, out double alpha, out long totalCwnd)
    {
        if (!TryComputeSums(subflows, out var sumRate, out var maxTerm, out totalCwnd) || maxTerm <= 0)
        {
            alpha = 1;
            return false;
        }
        alpha = totalCwnd * maxTerm / (sumRate * sumRate);
        return true;
    }

    private protected override void CongestionAvoidance(in AckSample sample, long ackedBytes)
    {
        var cwnd = CongestionWindow;
        var bytesPerSegment = cwnd;
        var subflows = CoupledSubflows;
        if (subflows is not null && TryComputeSums(subflows, out var sumRate, out var maxTerm, out _) && maxTerm > 0)
        {
            // cwnd_total/α = (Σ cwnd_i/rtt_i)² / max(cwnd_i/rtt_i²), rounded to whole bytes.
            var coupled = Math.Round(sumRate * sumRate / maxTerm);
            if (coupled > cwnd) bytesPerSegment = coupled >= long.MaxValue ? long.MaxValue : (long)coupled;
        }
        AdditiveIncrease(ackedBytes, bytesPerSegment);
    }

    private static bool TryComputeSums(IReadOnlyList<ISubflowCongestionView> subflows, out double sumRate, out double maxTerm,
        out long totalCwnd)
    {
        sumRate = 0;
        maxTerm = 0;
        totalCwnd = 0;
        var count = 0;
        for (var i = 0; i < subflows.Count; i++)
        {
            var s = subflows[i];
            if (!Eligible(s)) continue;
            count++;
            double w = s.CongestionWindow, rtt = s.SmoothedRttNs;
            totalCwnd += s.CongestionWindow;
            sumRate += w / rtt;
            var term = w / (rtt * rtt);
            if (term > maxTerm) maxTerm = term;
        }
        return count >= 2;
    }
}
