using MptcpActors.Tests.Shared;
using CsCheck;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Tcp.Congestion;

namespace MptcpActors.Actors.Tests.Tcp.Congestion;

/// <summary>What every algorithm must do, whichever it is.</summary>
public class CongestionControlTests
{
    private const int Mss = AckClock.Mss;
    private const long Ms = AckClock.Ms;

    /// <summary>Two subflows' congestion controls of one connection (coupled, for the kinds that couple), both established.</summary>
    private static (ICongestionControl, ICongestionControl) EstablishedPair(CongestionControlKind kind)
    {
        var coupling = new CongestionCoupling();
        var a = CongestionControlFactory.Create(kind, coupling);
        var b = CongestionControlFactory.Create(kind, coupling);
        if (a is ISubflowCongestionView va && b is ISubflowCongestionView vb)
        {
            coupling.Add(va);
            coupling.Add(vb);
        }
        a.OnEstablished(Mss, 0);
        b.OnEstablished(Mss, 0);
        return (a, b);
    }

    public static TheoryData<CongestionControlKind> Kinds =>
        [CongestionControlKind.NewReno, CongestionControlKind.Cubic, CongestionControlKind.Lia, CongestionControlKind.Olia];

    [Theory]
    [InlineData(CongestionControlKind.NewReno, typeof(NewReno), "newreno")]
    [InlineData(CongestionControlKind.Cubic, typeof(Cubic), "cubic")]
    [InlineData(CongestionControlKind.Lia, typeof(Lia), "lia")]
    [InlineData(CongestionControlKind.Olia, typeof(Olia), "olia")]
    public void Factory_creates_each_kind(CongestionControlKind kind, Type type, string name)
    {
        var coupling = new CongestionCoupling();
        var cc = CongestionControlFactory.Create(kind, coupling);
        Assert.IsType(type, cc);
        Assert.Equal(name, cc.Name);
        Assert.Equal(14_600, cc.CongestionWindow);
        Assert.Equal(long.MaxValue, cc.SlowStartThreshold);
        Assert.True(cc.InSlowStart);
        if (cc is CoupledCongestionControl coupled) Assert.Same(coupling, coupled.Coupling);
        Assert.NotNull(CongestionControlFactory.Create(kind, null));
    }

    [Fact]
    public void Factory_refuses_an_unknown_kind() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CongestionControlFactory.Create((CongestionControlKind)42, null));

    [Theory]
    [InlineData(CongestionControl.Cubic, CongestionControlKind.Cubic)]
    [InlineData(CongestionControl.NewReno, CongestionControlKind.NewReno)]
    [InlineData(CongestionControl.Lia, CongestionControlKind.Lia)]
    [InlineData(CongestionControl.Olia, CongestionControlKind.Olia)]
    public void Setting_maps_to_kind(CongestionControl setting, CongestionControlKind kind) => Assert.Equal(kind, setting.ToKind());

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Timeout_leaves_one_segment(CongestionControlKind kind)
    {
        var cc = CongestionControlFactory.Create(kind, null);
        cc.OnEstablished(Mss, 0);
        var clock = new AckClock(40 * Ms);
        for (var i = 0; i < 3; i++) clock.Round(cc);
        cc.OnRetransmissionTimeout(clock.NowNs, cc.CongestionWindow);
        Assert.Equal(Mss, cc.CongestionWindow);
        Assert.True(cc.SlowStartThreshold >= 2 * Mss);
        Assert.True(cc.InSlowStart);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Invariants_hold_on_any_event_sequence(CongestionControlKind kind)
    {
        var events = Gen.Select(Gen.Int[0, 9], Gen.Int[0, 6 * Mss], Gen.Long[100_000, 500 * Ms], Gen.Int[536, 9000]);
        events.Array[1, 200].Sample(script =>
        {
            var (cc, other) = EstablishedPair(kind);
            long now = 0;
            var mss = Mss;
            foreach (var (e, bytes, rtt, newMss) in script)
            {
                now += rtt / 4;
                var before = cc.CongestionWindow;
                other.OnAck(new AckSample(now, Mss, other.CongestionWindow, rtt, rtt / 2, Mss, false, false));
                switch (e)
                {
                    case <= 4:
                        cc.OnAck(new AckSample(now, bytes, cc.CongestionWindow, rtt, rtt / 2, mss, false, false));
                        Assert.True(kind == CongestionControlKind.Olia || cc.CongestionWindow >= before);
                        break;
                    case 5:
                        cc.OnAck(new AckSample(now, bytes, cc.CongestionWindow, rtt, rtt / 2, mss, false, true));
                        Assert.Equal(before, cc.CongestionWindow);
                        break;
                    case 6:
                        cc.OnAck(new AckSample(now, bytes, cc.CongestionWindow, -1, rtt / 2, mss, true, false));
                        Assert.Equal(before, cc.CongestionWindow);
                        break;
                    case 7:
                        cc.OnLossDetected(now, cc.CongestionWindow);
                        Assert.True(cc.CongestionWindow <= Math.Max(before, 2L * mss));
                        Assert.Equal(cc.SlowStartThreshold, cc.CongestionWindow);
                        break;
                    case 8:
                        cc.OnRecoveryExit(now);
                        break;
                    default:
                        if (bytes % 7 == 0)
                        {
                            mss = newMss;
                            cc.OnMssChanged(mss);
                        }
                        else
                        {
                            cc.OnRetransmissionTimeout(now, cc.CongestionWindow);
                            Assert.Equal(mss, cc.CongestionWindow);
                        }
                        break;
                }
                Assert.True(cc.CongestionWindow >= mss);
                Assert.True(cc.SlowStartThreshold >= 2L * mss);
                // An ACK grows the window by at most what it acknowledged (slow start, Reno's and LIA's increase, W_est)
                // or by half the window (CUBIC's 1.5·cwnd cap on the target), plus one segment of credit carried over.
                if (e <= 4) Assert.True(cc.CongestionWindow - before <= Math.Max(bytes, before / 2 + 1) + mss);
            }
        });
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Processing_ACKs_allocates_nothing(CongestionControlKind kind)
    {
        var (a, b) = EstablishedPair(kind);
        var clockA = new AckClock(30 * Ms);
        var clockB = new AckClock(70 * Ms, segmentsPerAck: 2);

        void Run(int rounds)
        {
            for (var i = 0; i < rounds; i++)
            {
                clockA.Round(a);
                clockB.Round(b);
                if (i % 17 == 3) clockA.LossAndRecovery(a);
                if (i % 23 == 4) clockB.LossAndRecovery(b);
                if (i % 97 == 50) b.OnRetransmissionTimeout(clockB.NowNs, b.CongestionWindow);
                clockA.ApplicationLimited = i % 31 == 30;
            }
        }

        Run(200);
        Assert.Equal(0, Allocations.Least(() => Run(2000)));
    }
}
