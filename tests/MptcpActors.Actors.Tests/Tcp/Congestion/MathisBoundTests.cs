using MptcpActors.Actors.Tcp.Congestion;

namespace MptcpActors.Actors.Tests.Tcp.Congestion;

/// <summary>
/// An ACK-clocked simulation under periodic loss (one segment in every 1/p), against the Mathis et al. bound
/// rate = MSS/RTT · √(3/2) / √p, whose derivation assumes exactly this deterministic sawtooth.
/// </summary>
public class MathisBoundTests
{
    private const int Mss = AckClock.Mss;
    private const long Ms = AckClock.Ms;

    internal static double SimulatedRate(ICongestionControl cc, double p, long rttNs, int segmentsPerAck = 1, int warmupLosses = 20,
        int measuredLosses = 200)
    {
        cc.OnEstablished(Mss, 0);
        var clock = new AckClock(rttNs, segmentsPerAck: segmentsPerAck);
        var lossEvery = (long)Math.Round(1 / p);
        long sentSegments = 0, nextLoss = lossEvery, losses = 0, bytes = 0, startNs = 0;
        while (losses < warmupLosses + measuredLosses)
        {
            var delivered = clock.Round(cc);
            var segments = (delivered + Mss - 1) / Mss;
            sentSegments += segments;
            if (losses >= warmupLosses) bytes += delivered;
            if (sentSegments < nextLoss) continue;

            // The lost segment is repaired in one RTT of fast recovery, sending at ssthresh.
            nextLoss += lossEvery;
            var before = sentSegments;
            cc.OnLossDetected(clock.NowNs, cc.CongestionWindow);
            clock.InRecovery = true;
            var recovered = clock.Round(cc);
            clock.InRecovery = false;
            cc.OnRecoveryExit(clock.NowNs);
            sentSegments = before + (recovered + Mss - 1) / Mss;
            if (losses >= warmupLosses) bytes += recovered;
            losses++;
            if (losses == warmupLosses) startNs = clock.NowNs;
        }
        return bytes / ((clock.NowNs - startNs) / 1e9);
    }

    internal static double MathisRate(double p, long rttNs) => Mss / (rttNs / 1e9) * Math.Sqrt(1.5) / Math.Sqrt(p);

    [Theory]
    [InlineData(0.01, 40, 1)]
    [InlineData(0.001, 40, 1)]
    [InlineData(0.0001, 100, 1)]
    [InlineData(0.001, 40, 2)]
    public void NewReno_throughput_under_periodic_loss_matches_the_Mathis_bound(double p, int rttMs, int segmentsPerAck)
    {
        var rate = SimulatedRate(new NewReno(), p, rttMs * Ms, segmentsPerAck);
        var ratio = rate / MathisRate(p, rttMs * Ms);
        Assert.InRange(ratio, 0.85, 1.15);
    }

    // In the Reno-friendly region (small windows) CUBIC's AIMD(α_cubic, β = 0.7) has Reno's average rate; where the
    // cubic function takes over (large BDP, rare loss) it is well above the bound.
    [Theory]
    [InlineData(0.01, 40, 0.85)]
    [InlineData(0.001, 40, 0.95)]
    [InlineData(0.0001, 100, 1.2)]
    public void Cubic_throughput_under_periodic_loss_is_at_least_NewReno_and_the_Mathis_bound(double p, int rttMs, double minRatio)
    {
        var rate = SimulatedRate(new Cubic(), p, rttMs * Ms);
        var ratio = rate / MathisRate(p, rttMs * Ms);
        Assert.InRange(ratio, minRatio, 4);
        Assert.True(rate >= 0.97 * SimulatedRate(new NewReno(), p, rttMs * Ms));
    }

    [Theory]
    [InlineData(CongestionControlKind.Lia)]
    [InlineData(CongestionControlKind.Olia)]
    public void A_lone_coupled_subflow_gets_NewReno_throughput(CongestionControlKind kind)
    {
        var reno = SimulatedRate(new NewReno(), 0.001, 40 * Ms);
        var coupled = SimulatedRate(CongestionControlFactory.Create(kind, null), 0.001, 40 * Ms);
        Assert.Equal(reno, coupled);
    }
}
