using MptcpActors.Actors.Tcp;
using MptcpActors.Actors.Tcp.Congestion;
using MptcpActors.Transport.Sim;
using Xunit.Abstractions;

namespace MptcpActors.Actors.Tests.Stack;

/// <summary>Goodput on the simulator against theory (virtual time: no wall-clock timing, so these cannot be flaky).</summary>
public class GoodputTests(ITestOutputHelper output)
{
    private const long Ms = 1_000_000;
    private const double LinkBps = 100e6;
    private const double RttS = 0.040;

    /// <summary>Receiver goodput in bit/s between <paramref name="fromNs"/> and the end of the transfer.</summary>
    private static (double Bps, SimTransfer T) Measure(ulong seed, double loss, CongestionControlKind cc, long bytes, long fromNs)
    {
        var bdpPackets = (int)(LinkBps * RttS / 8 / 1514);
        var p = new LinkParameters(RateBps: LinkBps, Delay: TimeSpan.FromMilliseconds(RttS * 1000 / 2), QueueLimitPackets: bdpPackets, LossProbability: loss);
        var t = new SimTransfer(seed, p, bytes, new TcpCoreOptions { CongestionControl = cc, SendBufferSize = 8 << 20, ReceiveBufferSize = 8 << 20 },
            reverse: p with { LossProbability = 0 });
        long receivedAtFrom = -1;
        t.Net.Scheduler.Schedule(fromNs, () => receivedAtFrom = t.Sink.Received);
        long doneAt = -1;
        void Watch()
        {
            if (t.Sink.Received == bytes && doneAt < 0) doneAt = t.Net.NowNs;
            else t.Net.Scheduler.ScheduleAfter(Ms, Watch);
        }
        t.Net.Scheduler.Schedule(0, Watch);
        Assert.True(t.Run(600_000 * Ms));
        Assert.Equal(t.Source.Sha256, t.Sink.Sha256);
        Assert.True(receivedAtFrom >= 0 && doneAt > fromNs, "transfer ended before the measurement window");
        return ((bytes - receivedAtFrom) * 8.0 / ((doneAt - fromNs) / 1e9), t);
    }

    [Theory]
    [InlineData(CongestionControlKind.Cubic)]
    [InlineData(CongestionControlKind.NewReno)]
    public void Clean_bdp_queued_path_runs_at_90_percent_of_link_rate(CongestionControlKind cc)
    {
        var (bps, t) = Measure(1, 0, cc, 60_000_000, 1_000 * Ms);
        var st = t.Source.Socket.Core.Statistics;
        output.WriteLine($"{cc}: {bps / 1e6:F1} Mbit/s, retransmitted {st.BytesRetransmitted} B, fast recoveries {st.FastRecoveries}, timeouts {st.Timeouts}, end {t.Net.NowNs / 1e9:F2} s");
        Assert.True(bps >= 0.90 * LinkBps, $"{cc} goodput {bps / 1e6:F1} Mbit/s < 90 Mbit/s");
    }

    [Theory]
    [InlineData(CongestionControlKind.NewReno, 1.0, 2UL)]
    [InlineData(CongestionControlKind.NewReno, 1.0, 3UL)]
    [InlineData(CongestionControlKind.NewReno, 1.0, 4UL)]
    [InlineData(CongestionControlKind.Cubic, 1.15, 2UL)]
    [InlineData(CongestionControlKind.Cubic, 1.15, 3UL)]
    [InlineData(CongestionControlKind.Cubic, 1.15, 4UL)]
    public void One_percent_loss_reaches_the_mathis_bound(CongestionControlKind cc, double factor, ulong seed)
    {
        const double p = 0.01;
        var mathis = 1448 * 8 / RttS * 1.22 / Math.Sqrt(p);
        var (bps, _) = Measure(seed, p, cc, 25_000_000, 2_000 * Ms);
        output.WriteLine($"{cc}: {bps / 1e6:F2} Mbit/s vs Mathis {mathis / 1e6:F2} Mbit/s");
        Assert.True(bps >= factor * mathis, $"{cc} goodput {bps / 1e6:F2} Mbit/s < {factor} x Mathis {mathis / 1e6:F2} Mbit/s");
    }
}
