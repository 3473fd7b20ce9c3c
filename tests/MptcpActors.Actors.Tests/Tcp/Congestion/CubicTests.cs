using MptcpActors.Actors.Tcp.Congestion;

namespace MptcpActors.Actors.Tests.Tcp.Congestion;

public class CubicTests
{
    private const int Mss = AckClock.Mss;
    private const long Ms = AckClock.Ms;

    private static Cubic Established(bool fastConvergence = true, bool hyStart = false, int mss = Mss)
    {
        var cc = new Cubic(fastConvergence, hyStart);
        cc.OnEstablished(mss, 0);
        return cc;
    }

    /// <summary>Slow start (no HyStart++) until cwnd reaches <paramref name="segments"/>, then a loss and one RTT of recovery.</summary>
    private static (Cubic Cc, AckClock Clock, double WMaxBytes) AfterLossAt(int segments, long rttNs, bool fastConvergence = true)
    {
        var cc = Established(fastConvergence);
        var clock = new AckClock(rttNs);
        while (cc.CongestionWindow < (long)segments * Mss) clock.Round(cc);
        var wMax = cc.CongestionWindow;
        clock.LossAndRecovery(cc);
        return (cc, clock, wMax);
    }

    [Theory]
    [InlineData(536, 5360)]
    [InlineData(1460, 14600)]
    [InlineData(9000, 18000)]
    public void Initial_window_follows_RFC_6928(int mss, long expected)
    {
        var cc = Established(mss: mss);
        Assert.Equal(expected, cc.CongestionWindow);
        Assert.Equal(long.MaxValue, cc.SlowStartThreshold);
        Assert.Equal("cubic", cc.Name);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // HyStart++ does not fire while the RTT stays put
    public void Slow_start_doubles_the_window_every_RTT(bool hyStart)
    {
        var cc = Established(hyStart: hyStart);
        var clock = new AckClock(50 * Ms);
        var expected = cc.CongestionWindow;
        for (var round = 0; round < 8; round++)
        {
            clock.Round(cc);
            expected *= 2;
            Assert.Equal(expected, cc.CongestionWindow);
        }
        Assert.False(cc.InConservativeSlowStart);
    }

    [Fact]
    public void Loss_multiplies_the_window_by_beta_and_sets_W_max()
    {
        var cc = Established();
        var clock = new AckClock(50 * Ms);
        for (var i = 0; i < 4; i++) clock.Round(cc);
        var w = cc.CongestionWindow;
        Assert.Equal(160 * Mss, w);

        cc.OnLossDetected(clock.NowNs, w);
        Assert.Equal((long)(w * 0.7), cc.SlowStartThreshold);
        Assert.Equal((long)(w * 0.7), cc.CongestionWindow);
        Assert.Equal(w, cc.MaxWindow);
        cc.OnRecoveryExit(clock.NowNs);
        Assert.Equal((long)(w * 0.7), cc.CongestionWindow);
    }

    [Theory]
    [InlineData(true, 0.7 * 1.7 / 2)]
    [InlineData(false, 0.7)]
    public void Fast_convergence_lowers_W_max_when_the_window_shrank_since_the_last_loss(bool fastConvergence, double wMaxFactor)
    {
        var cc = Established(fastConvergence);
        const long w = 100L * Mss;
        cc.OnLossDetected(0, w); // the window at this first event is the initial one; flight says how much to keep
        cc.OnRecoveryExit(0);

        var first = cc.CongestionWindow;
        cc.OnLossDetected(0, first);
        Assert.Equal(first, (long)cc.MaxWindow);
        var second = cc.CongestionWindow;
        Assert.Equal((long)(first * 0.7), second);

        // Another loss before the window got back to W_max: the flow is losing ground, release more.
        cc.OnLossDetected(0, second);
        Assert.Equal(second * wMaxFactor / 0.7, cc.MaxWindow, 6);
        Assert.Equal((long)(second * 0.7), cc.CongestionWindow);
    }

    [Fact]
    public void K_is_the_cube_root_of_W_max_times_one_minus_beta_over_C()
    {
        var (cc, clock, wMax) = AfterLossAt(1000, 100 * Ms);
        Assert.Equal(-1, cc.EpochStartNs);
        clock.Ack(cc, Mss);
        Assert.Equal(clock.NowNs, cc.EpochStartNs);

        var k = Math.Cbrt(wMax / Mss * (1 - Cubic.Beta) / Cubic.C);
        Assert.Equal(k, cc.K, 3);
        Assert.Equal(Cubic.ComputeK(wMax, (long)(wMax * 0.7), Mss), cc.K, 9);
        Assert.Equal(0, Cubic.ComputeK(10, 20, Mss));
        // At t = K the window function is back at W_max.
        Assert.Equal(wMax, Cubic.WindowAt(cc.K, cc.K, wMax, Mss), 6);
    }

    [Fact]
    public void Window_follows_W_cubic_of_t_in_the_concave_and_convex_regions()
    {
        const long rtt = 100 * Ms;
        var (cc, clock, wMax) = AfterLossAt(1000, rtt);
        clock.Round(cc);
        var epoch = cc.EpochStartNs;
        var k = cc.K;
        Assert.Equal(Math.Cbrt(wMax / Mss * (1 - Cubic.Beta) / Cubic.C), k, 2);
        Assert.InRange(k, 9, 10);

        double[] checkpoints = [1, 3, 6, 9, 11, 13];
        var next = 0;
        while (next < checkpoints.Length)
        {
            clock.Round(cc);
            var t = (clock.NowNs - epoch) / 1e9;
            if (t < checkpoints[next]) continue;
            next++;
            var expected = Cubic.WindowAt(t, k, wMax, Mss);
            // The window chases W_cubic(t + RTT): it sits between W_cubic(t) and W_cubic(t + RTT) within a small tolerance.
            var ahead = Cubic.WindowAt(t + rtt / 1e9, k, wMax, Mss);
            Assert.InRange(cc.CongestionWindow, Math.Min(expected, ahead) * 0.99, Math.Max(expected, ahead) * 1.01);
            Assert.InRange(cc.CongestionWindow / expected, 0.98, 1.02);
            Assert.True(cc.RenoFriendlyWindow < expected, "Reno-friendly region should not apply here");
        }
        // Concave then plateau around W_max, then convex beyond it.
        Assert.True(cc.CongestionWindow > wMax);
    }

    [Fact]
    public void Reno_friendly_region_dominates_at_small_RTT_and_BDP()
    {
        const long rtt = 1 * Ms;
        var (cc, clock, wMax) = AfterLossAt(20, rtt);
        Assert.Equal(20 * Mss, wMax);
        var start = cc.CongestionWindow; // 14 segments

        // α_cubic = 3(1 − β)/(1 + β) ≈ 0.53 segment per RTT until W_est reaches cwnd_prior (W_max here).
        for (var i = 0; i < 5; i++) clock.Round(cc);
        var grown = (cc.CongestionWindow - start) / (double)Mss;
        Assert.InRange(grown, 5 * Cubic.RenoFriendlyAlpha - 0.3, 5 * Cubic.RenoFriendlyAlpha + 0.3);

        // Then one segment per RTT, as Reno; W_cubic(t) is far below.
        for (var i = 0; i < 15; i++) clock.Round(cc);
        var atWMax = cc.CongestionWindow;
        for (var i = 0; i < 100; i++) clock.Round(cc);
        Assert.InRange((cc.CongestionWindow - atWMax) / (double)Mss, 97, 101);
        var t = (clock.NowNs - cc.EpochStartNs) / 1e9;
        Assert.True(Cubic.WindowAt(t, cc.K, cc.MaxWindow, Mss) < cc.RenoFriendlyWindow);
        Assert.Equal(Math.Floor(cc.RenoFriendlyWindow), cc.CongestionWindow, 0);
    }

    [Fact]
    public void Timeout_collapses_to_one_segment_and_the_next_epoch_starts_with_K_zero()
    {
        var cc = Established();
        var clock = new AckClock(50 * Ms);
        for (var i = 0; i < 3; i++) clock.Round(cc);
        var w = cc.CongestionWindow;
        cc.OnRetransmissionTimeout(clock.NowNs, w);
        Assert.Equal(Mss, cc.CongestionWindow);
        Assert.Equal((long)(w * 0.7), cc.SlowStartThreshold);

        while (cc.InSlowStart) clock.Round(cc);
        clock.Round(cc);
        Assert.Equal(0, cc.K);
        Assert.True(cc.MaxWindow <= cc.CongestionWindow);
        Assert.True(cc.MaxWindow >= cc.SlowStartThreshold);
    }

    [Fact]
    public void Application_limited_ACKs_neither_grow_the_window_nor_advance_the_cubic_clock()
    {
        const long rtt = 100 * Ms;
        var (cc, clock, _) = AfterLossAt(1000, rtt);
        for (var i = 0; i < 20; i++) clock.Round(cc);
        var before = cc.CongestionWindow;

        clock.ApplicationLimited = true;
        for (var i = 0; i < 100; i++) clock.Round(cc); // 10 s with less to send than the window allows
        Assert.Equal(before, cc.CongestionWindow);

        clock.ApplicationLimited = false;
        clock.Round(cc);
        // One RTT's worth of growth, not a jump to W_cubic(t + 10 s).
        Assert.InRange(cc.CongestionWindow, before, before * 1.02);
    }

    [Fact]
    public void Slow_start_application_limited_ACKs_do_not_grow_the_window()
    {
        var cc = Established();
        var clock = new AckClock(50 * Ms) { ApplicationLimited = true };
        for (var i = 0; i < 10; i++) clock.Round(cc);
        Assert.Equal(10 * Mss, cc.CongestionWindow);
    }

    [Fact]
    public void HyStart_plus_plus_leaves_slow_start_through_conservative_slow_start_on_a_delay_increase()
    {
        var cc = Established(hyStart: true);
        var clock = new AckClock(50 * Ms);
        for (var i = 0; i < 4; i++) clock.Round(cc);
        Assert.Equal(160 * Mss, cc.CongestionWindow);

        // The queue builds: +10 ms is above max(4 ms, min(50/8 ms, 16 ms)).
        clock.RttNs = 60 * Ms;
        clock.Round(cc);
        Assert.True(cc.InConservativeSlowStart);
        Assert.Equal(long.MaxValue, cc.SlowStartThreshold);

        // CSS grows by a quarter of slow start's rate, then ends in congestion avoidance after CSS_ROUNDS rounds.
        var before = cc.CongestionWindow;
        clock.Round(cc);
        Assert.InRange(cc.CongestionWindow / (double)before, 1.2, 1.3);
        for (var i = 0; i < 6 && cc.InSlowStart; i++) clock.Round(cc);
        Assert.False(cc.InSlowStart);
        Assert.False(cc.InConservativeSlowStart);
        Assert.InRange(cc.SlowStartThreshold, before, cc.CongestionWindow);

        // The first epoch after HyStart++ starts with K = 0 at the window where slow start ended.
        Assert.Equal(0, cc.K);
        Assert.Equal(cc.SlowStartThreshold, cc.MaxWindow);
        var exit = cc.CongestionWindow;
        clock.Round(cc);
        Assert.True(cc.CongestionWindow >= exit);
    }

    [Fact]
    public void HyStart_plus_plus_returns_to_slow_start_when_the_delay_increase_was_spurious()
    {
        var cc = Established(hyStart: true);
        var clock = new AckClock(50 * Ms);
        for (var i = 0; i < 3; i++) clock.Round(cc);
        clock.RttNs = 60 * Ms;
        clock.Round(cc);
        Assert.True(cc.InConservativeSlowStart);
        clock.RttNs = 50 * Ms;
        clock.Round(cc);
        Assert.False(cc.InConservativeSlowStart);
        var before = cc.CongestionWindow;
        clock.Round(cc);
        Assert.Equal(2 * before, cc.CongestionWindow);
    }

    [Fact]
    public void HyStart_plus_plus_is_only_for_the_initial_slow_start()
    {
        var cc = Established(hyStart: true);
        var clock = new AckClock(50 * Ms);
        clock.Round(cc);
        cc.OnRetransmissionTimeout(clock.NowNs, 2000 * Mss);
        for (var i = 0; i < 3; i++) clock.Round(cc);
        clock.RttNs = 80 * Ms;
        for (var i = 0; i < 2; i++) clock.Round(cc);
        Assert.False(cc.InConservativeSlowStart);
        Assert.Equal(32 * Mss, cc.CongestionWindow);
    }
}
