using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;
using static MptcpActors.Transport.Wire.Tcp.TcpFlags;

namespace MptcpActors.Actors.Tests.Tcp;

/// <summary>Timers the other state tests do not reach (keepalive, FIN retransmission, TIME-WAIT), and the option hook MPTCP rides on.</summary>
public class TcpTimersAndHookTests
{
    private const uint Iss = 1000;
    private const uint PeerIss = 5000;
    private static readonly TcpCoreOptions Options = new() { SendBufferSize = 64 * 1024, ReceiveBufferSize = 64 * 1024, DelayedAck = false };

    private static (TcpConnection C, RecordingSink S) Established(TcpCoreOptions o, ITcpOptionHook? hook = null)
    {
        var s = new RecordingSink();
        var c = TcpConnection.Connect(o, s, s, hook, 40000, 80, Iss, 0, 0);
        c.OnSegment(Seg.View(Seg.Make(PeerIss, Iss + 1, Syn | Ack, options: b => b.Mss(1460))), 1_000_000);
        s.Take();
        return (c, s);
    }

    [Fact]
    public void Keepalive_probes_after_idle_and_gives_up_after_the_probes()
    {
        var o = Options with { Keepalive = true, KeepaliveIdleNs = 10_000_000_000, KeepaliveIntervalNs = 1_000_000_000, KeepaliveProbes = 3 };
        var (c, s) = Established(o);
        Assert.Equal(1_000_000 + o.KeepaliveIdleNs, c.NextDeadlineNs);
        for (var i = 0; i < 3; i++)
        {
            c.OnTimer(c.NextDeadlineNs);
            var (seq, ack, flags, _, len) = Seg.Fields(s.Last);
            Assert.Equal((Iss, PeerIss + 1, Ack, 0), (seq, ack, flags, len)); // SEG.SEQ = SND.NXT - 1
        }
        // An answer resets the count and the idle timer.
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1, Ack)), 20_000_000_000);
        Assert.Equal(20_000_000_000 + o.KeepaliveIdleNs, c.NextDeadlineNs);
        for (var i = 0; i < 4; i++) c.OnTimer(c.NextDeadlineNs);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpCloseReason.TimedOut, s.ClosedWith);
    }

    [Fact]
    public void A_lost_fin_is_retransmitted()
    {
        var (c, s) = Established(Options);
        c.Shutdown(2_000_000);
        Assert.Equal(Fin | Ack, Seg.Fields(s.Last).Flags);
        s.Take();
        c.OnTimer(c.NextDeadlineNs);
        Assert.Contains(s.Sent, b => Seg.Fields(b).Flags == (Fin | Ack) && Seg.Fields(b).Seq == Iss + 1);
        Assert.Equal(TcpState.FinWait1, c.State);
    }

    [Fact]
    public void Time_wait_acknowledges_a_retransmitted_fin_and_restarts()
    {
        var (c, s) = Established(Options with { TimeWaitNs = 1_000_000_000 });
        c.Shutdown(2_000_000);
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 2, Fin | Ack)), 3_000_000);
        Assert.Equal(TcpState.TimeWait, c.State);
        s.Take();
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 2, Fin | Ack)), 500_000_000);
        Assert.Equal(PeerIss + 2, Seg.Fields(s.Last).Ack);
        Assert.Equal(500_000_000 + 1_000_000_000, c.NextDeadlineNs);
    }

    private sealed class DssHook : ITcpOptionHook
    {
        public List<(TcpState State, int Length)> Seen { get; } = [];
        public bool Refuse { get; init; }

        public int OptionSpace(in OutgoingSegmentInfo segment) => 12;

        public int WriteOptions(Span<byte> destination, in OutgoingSegmentInfo segment, ReadOnlySpan<byte> payload)
        {
            var w = new TcpOptionWriter(destination);
            w.TryWrite(DssOption.Create(dataAck: segment.Ack));
            return w.Finish();
        }

        public bool OnOptions(ReadOnlySpan<byte> options, in IncomingSegmentInfo segment)
        {
            Seen.Add((segment.State, options.Length));
            return options.Length > 0 && options[0] == 30 && (options[3] & DssOption.FlagDataFin) != 0;
        }

        public bool AcceptSyn(ReadOnlySpan<byte> options, bool synAck) => !Refuse;
    }

    [Fact]
    public void The_hook_adds_options_to_every_segment_and_sees_every_incoming_one()
    {
        var hook = new DssHook();
        var (c, s) = Established(Options, hook);
        Assert.Single(hook.Seen); // the SYN/ACK's
        c.Write(new byte[3000], 2_000_000);
        var segments = s.Take();
        Assert.All(segments, b => Assert.True(Seg.HasOption(b, TcpOptionKind.Mptcp)));
        // Payload shrinks by the hook's option space (MSS 1460 − 12 bytes of DSS).
        Assert.Equal(1448, Seg.Fields(segments[0]).Len);
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1 + 1448, Ack, options: b => b.Raw([30, 4, 0x20, 0]))), 3_000_000);
        Assert.Equal(2, hook.Seen.Count);
        Assert.Equal(TcpState.Established, hook.Seen[^1].State);
        // A pure ACK is not acknowledged by TCP, but the hook can ask for one (MPTCP answers DATA_FIN so).
        s.Take();
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1 + 1448, Ack, options: b => b.Raw([30, 4, 0x20, 0]))), 4_000_000);
        Assert.DoesNotContain(s.Sent, b => Seg.Fields(b).Len == 0);
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1 + 1448, Ack, options: b => b.Raw([30, 4, 0x20, DssOption.FlagDataFin]))), 5_000_000);
        Assert.Contains(s.Sent, b => Seg.Fields(b).Len == 0);
    }

    [Fact]
    public void The_hook_may_refuse_a_syn()
    {
        var s = new RecordingSink();
        var syn = Seg.View(Seg.Make(PeerIss, 0, Syn, sport: 40000, dport: 80));
        Assert.Null(TcpConnection.Accept(Options, s, s, new DssHook { Refuse = true }, Iss, 0, syn, 0));
        Assert.Empty(s.Sent);
        var active = TcpConnection.Connect(Options, s, s, new DssHook { Refuse = true }, 40000, 80, Iss, 0, 0);
        s.Take();
        active.OnSegment(Seg.View(Seg.Make(PeerIss, Iss + 1, Syn | Ack)), 1);
        Assert.Equal(TcpState.Closed, active.State);
        Assert.Equal(Rst, Seg.Fields(s.Last).Flags);
    }
}
