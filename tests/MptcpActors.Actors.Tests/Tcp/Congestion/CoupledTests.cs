using CsCheck;
using MptcpActors.Actors.Tcp.Congestion;

namespace MptcpActors.Actors.Tests.Tcp.Congestion;

public class CoupledTests
{
    private const int Mss = AckClock.Mss;
    private const long Ms = AckClock.Ms;

    public static TheoryData<string> LoneSubflowWirings => ["lia-null", "lia-self", "olia-null", "olia-self"];

    private static ICongestionControl Lone(string wiring)
    {
        var coupling = new CongestionCoupling();
        CoupledCongestionControl cc = wiring switch
        {
            "lia-null" => new Lia(null),
            "lia-self" => new Lia(coupling),
            "olia-null" => new Olia(null),
            "olia-self" => new Olia(coupling),
            _ => throw new ArgumentException(wiring),
        };
        coupling.Add(cc);
        return cc;
    }

    [Theory]
    [MemberData(nameof(LoneSubflowWirings))]
    public void A_lone_subflow_follows_NewReno_exactly(string wiring)
    {
        var reno = new NewReno();
        var coupled = Lone(wiring);
        reno.OnEstablished(Mss, 0);
        coupled.OnEstablished(Mss, 0);
        var renoClock = new AckClock(30 * Ms);
        var coupledClock = new AckClock(30 * Ms);

        void Both(Action<ICongestionControl, AckClock> step)
        {
            step(reno, renoClock);
            step(coupled, coupledClock);
            Assert.Equal(reno.CongestionWindow, coupled.CongestionWindow);
            Assert.Equal(reno.SlowStartThreshold, coupled.SlowStartThreshold);
        }

        for (var i = 0; i < 4; i++) Both((cc, c) => c.Round(cc));
        Both((cc, c) => c.LossAndRecovery(cc));
        for (var i = 0; i < 40; i++) Both((cc, c) => c.Round(cc));
        Both((cc, c) => c.SegmentsPerAck = 2);
        for (var i = 0; i < 20; i++) Both((cc, c) => c.Round(cc));
        Both((cc, c) => c.ApplicationLimited = true);
        for (var i = 0; i < 5; i++) Both((cc, c) => c.Round(cc));
        Both((cc, c) => c.ApplicationLimited = false);
        Both((cc, c) => cc.OnRetransmissionTimeout(c.NowNs, cc.CongestionWindow));
        for (var i = 0; i < 30; i++) Both((cc, c) => c.Round(cc));
        Both((cc, c) => c.LossAndRecovery(cc));
        Both((cc, c) => c.Ack(cc, 7 * Mss));
        for (var i = 0; i < 30; i++) Both((cc, c) => c.Round(cc));
    }

    [Fact]
    public void A_lone_subflow_follows_NewReno_on_any_event_sequence()
    {
        // Events: 0 ACK, 1 app-limited ACK, 2 partial ACK in recovery, 3 loss, 4 recovery exit, 5 timeout.
        var events = Gen.Select(Gen.Int[0, 9], Gen.Int[1, 4 * Mss], Gen.Long[1 * Ms, 300 * Ms])
            .Select((kind, bytes, rtt) => (Kind: kind switch { <= 4 => 0, 5 => 1, 6 => 2, 7 => 3, 8 => 4, _ => 5 }, Bytes: bytes, Rtt: rtt));
        events.Array[1, 300].Sample(script =>
        {
            foreach (var wiring in new[] { "lia-self", "olia-self" })
            {
                var reno = new NewReno();
                var coupled = Lone(wiring);
                reno.OnEstablished(Mss, 0);
                coupled.OnEstablished(Mss, 0);
                long now = 0;
                foreach (var (kind, bytes, rtt) in script)
                {
                    now += rtt / 10;
                    foreach (var cc in new[] { reno, coupled })
                    {
                        switch (kind)
                        {
                            case 0: cc.OnAck(new AckSample(now, bytes, cc.CongestionWindow, rtt, rtt, Mss, false, false)); break;
                            case 1: cc.OnAck(new AckSample(now, bytes, cc.CongestionWindow, rtt, rtt, Mss, false, true)); break;
                            case 2: cc.OnAck(new AckSample(now, bytes, cc.CongestionWindow, -1, rtt, Mss, true, false)); break;
                            case 3: cc.OnLossDetected(now, cc.CongestionWindow); break;
                            case 4: cc.OnRecoveryExit(now); break;
                            default: cc.OnRetransmissionTimeout(now, cc.CongestionWindow); break;
                        }
                    }
                    Assert.Equal(reno.CongestionWindow, coupled.CongestionWindow);
                    Assert.Equal(reno.SlowStartThreshold, coupled.SlowStartThreshold);
                }
            }
        });
    }

    [Fact]
    public void LIA_alpha_follows_RFC_6356()
    {
        // Two paths: 10 segments at 10 ms and 20 segments at 40 ms.
        var views = new[] { new FixedView(10 * Mss, 10 * Ms), new FixedView(20 * Mss, 40 * Ms) };
        Assert.True(Lia.TryComputeAlpha(views, out var alpha, out var total));
        Assert.Equal(30 * Mss, total);
        double w1 = 10 * Mss, w2 = 20 * Mss, r1 = 10 * Ms, r2 = 40 * Ms;
        var expected = (w1 + w2) * Math.Max(w1 / (r1 * r1), w2 / (r2 * r2)) / Math.Pow(w1 / r1 + w2 / r2, 2);
        Assert.Equal(expected, alpha, 12);
        Assert.Equal(30.0 * 0.1 / Math.Pow(1.5, 2), alpha, 12); // in segments and ms: 30·(10/100) / (1 + 0.5)²

        // Identical paths: α = 1/n.
        var same = new[] { new FixedView(20 * Mss, 50 * Ms), new FixedView(20 * Mss, 50 * Ms), new FixedView(20 * Mss, 50 * Ms) };
        Assert.True(Lia.TryComputeAlpha(same, out alpha, out _));
        Assert.Equal(1.0 / 3, alpha, 12);

        // A subflow without an RTT estimate is left out; alone, there is nothing to couple.
        Assert.False(Lia.TryComputeAlpha([new FixedView(20 * Mss, 50 * Ms), new FixedView(20 * Mss, -1)], out alpha, out _));
        Assert.Equal(1, alpha);
    }

    /// <summary>Two coupled subflows in congestion avoidance, ACK-clocked in lock step; returns (total growth, growth of one Reno flow).</summary>
    private static (double Coupled, double Reno) GrowthOverRounds(Func<ICongestionCoupling, CoupledCongestionControl> create, long rtt1,
        long rtt2, int rounds)
    {
        var coupling = new CongestionCoupling();
        var a = create(coupling);
        var b = create(coupling);
        coupling.Add(a);
        coupling.Add(b);
        var clockA = new AckClock(rtt1);
        var clockB = new AckClock(rtt2);
        foreach (var (cc, clock) in new[] { (a, clockA), (b, clockB) })
        {
            cc.OnEstablished(Mss, 0);
            cc.OnLossDetected(0, 40 * Mss);
            cc.OnRecoveryExit(0);
            clock.Ack(cc, 0); // an RTT sample
        }
        var reno = new NewReno();
        reno.OnEstablished(Mss, 0);
        reno.OnLossDetected(0, 80 * Mss);
        reno.OnRecoveryExit(0);
        var renoClock = new AckClock(Math.Min(rtt1, rtt2));

        var start = a.CongestionWindow + b.CongestionWindow;
        var renoStart = reno.CongestionWindow;
        var end = Math.Max(rtt1, rtt2) * rounds;
        while (clockA.NowNs < end || clockB.NowNs < end)
        {
            if (clockA.NowNs <= clockB.NowNs) clockA.Round(a);
            else clockB.Round(b);
        }
        while (renoClock.NowNs < end) renoClock.Round(reno);
        return ((a.CongestionWindow + b.CongestionWindow - start) / (double)Mss, (reno.CongestionWindow - renoStart) / (double)Mss);
    }

    [Fact]
    public void LIA_with_two_identical_subflows_grows_the_total_no_faster_than_one_Reno_flow()
    {
        var (coupled, reno) = GrowthOverRounds(c => new Lia(c), 50 * Ms, 50 * Ms, 100);
        Assert.InRange(reno, 99, 101);
        // α = 1/2 and cwnd_total = 2·cwnd_i: each subflow gets a quarter segment per RTT, the pair half of Reno's.
        Assert.True(coupled <= reno);
        Assert.InRange(coupled, 0.4 * reno, 0.6 * reno);
    }

    [Fact]
    public void LIA_with_different_RTTs_grows_no_faster_than_Reno_on_the_best_path()
    {
        var (coupled, reno) = GrowthOverRounds(c => new Lia(c), 20 * Ms, 80 * Ms, 50);
        Assert.True(coupled <= reno, $"coupled {coupled} > reno {reno}");
        Assert.True(coupled > 0);
    }

    [Fact]
    public void OLIA_with_two_identical_subflows_grows_the_total_no_faster_than_one_Reno_flow()
    {
        var (coupled, reno) = GrowthOverRounds(c => new Olia(c), 50 * Ms, 50 * Ms, 100);
        Assert.True(coupled <= reno);
        Assert.InRange(coupled, 0.4 * reno, 0.6 * reno);
    }

    [Fact]
    public void OLIA_alpha_moves_window_from_the_largest_window_to_the_best_path()
    {
        // Path A: 10 segments, 100 segments between its last two losses (the best path, not of maximal window).
        // Path B: 20 segments (the maximal window), one segment since its last loss.
        var a = new FixedView(10 * Mss, 50 * Ms, bytesSinceLastLoss: 5 * Mss, bytesBetweenLastTwoLosses: 100 * Mss);
        var b = new FixedView(20 * Mss, 50 * Ms, bytesSinceLastLoss: 1 * Mss);
        ISubflowCongestionView[] views = [a, b];

        Assert.True(Olia.TryComputeIncrease(views, a, out var alphaA, out var incA));
        Assert.True(Olia.TryComputeIncrease(views, b, out var alphaB, out var incB));
        Assert.Equal(1.0 / (2 * 1), alphaA, 12);   // 1/(|R|·|B∖M|)
        Assert.Equal(-1.0 / (2 * 1), alphaB, 12);  // −1/(|R|·|M|)

        // In segments: w_r/(Σ w_p)² + α_r/w_r with equal RTTs, then per byte in units of MSS.
        Assert.Equal((10.0 / 900 + 0.5 / 10) / Mss, incA, 12);
        Assert.Equal((20.0 / 900 - 0.5 / 20) / Mss, incB, 12);
        Assert.True(incB < 0);

        // Both equally good and of equal window: no transfer.
        var c = new FixedView(20 * Mss, 50 * Ms, bytesSinceLastLoss: 1 * Mss);
        Assert.True(Olia.TryComputeIncrease([b, c], b, out var alpha, out var inc));
        Assert.Equal(0, alpha);
        Assert.Equal(20.0 / 1600 / Mss, inc, 12);

        // The best path is the one with the largest window: B∖M is empty, α = 0 for everyone.
        var d = new FixedView(20 * Mss, 50 * Ms, bytesSinceLastLoss: 500 * Mss);
        Assert.True(Olia.TryComputeIncrease([a, d], d, out alpha, out _));
        Assert.Equal(0, alpha);

        // A lone path is Reno.
        Assert.False(Olia.TryComputeIncrease([a], a, out alpha, out inc));
        Assert.Equal(0, alpha);
        Assert.Equal(1.0 / (10 * Mss), inc, 15);
    }

    [Fact]
    public void OLIA_grows_the_best_path_and_holds_back_the_largest_window()
    {
        var coupling = new CongestionCoupling();
        var a = new Olia(coupling);
        var b = new Olia(coupling);
        coupling.Add(a);
        coupling.Add(b);
        var clockA = new AckClock(50 * Ms);
        var clockB = new AckClock(50 * Ms);
        a.OnEstablished(Mss, 0);
        b.OnEstablished(Mss, 0);

        // A: 100 segments delivered before its loss, then 10 segments of window. B: a loss right away, 20 segments of window.
        for (var i = 0; i < 50; i++) clockA.Ack(a, 2 * Mss);
        a.OnLossDetected(clockA.NowNs, 20 * Mss);
        a.OnRecoveryExit(clockA.NowNs);
        clockB.Ack(b, Mss);
        b.OnLossDetected(clockB.NowNs, 40 * Mss);
        b.OnRecoveryExit(clockB.NowNs);
        Assert.Equal(100 * Mss, a.BytesBetweenLastTwoLosses);
        Assert.Equal(0, a.BytesSinceLastLoss);
        Assert.Equal(10 * Mss, a.CongestionWindow);
        Assert.Equal(20 * Mss, b.CongestionWindow);

        Assert.True(Olia.TryComputeIncrease(coupling.Subflows, a, out var alphaA, out _));
        Assert.True(Olia.TryComputeIncrease(coupling.Subflows, b, out var alphaB, out _));
        Assert.True(alphaA > 0);
        Assert.True(alphaB < 0);

        for (var i = 0; i < 3; i++)
        {
            clockA.Round(a);
            clockB.Round(b);
        }
        Assert.True(a.CongestionWindow >= 11 * Mss, $"A: {a.CongestionWindow / Mss}");
        Assert.True(b.CongestionWindow <= 20 * Mss, $"B: {b.CongestionWindow / Mss}");

        // LIA in the same situation would grow both.
        Assert.True(Lia.TryComputeAlpha(coupling.Subflows, out var lia, out _));
        Assert.True(lia > 0);
    }

    [Fact]
    public void Coupled_algorithms_are_views_of_their_subflow()
    {
        var lia = new Lia(null);
        lia.OnEstablished(Mss, 0);
        Assert.Equal(-1, lia.SmoothedRttNs);
        lia.OnAck(new AckSample(0, Mss, 0, 80 * Ms, 80 * Ms, Mss, false, false));
        Assert.Equal(80 * Ms, lia.SmoothedRttNs);
        lia.OnAck(new AckSample(0, Mss, 0, 160 * Ms, 80 * Ms, Mss, false, false));
        Assert.Equal(90 * Ms, lia.SmoothedRttNs);
        Assert.Equal(2 * Mss, lia.BytesSinceLastLoss);
        lia.OnLossDetected(0, 10 * Mss);
        Assert.Equal(0, lia.BytesSinceLastLoss);
        Assert.Equal(2 * Mss, lia.BytesBetweenLastTwoLosses);
        // A loss with nothing acknowledged since the previous one keeps the distance (mptcp_olia_set_state).
        lia.OnRetransmissionTimeout(0, 10 * Mss);
        Assert.Equal(2 * Mss, lia.BytesBetweenLastTwoLosses);
        Assert.Equal(Mss, lia.Mss);
        Assert.Equal(Mss, lia.CongestionWindow);
    }
}
