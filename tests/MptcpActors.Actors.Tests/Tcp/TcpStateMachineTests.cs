using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Wire.Tcp;
using static MptcpActors.Transport.Wire.Tcp.TcpFlags;

namespace MptcpActors.Actors.Tests.Tcp;

/// <summary>Given a state and a segment, the core answers as RFC 9293 (and RFC 5961, 7323, 2018) say.</summary>
public class TcpStateMachineTests
{
    private const uint Iss = 1000;
    private const uint PeerIss = 5000;
    private static readonly TcpCoreOptions Options = new() { Mss = 1460, SendBufferSize = 64 * 1024, ReceiveBufferSize = 64 * 1024, DelayedAck = false };

    private static (TcpConnection C, RecordingSink S) Connect(TcpCoreOptions? o = null)
    {
        var s = new RecordingSink();
        var c = TcpConnection.Connect(o ?? Options, s, s, null, 40000, 80, Iss, 0, 0);
        return (c, s);
    }

    private static (TcpConnection C, RecordingSink S) Established(TcpCoreOptions? o = null, bool ts = false, bool sack = true, byte ws = 0)
    {
        var (c, s) = Connect(o);
        c.OnSegment(Seg.View(Seg.Make(PeerIss, Iss + 1, Syn | Ack, 65535, options: b =>
        {
            b.Mss(1460);
            if (ts) b.Ts(100, 0, sack);
            else if (sack) b.SackPermitted();
            b.Ws(ws);
        })), 1_000_000);
        Assert.Equal(TcpState.Established, c.State);
        s.Take();
        return (c, s);
    }

    [Fact]
    public void Active_open_sends_a_syn_with_linux_options()
    {
        var (c, s) = Connect();
        Assert.Equal(TcpState.SynSent, c.State);
        var (seq, _, flags, _, len) = Seg.Fields(s.Last);
        Assert.Equal((Iss, Syn, 0), (seq, flags, len));
        Assert.True(Seg.HasOption(s.Last, TcpOptionKind.MaximumSegmentSize));
        Assert.True(Seg.HasOption(s.Last, TcpOptionKind.SackPermitted));
        Assert.True(Seg.HasOption(s.Last, TcpOptionKind.Timestamps));
        Assert.True(Seg.HasOption(s.Last, TcpOptionKind.WindowScale));
        Assert.Equal(TcpOptionKind.MaximumSegmentSize, (TcpOptionKind)Seg.View(s.Last).Options[0]);
    }

    [Fact]
    public void Syn_ack_establishes_and_is_acknowledged()
    {
        var (c, s) = Connect();
        s.Take();
        c.OnSegment(Seg.View(Seg.Make(PeerIss, Iss + 1, Syn | Ack, 1000, options: b => b.Mss(1200))), 5_000_000);
        Assert.Equal(TcpState.Established, c.State);
        Assert.Contains("established", s.Events);
        Assert.Equal((Iss + 1, PeerIss + 1, Ack), (Seg.Fields(s.Last).Seq, Seg.Fields(s.Last).Ack, Seg.Fields(s.Last).Flags));
        Assert.Equal(1200, c.PeerMss);
        Assert.False(c.TimestampsEnabled);
        Assert.Equal(0, c.SendWindowShift);
        Assert.Equal(0, c.ReceiveWindowShift); // the peer did not scale: neither do we (RFC 7323 2.2)
    }

    [Fact]
    public void Syn_ack_acknowledging_something_else_gets_a_reset()
    {
        var (c, s) = Connect();
        s.Take();
        c.OnSegment(Seg.View(Seg.Make(PeerIss, Iss + 7, Syn | Ack)), 1);
        Assert.Equal(TcpState.SynSent, c.State);
        Assert.Equal((Iss + 7, Rst), (Seg.Fields(s.Last).Seq, Seg.Fields(s.Last).Flags));
    }

    [Fact]
    public void Reset_answering_our_syn_is_a_refusal()
    {
        var (c, s) = Connect();
        c.OnSegment(Seg.View(Seg.Make(0, Iss + 1, Rst | Ack)), 1);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpCloseReason.Refused, s.ClosedWith);
    }

    [Fact]
    public void Simultaneous_open_goes_through_syn_received()
    {
        var (c, s) = Connect();
        s.Take();
        c.OnSegment(Seg.View(Seg.Make(PeerIss, 0, Syn, options: b => b.Mss(1460))), 1);
        Assert.Equal(TcpState.SynReceived, c.State);
        Assert.Equal((Iss, PeerIss + 1, Syn | Ack), (Seg.Fields(s.Last).Seq, Seg.Fields(s.Last).Ack, Seg.Fields(s.Last).Flags));
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1, Ack)), 2);
        Assert.Equal(TcpState.Established, c.State);
    }

    [Fact]
    public void Passive_open_answers_with_the_options_offered()
    {
        var s = new RecordingSink();
        var syn = Seg.Make(PeerIss, 0, Syn, 64240, sport: 40000, dport: 80, options: b => { b.Mss(1400); b.Ts(77, 0, sackPermitted: true); b.Ws(7); });
        var c = TcpConnection.Accept(Options, s, s, null, Iss, 0, Seg.View(syn), 0)!;
        Assert.Equal(TcpState.SynReceived, c.State);
        var synAck = s.Last;
        Assert.Equal((Iss, PeerIss + 1, Syn | Ack), (Seg.Fields(synAck).Seq, Seg.Fields(synAck).Ack, Seg.Fields(synAck).Flags));
        Assert.Equal((ushort)80, Seg.View(synAck).SourcePort);
        Assert.Equal(77u, Seg.Timestamps(synAck)!.Value.Ecr);
        Assert.True(Seg.HasOption(synAck, TcpOptionKind.SackPermitted));
        Assert.True(Seg.HasOption(synAck, TcpOptionKind.WindowScale));
        Assert.Equal(7, c.SendWindowShift);
        // The third ACK may carry data.
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1, Ack | Psh, 100, payload: [1, 2, 3], sport: 40000, dport: 80, options: b => b.Ts(78, 0))), 1_000_000);
        Assert.Equal(TcpState.Established, c.State);
        Assert.Equal(3, c.Readable);
        Assert.Equal(100L << 7, c.SendWindow);
    }

    [Fact]
    public void Passive_open_without_options_falls_back_to_rfc_defaults()
    {
        var s = new RecordingSink();
        var c = TcpConnection.Accept(Options, s, s, null, Iss, 0, Seg.View(Seg.Make(PeerIss, 0, Syn)), 0)!;
        Assert.Equal(536, c.PeerMss);
        Assert.False(Seg.HasOption(s.Last, TcpOptionKind.Timestamps));
        Assert.False(Seg.HasOption(s.Last, TcpOptionKind.WindowScale));
        Assert.False(Seg.HasOption(s.Last, TcpOptionKind.SackPermitted));
    }

    /// <summary>
    /// The peer's SYN came again before our SYN/ACK reached it: the SYN/ACK is sent again (Linux), never a bare ACK — an
    /// MPTCP client mid-handshake would take a segment without MP_CAPABLE for a peer without MPTCP and fall back.
    /// </summary>
    [Fact]
    public void A_retransmitted_syn_in_syn_received_gets_the_syn_ack_again()
    {
        var s = new RecordingSink();
        var c = TcpConnection.Accept(Options, s, s, null, Iss, 0, Seg.View(Seg.Make(PeerIss, 0, Syn)), 0)!;
        s.Take();
        c.OnSegment(Seg.View(Seg.Make(PeerIss, 0, Syn)), 1_000_000_000);
        var again = Assert.Single(s.Sent);
        Assert.Equal((Iss, PeerIss + 1, Syn | Ack), (Seg.Fields(again).Seq, Seg.Fields(again).Ack, Seg.Fields(again).Flags));
        Assert.Equal(TcpState.SynReceived, c.State);
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1, Ack)), 1_000_000_001);
        Assert.Equal(TcpState.Established, c.State);
    }

    [Fact]
    public void Bad_ack_in_syn_received_is_reset()
    {
        var s = new RecordingSink();
        var c = TcpConnection.Accept(Options, s, s, null, Iss, 0, Seg.View(Seg.Make(PeerIss, 0, Syn)), 0)!;
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 50, Ack)), 1);
        Assert.Equal(TcpState.SynReceived, c.State);
        Assert.Equal((Iss + 50, Rst), (Seg.Fields(s.Last).Seq, Seg.Fields(s.Last).Flags));
    }

    [Fact]
    public void Exact_rst_resets_in_window_rst_is_challenged_and_outside_is_dropped()
    {
        var (c, s) = Established();
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1 + 100, 0, Rst)), 2);
        Assert.Equal(TcpState.Established, c.State);
        Assert.Equal((Iss + 1, PeerIss + 1, Ack), (Seg.Fields(s.Last).Seq, Seg.Fields(s.Last).Ack, Seg.Fields(s.Last).Flags));
        Assert.Equal(1, c.Statistics.ChallengeAcks);
        s.Take();
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1 + 1_000_000, 0, Rst)), 3);
        Assert.Empty(s.Sent);
        Assert.Equal(TcpState.Established, c.State);
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, 0, Rst)), 4);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpCloseReason.Reset, s.ClosedWith);
    }

    [Fact]
    public void Syn_in_established_gets_a_challenge_ack()
    {
        var (c, s) = Established();
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, 0, Syn)), 2);
        Assert.Equal(TcpState.Established, c.State);
        Assert.Equal(Ack, Seg.Fields(s.Last).Flags);
        Assert.Equal(1, c.Statistics.ChallengeAcks);
    }

    [Fact]
    public void Ack_for_unsent_data_is_answered_and_dropped()
    {
        var (c, s) = Established();
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 500, Ack, payload: [9])), 2);
        Assert.Equal(0, c.Readable);
        Assert.Equal((Iss + 1, PeerIss + 1), (Seg.Fields(s.Last).Seq, Seg.Fields(s.Last).Ack));
    }

    [Fact]
    public void Out_of_window_data_is_acknowledged_not_delivered()
    {
        var (c, s) = Established();
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1 + 200_000, Iss + 1, Ack, payload: [1, 2])), 2);
        Assert.Equal(0, c.Readable);
        Assert.Equal(PeerIss + 1, Seg.Fields(s.Last).Ack);
        Assert.Equal(1, c.Statistics.OutOfWindowDrops);
    }

    [Fact]
    public void Out_of_order_data_gets_an_immediate_ack_with_sack_and_fills_in()
    {
        var (c, s) = Established();
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 11, Iss + 1, Ack, payload: Enumerable.Repeat((byte)2, 10).ToArray())), 2);
        Assert.Equal(0, c.Readable);
        Assert.Equal(PeerIss + 1, Seg.Fields(s.Last).Ack);
        Assert.Equal([new SackBlock(PeerIss + 11, PeerIss + 21)], Seg.Sack(s.Last));
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1, Ack, payload: Enumerable.Repeat((byte)1, 10).ToArray())), 3);
        Assert.Equal(20, c.Readable);
        Assert.Equal(PeerIss + 21, Seg.Fields(s.Last).Ack);
        Assert.Empty(Seg.Sack(s.Last));
        var data = new byte[20];
        Assert.Equal(20, c.Read(data, 4));
        Assert.Equal(Enumerable.Repeat((byte)1, 10).Concat(Enumerable.Repeat((byte)2, 10)), data);
    }

    [Fact]
    public void Delayed_ack_acknowledges_every_second_segment_or_on_timer()
    {
        var (c, s) = Established(Options with { DelayedAck = true });
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1, Ack, payload: new byte[100])), 10);
        Assert.Empty(s.Sent);
        Assert.Equal(10 + Options.DelayedAckNs, c.NextDeadlineNs);
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 101, Iss + 1, Ack, payload: new byte[100])), 20);
        Assert.Single(s.Sent);
        Assert.Equal(PeerIss + 201, Seg.Fields(s.Last).Ack);
        s.Take();
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 201, Iss + 1, Ack, payload: new byte[100])), 30);
        Assert.Empty(s.Sent);
        c.OnTimer(c.NextDeadlineNs);
        Assert.Equal(PeerIss + 301, Seg.Fields(s.Last).Ack);
    }

    [Fact]
    public void Data_is_segmented_by_mss_and_freed_when_acknowledged()
    {
        var (c, s) = Established();
        Assert.Equal(5000, c.Write(new byte[5000], 10));
        // Nagle holds the 620-byte tail while full segments are unacknowledged.
        Assert.Equal([1460, 1460, 1460], s.Take().Select(b => Seg.Fields(b).Len));
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1 + 4380, Ack)), 1_000_000);
        Assert.Equal(4380, s.Acked);
        var tail = s.Take().Single(b => Seg.Fields(b).Len > 0);
        Assert.Equal((Iss + 1 + 4380, 620, Psh | Ack), (Seg.Fields(tail).Seq, Seg.Fields(tail).Len, Seg.Fields(tail).Flags));
        Assert.Equal(64 * 1024 - 620, c.SendBufferFree);
    }

    [Fact]
    public void Retransmission_timeout_backs_off_and_finally_gives_up()
    {
        var (c, s) = Established(Options with { MaxRetransmissions = 3 });
        c.Write(new byte[100], 0);
        s.Take();
        var rto = c.NextDeadlineNs;
        Assert.Equal(Options.MinRtoNs, rto); // the handshake's 1 ms RTT sample puts the RTO at its 200 ms floor
        var previous = rto;
        for (var i = 1; i <= 3; i++)
        {
            c.OnTimer(c.NextDeadlineNs);
            Assert.Equal((Iss + 1, 100), (Seg.Fields(s.Last).Seq, Seg.Fields(s.Last).Len));
            var gap = c.NextDeadlineNs - previous;
            previous = c.NextDeadlineNs;
            Assert.True(gap >= rto * (1L << i) / 2, $"backoff {i}: {gap}");
        }
        c.OnTimer(c.NextDeadlineNs);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpCloseReason.TimedOut, s.ClosedWith);
        Assert.Equal(Rst, Seg.Fields(s.Last).Flags & Rst);
    }

    [Fact]
    public void Three_duplicate_acks_trigger_fast_retransmit_without_sack()
    {
        var (c, s) = Established(sack: false);
        c.Write(new byte[1460 * 8], 10);
        s.Take();
        for (var i = 0; i < 3; i++) c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1, Ack)), 20 + i);
        Assert.True(c.InRecovery);
        var retx = s.Sent.Where(b => Seg.Fields(b).Seq == Iss + 1).ToList();
        Assert.Single(retx);
        Assert.Equal(1, c.Statistics.FastRecoveries);
    }

    [Fact]
    public void Sack_blocks_mark_the_hole_lost_and_it_is_resent_first()
    {
        var (c, s) = Established();
        c.Write(new byte[1460 * 10], 10);
        s.Take();
        // Segment 2 (seq Iss+1+1460) is lost; segments 3..6 are SACKed.
        var hole = Iss + 1 + 1460;
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, hole, Ack)), 20);
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, hole, Ack, options: b => b.Sack(new SackBlock(hole + 1460, hole + 1460 * 5)))), 21);
        Assert.True(c.InRecovery);
        Assert.Contains(s.Sent, b => Seg.Fields(b).Seq == hole && Seg.Fields(b).Len == 1460);
        Assert.Equal(1460, c.Statistics.BytesRetransmitted);
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1 + 1460 * 10, Ack)), 30);
        Assert.False(c.InRecovery);
    }

    [Fact]
    public void Peer_window_is_scaled_and_limits_what_we_send()
    {
        var (c, s) = Established(ws: 2);
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1, Ack, window: 1000)), 5);
        Assert.Equal(4000, c.SendWindow);
        c.Write(new byte[10_000], 6);
        // Two full segments fit; the 1080 bytes left of the window wait (sender SWS avoidance, RFC 9293 3.8.6.2.1).
        Assert.Equal(2920, s.Take().Sum(b => Seg.Fields(b).Len));
    }

    [Fact]
    public void Our_window_is_advertised_scaled()
    {
        var o = Options with { ReceiveBufferSize = 1 << 20 };
        var (c, s) = Established(o, ws: 0);
        Assert.Equal(5, c.ReceiveWindowShift); // as Linux: the smallest shift that brings 1 MiB under 65535
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1, Ack, payload: [1])), 5);
        Assert.Equal(((1 << 20) - 32) >> 5, Seg.Fields(s.Last).Window);
    }

    [Fact]
    public void Paws_drops_segments_with_old_timestamps()
    {
        var (c, s) = Established(ts: true);
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1, Ack, payload: [1], options: b => b.Ts(200, 0))), 2);
        Assert.Equal(1, c.Readable);
        s.Take();
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 2, Iss + 1, Ack, payload: [2], options: b => b.Ts(150, 0))), 3);
        Assert.Equal(1, c.Readable);
        Assert.Equal(1, c.Statistics.PawsDrops);
        Assert.Equal(200u, Seg.Timestamps(s.Last)!.Value.Ecr);
    }

    [Fact]
    public void Zero_window_is_probed_until_it_opens()
    {
        var (c, s) = Established();
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1, Ack, window: 0)), 2);
        c.Write(new byte[100], 3);
        Assert.Empty(s.Take());
        Assert.NotEqual(long.MaxValue, c.NextDeadlineNs);
        c.OnTimer(c.NextDeadlineNs);
        Assert.Equal((Iss + 1, 1), (Seg.Fields(s.Last).Seq, Seg.Fields(s.Last).Len));
        Assert.Equal(1, c.Statistics.WindowProbes);
        s.Take();
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 2, Ack, window: 1000)), 5_000_000_000);
        Assert.Equal(99, s.Take().Sum(b => Seg.Fields(b).Len));
    }

    [Fact]
    public void Active_close_walks_fin_wait_to_time_wait_then_closed()
    {
        var (c, s) = Established(Options with { TimeWaitNs = 1_000 });
        c.Shutdown(2);
        Assert.Equal(TcpState.FinWait1, c.State);
        Assert.Equal((Iss + 1, Fin | Ack), (Seg.Fields(s.Last).Seq, Seg.Fields(s.Last).Flags));
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 2, Ack)), 3);
        Assert.Equal(TcpState.FinWait2, c.State);
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 2, Fin | Ack)), 4);
        Assert.Equal(TcpState.TimeWait, c.State);
        Assert.Equal(PeerIss + 2, Seg.Fields(s.Last).Ack);
        Assert.Equal(TcpCloseReason.Closed, s.ClosedWith);
        c.OnTimer(c.NextDeadlineNs);
        Assert.Equal(TcpState.Closed, c.State);
    }

    [Fact]
    public void Passive_close_walks_close_wait_and_last_ack()
    {
        var (c, s) = Established();
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1, Fin | Ack, payload: [7])), 2);
        Assert.Equal(TcpState.CloseWait, c.State);
        Assert.Contains("peer-closed", s.Events);
        Assert.Equal(PeerIss + 3, Seg.Fields(s.Last).Ack);
        c.Write([1, 2], 3); // half close: we may still send
        c.Shutdown(4);
        Assert.Equal(TcpState.LastAck, c.State);
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 3, Iss + 4, Ack)), 5);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpCloseReason.Closed, s.ClosedWith);
    }

    [Fact]
    public void Simultaneous_close_goes_through_closing()
    {
        var (c, s) = Established(Options with { TimeWaitNs = 10 });
        c.Shutdown(2);
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1, Fin | Ack)), 3);
        Assert.Equal(TcpState.Closing, c.State);
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 2, Iss + 2, Ack)), 4);
        Assert.Equal(TcpState.TimeWait, c.State);
    }

    [Fact]
    public void Fin_before_missing_data_waits_for_it()
    {
        var (c, s) = Established();
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 3, Iss + 1, Fin | Ack, payload: [3])), 2);
        Assert.Equal(TcpState.Established, c.State);
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1, Ack, payload: [1, 2])), 3);
        Assert.Equal(TcpState.CloseWait, c.State);
        Assert.Equal(3, c.Readable);
        Assert.Equal(PeerIss + 5, Seg.Fields(s.Last).Ack);
    }

    [Fact]
    public void Abort_sends_a_reset()
    {
        var (c, s) = Established();
        c.Abort(2);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(Rst, Seg.Fields(s.Last).Flags & Rst);
        Assert.Equal(TcpCloseReason.Aborted, s.ClosedWith);
    }

    [Theory]
    [InlineData(Ack, 500u, 0u, Rst)]
    [InlineData(Syn, 0u, 701u, Rst | Ack)]
    [InlineData(Psh, 0u, 703u, Rst | Ack)]
    public void Segments_without_a_connection_get_the_rfc_reset(TcpFlags flags, uint expectedSeq, uint expectedAck, TcpFlags expectedFlags)
    {
        var payload = flags == Psh ? new byte[3] : [];
        var seg = Seg.View(Seg.Make(700, 500, flags, payload: payload));
        var b = new byte[60];
        var n = TcpConnection.WriteResetFor(seg, b);
        Assert.Equal(20, n);
        var (seq, ack, f, _, _) = Seg.Fields(b[..n]);
        Assert.Equal((expectedSeq, expectedAck, expectedFlags), (seq, ack, f));
        Assert.Equal(0, TcpConnection.WriteResetFor(Seg.View(Seg.Make(1, 2, Rst)), b));
    }
}
