using MptcpActors.Actors.Tcp.Congestion;

namespace MptcpActors.Actors.Tests.Tcp.Congestion;

public class NewRenoTests
{
    private const int Mss = AckClock.Mss;
    private const long Ms = AckClock.Ms;

    private static NewReno Established(int mss = Mss)
    {
        var cc = new NewReno();
        cc.OnEstablished(mss, 0);
        return cc;
    }

    [Theory]
    [InlineData(536, 5360)]     // 10·MSS
    [InlineData(1095, 10950)]
    [InlineData(1460, 14600)]   // 10·MSS = 14600
    [InlineData(4000, 14600)]   // max(2·MSS, 14600)
    [InlineData(9000, 18000)]   // 2·MSS
    public void Initial_window_follows_RFC_6928(int mss, long expected)
    {
        var cc = Established(mss);
        Assert.Equal(expected, cc.CongestionWindow);
        Assert.Equal(long.MaxValue, cc.SlowStartThreshold);
        Assert.True(cc.InSlowStart);
        Assert.Equal(expected, LossBasedCongestionControl.InitialWindow(mss));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)] // delayed ACKs: byte counting with L = 2·SMSS still doubles the window
    public void Slow_start_doubles_the_window_every_RTT(int segmentsPerAck)
    {
        var cc = Established();
        var clock = new AckClock(50 * Ms, segmentsPerAck: segmentsPerAck);
        var expected = cc.CongestionWindow;
        for (var round = 0; round < 6; round++)
        {
            clock.Round(cc);
            expected *= 2;
            Assert.Equal(expected, cc.CongestionWindow);
        }
    }

    [Fact]
    public void Appropriate_byte_counting_limits_a_stretch_ACK_to_two_segments()
    {
        var cc = Established();
        var clock = new AckClock(50 * Ms);
        clock.Ack(cc, 6 * Mss);
        Assert.Equal(12 * Mss, cc.CongestionWindow);
        clock.Ack(cc, 1 * Mss);
        Assert.Equal(13 * Mss, cc.CongestionWindow);
    }

    [Fact]
    public void Slow_start_stops_at_ssthresh_and_continues_in_congestion_avoidance()
    {
        var cc = Established();
        var clock = new AckClock(50 * Ms);
        cc.OnRetransmissionTimeout(0, 30 * Mss); // ssthresh = 15 MSS, cwnd = 1 MSS
        Assert.Equal(15 * Mss, cc.SlowStartThreshold);
        for (var i = 0; i < 5; i++) clock.Round(cc);
        Assert.False(cc.InSlowStart);
        Assert.InRange(cc.CongestionWindow, 15 * Mss, 17 * Mss);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Congestion_avoidance_grows_one_MSS_per_RTT(int segmentsPerAck)
    {
        var cc = Established();
        var clock = new AckClock(50 * Ms, segmentsPerAck: segmentsPerAck);
        cc.OnLossDetected(0, 40 * Mss);
        cc.OnRecoveryExit(0);
        Assert.Equal(20 * Mss, cc.CongestionWindow);
        Assert.Equal(20 * Mss, cc.SlowStartThreshold);
        for (var round = 1; round <= 30; round++)
        {
            clock.Round(cc);
            Assert.Equal((20 + round) * Mss, cc.CongestionWindow);
        }
    }

    [Fact]
    public void Loss_halves_the_flight_size_with_a_floor_of_two_segments()
    {
        var cc = Established();
        var clock = new AckClock(50 * Ms);
        for (var i = 0; i < 3; i++) clock.Round(cc);
        Assert.Equal(80 * Mss, cc.CongestionWindow);

        cc.OnLossDetected(clock.NowNs, 80 * Mss);
        Assert.Equal(40 * Mss, cc.SlowStartThreshold);
        Assert.Equal(40 * Mss, cc.CongestionWindow);
        Assert.True(cc.InFastRecovery);

        // Partial ACKs during recovery do not grow the window; the full ACK leaves cwnd = ssthresh.
        clock.InRecovery = true;
        clock.Round(cc);
        Assert.Equal(40 * Mss, cc.CongestionWindow);
        clock.InRecovery = false;
        cc.OnRecoveryExit(clock.NowNs);
        Assert.False(cc.InFastRecovery);
        Assert.Equal(40 * Mss, cc.CongestionWindow);

        // ssthresh uses FlightSize, not cwnd: a small flight gives the 2·SMSS floor.
        cc.OnLossDetected(clock.NowNs, 3 * Mss);
        Assert.Equal(2 * Mss, cc.SlowStartThreshold);
        Assert.Equal(2 * Mss, cc.CongestionWindow);
    }

    [Fact]
    public void Retransmission_timeout_collapses_to_one_segment_and_slow_starts_with_L_of_one()
    {
        var cc = Established();
        var clock = new AckClock(50 * Ms);
        for (var i = 0; i < 2; i++) clock.Round(cc);
        cc.OnRetransmissionTimeout(clock.NowNs, 40 * Mss);
        Assert.Equal(Mss, cc.CongestionWindow);
        Assert.Equal(20 * Mss, cc.SlowStartThreshold);

        // RFC 3465 2.3: L = 1·SMSS in the slow start that follows a timeout.
        clock.Ack(cc, 2 * Mss);
        Assert.Equal(2 * Mss, cc.CongestionWindow);

        // The same segment timing out again (no new ACK in between) keeps ssthresh (RFC 5681 3.1).
        cc.OnRetransmissionTimeout(clock.NowNs, 40 * Mss);
        cc.OnRetransmissionTimeout(clock.NowNs, 2 * Mss);
        Assert.Equal(Mss, cc.CongestionWindow);
        Assert.Equal(20 * Mss, cc.SlowStartThreshold);

        // After an ACK, a new timeout computes ssthresh again.
        clock.Ack(cc, Mss);
        cc.OnRetransmissionTimeout(clock.NowNs, 10 * Mss);
        Assert.Equal(5 * Mss, cc.SlowStartThreshold);
        Assert.Equal(Mss, cc.CongestionWindow);
    }

    [Fact]
    public void Application_limited_ACKs_do_not_grow_the_window()
    {
        var cc = Established();
        var clock = new AckClock(50 * Ms) { ApplicationLimited = true };
        for (var i = 0; i < 10; i++) clock.Round(cc);
        Assert.Equal(10 * Mss, cc.CongestionWindow);

        cc.OnLossDetected(clock.NowNs, 10 * Mss);
        cc.OnRecoveryExit(clock.NowNs);
        for (var i = 0; i < 10; i++) clock.Round(cc);
        Assert.Equal(5 * Mss, cc.CongestionWindow);

        clock.ApplicationLimited = false;
        clock.Round(cc);
        Assert.Equal(6 * Mss, cc.CongestionWindow);
    }

    [Fact]
    public void Mss_change_keeps_the_window_in_bytes_and_counts_in_the_new_MSS()
    {
        var cc = Established();
        cc.OnLossDetected(0, 40 * Mss);
        cc.OnRecoveryExit(0);
        cc.OnMssChanged(1200);
        Assert.Equal(1200, cc.Mss);
        Assert.Equal(20 * Mss, cc.CongestionWindow);
        var clock = new AckClock(50 * Ms, mss: 1200);
        var before = cc.CongestionWindow;
        clock.Round(cc);
        Assert.Equal(before + 1200, cc.CongestionWindow);
    }
}
