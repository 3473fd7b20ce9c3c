using MptcpActors.Actors.Mptcp;
using MptcpActors.Actors.Mptcp.Scheduling;
using MptcpActors.Tests.Shared;

namespace MptcpActors.Actors.Tests.Mptcp;

/// <summary>The data level of a connection, driven directly.</summary>
public class MptcpConnectionCoreTests
{
    private const ulong LocalIdsn = 1000, RemoteIdsn = 5000;
    private const long Ms = 1_000_000;
    private const long SubflowRto = 300 * Ms;

    private static MptcpConnectionCore OneSubflow(byte[] data)
    {
        var core = new MptcpConnectionCore(new MptcpConnectionOptions(), LocalIdsn, RemoteIdsn);
        core.AddSubflow(1);
        Report(core, Idle(1));
        core.OnDataAck(LocalIdsn + 1, LocalIdsn + 1 + 1_000_000, 0);
        Assert.Equal(data.Length, core.Write(data));
        return core;
    }

    /// <summary>An established subflow holding nothing unacknowledged.</summary>
    private static SubflowView Idle(int id, bool backup = false) =>
        new(id, 20 * Ms, 100_000, 0, 100_000, 1460, backup, false, true, SubflowRto);

    /// <summary>An established subflow holding <paramref name="unacked"/> bytes, its last ACK at <paramref name="lastAckNs"/>.</summary>
    private static SubflowView Busy(int id, long unacked, long lastAckNs) =>
        new(id, 20 * Ms, 100_000, unacked, 0, 1460, false, false, true, SubflowRto, unacked, lastAckNs);

    /// <summary>A report made after the subflow got everything handed to it.</summary>
    private static void Report(MptcpConnectionCore core, SubflowView view) =>
        core.UpdateSubflow(view with { Handed = core.SubflowBytes(view.Id).Scheduled });

    private static (ulong Dsn, int Length) Next(MptcpConnectionCore core, long now) => Next(core, now, out _);

    private static (ulong Dsn, int Length) Next(MptcpConnectionCore core, long now, out int subflow)
    {
        Span<int> ids = stackalloc int[4];
        var n = core.NextChunk(ids, out var dsn, out var length, now);
        subflow = n == 0 ? -1 : ids[0];
        return n == 0 ? (0, 0) : (dsn, length);
    }

    [Fact]
    public void Data_a_subflow_acknowledged_but_the_peer_did_not_is_resent_at_data_level()
    {
        var core = OneSubflow(new byte[3000]);
        Assert.Equal((LocalIdsn + 1, 3000), Next(core, 0));
        // TCP delivered it (the subflow holds nothing) but no DATA_ACK came: the timer resends on the idle subflow.
        Report(core, Idle(1));
        core.OnTimer(core.NextDeadlineNs);
        Assert.Equal((LocalIdsn + 1, 3000), Next(core, core.NextDeadlineNs));
        Assert.Equal(3000, core.BytesReinjected);
    }

    [Fact]
    public void Data_a_subflow_still_holds_is_left_to_its_tcp()
    {
        var core = OneSubflow(new byte[3000]);
        Assert.Equal((LocalIdsn + 1, 3000), Next(core, 0));
        Report(core, Busy(1, 3000, 0));
        Assert.Equal(SubflowRto, core.NextDeadlineNs);
        for (var i = 0; i < 3; i++)
        {
            core.OnTimer(core.NextDeadlineNs);
            Assert.Equal((0UL, 0), Next(core, core.NextDeadlineNs));
        }
        Assert.Equal(0, core.BytesReinjected);
    }

    /// <summary>A regular subflow (1) that went silent with data, a backup (2) idle beside it.</summary>
    private static MptcpConnectionCore RegularAndBackup(out long lastAck)
    {
        var core = new MptcpConnectionCore(new MptcpConnectionOptions(), LocalIdsn, RemoteIdsn);
        core.AddSubflow(1);
        core.AddSubflow(2);
        Report(core, Idle(1));
        Report(core, Idle(2, backup: true));
        core.OnDataAck(LocalIdsn + 1, LocalIdsn + 1 + 1_000_000, 0);
        core.Write(new byte[40_000]);
        Assert.Equal((LocalIdsn + 1, 40_000), Next(core, 0, out var on));
        Assert.Equal(1, on);
        lastAck = 5 * Ms;
        Report(core, Busy(1, 40_000, lastAck));
        return core;
    }

    [Fact]
    public void A_backup_takes_over_once_the_regular_subflow_went_two_intervals_without_an_ack()
    {
        var core = RegularAndBackup(out var lastAck);
        // First interval, the subflow's RTO: one silent interval may be a loss TCP repairs, nothing moves.
        var first = core.NextDeadlineNs;
        Assert.Equal(SubflowRto, first);
        core.OnTimer(first);
        Assert.Equal((0UL, 0), Next(core, first));
        core.Write(new byte[1000]);
        Assert.Equal((0UL, 0), Next(core, first));
        // A silent subflow no longer sets the interval: the next look comes after TCP's minimum RTO.
        var second = core.NextDeadlineNs;
        Assert.Equal(first + 200 * Ms, second);
        core.OnTimer(second);
        // What it holds is resent on the backup, and the new data goes there too, though it is not stale yet.
        Assert.Equal((LocalIdsn + 1, 40_000), Next(core, second, out var on));
        Assert.Equal(2, on);
        Assert.Equal(40_000, core.BytesReinjected);
        Assert.Equal((LocalIdsn + 40_001, 1000), Next(core, second, out on));
        Assert.Equal(2, on);
        Assert.False(core.IsStale(1));
        // One ACK on it: it answers again, and new data goes back to it.
        Report(core, Busy(1, 40_000, lastAck + 1));
        NewDataGoesToTheRegularSubflow(core, second);
    }

    /// <summary>Once subflow 1 acknowledged everything, the next write goes to it (it follows 41 000 bytes written).</summary>
    private static void NewDataGoesToTheRegularSubflow(MptcpConnectionCore core, long now)
    {
        Report(core, Idle(1));
        core.Write(new byte[500]);
        Assert.Equal((LocalIdsn + 41_001, 500), Next(core, now, out var on));
        Assert.Equal(1, on);
    }

    [Fact]
    public void A_silent_regular_subflow_is_stale_after_stale_loss_count_intervals_and_active_again_when_it_hears_back()
    {
        var core = RegularAndBackup(out var lastAck);
        var now = 0L;
        for (var i = 1; i <= 4; i++)
        {
            now = core.NextDeadlineNs;
            core.OnTimer(now);
            Assert.False(core.IsStale(1), $"stale after {i} intervals");
            Next(core, now, out _);
            Report(core, Idle(2, backup: true)); // the backup's retransmission was acknowledged at TCP level
        }
        now = core.NextDeadlineNs;
        core.OnTimer(now);
        Assert.True(core.IsStale(1));
        Assert.Equal(1, core.SubflowsStale);
        // What it held goes to the backup, and so does new data.
        var reinjected = core.BytesReinjected;
        Assert.Equal((LocalIdsn + 1, 40_000), Next(core, now, out var on));
        Assert.Equal(2, on);
        Assert.Equal(reinjected + 40_000, core.BytesReinjected);
        core.Write(new byte[1000]);
        Assert.Equal((LocalIdsn + 40_001, 1000), Next(core, now, out on));
        Assert.Equal(2, on);

        // An ACK on it (its peer answered): active again, new data back on it.
        core.OnDataAck(LocalIdsn + 40_001, LocalIdsn + 1 + 1_000_000, now);
        Report(core, Busy(1, 1000, lastAck + 1));
        Assert.False(core.IsStale(1));
        Assert.Equal(1, core.SubflowsRecovered);
        NewDataGoesToTheRegularSubflow(core, now);
    }

    [Fact]
    public void A_regular_subflow_whose_acks_keep_coming_is_never_stale_and_the_backup_gets_nothing()
    {
        var core = RegularAndBackup(out var lastAck);
        for (var i = 0; i < 8; i++)
        {
            var now = core.NextDeadlineNs;
            core.OnTimer(now);
            Assert.Equal((0UL, 0), Next(core, now));
            Report(core, Busy(1, 40_000, lastAck += Ms)); // duplicate ACKs: slow, but alive
        }
        Assert.False(core.IsStale(1));
        Assert.Equal(0, core.BytesReinjected);
    }

    [Fact]
    public void A_lone_silent_subflow_is_not_called_stale_with_nothing_to_take_over()
    {
        var core = OneSubflow(new byte[3000]);
        Next(core, 0);
        Report(core, Busy(1, 3000, 0));
        for (var i = 0; i < 8; i++) core.OnTimer(core.NextDeadlineNs);
        Assert.False(core.IsStale(1));
    }

    [Fact]
    public void After_falling_back_to_tcp_nothing_is_resent_at_data_level()
    {
        var core = OneSubflow(new byte[3000]);
        Assert.Equal((LocalIdsn + 1, 3000), Next(core, 0));
        core.FallBack();
        // TCP delivers every byte in order now: a resent range would be new bytes in the stream.
        Assert.Equal(long.MaxValue, core.NextDeadlineNs);
        core.OnTimer(1_000_000_000);
        core.RemoveSubflow(1);
        core.AddSubflow(1);
        Report(core, Idle(1));
        Assert.Equal((0UL, 0), Next(core, 2_000_000_000));
        Assert.Equal(0, core.BytesReinjected);
        // The acknowledgement TCP's ACK stands for frees the buffer as before.
        Assert.Equal(3000, core.OnDataAck(LocalIdsn + 3001, LocalIdsn + 1_000_000, 3_000_000_000));
    }

    [Fact]
    public void A_report_made_before_the_data_reached_the_subflow_does_not_make_it_idle()
    {
        var core = new MptcpConnectionCore(new MptcpConnectionOptions(), LocalIdsn, RemoteIdsn);
        core.AddSubflow(1);
        core.AddSubflow(2);
        var fast = Idle(2) with { SrttNs = 10 * Ms, SendSpace = 30_000 };
        Report(core, Idle(1));
        Report(core, fast);
        core.OnDataAck(LocalIdsn + 1, LocalIdsn + 1 + 1_000_000, 0);
        core.Write(new byte[60_000]);
        var hole = Next(core, 0, out var on);
        Assert.Equal((LocalIdsn + 1, 2), (hole.Dsn, on));
        var rest = Next(core, 0, out on);
        Assert.Equal((hole.Dsn + (ulong)hole.Length, 1), (rest.Dsn, on));
        // Subflow 2's node dies with the hole: its last report, made before the chunk reached it (they crossed, as a
        // remote subflow's batch and the connection's data do), says it holds nothing. Subflow 1's ACKs keep coming.
        core.UpdateSubflow(fast);
        var now = 0L;
        var resentOn = new List<int>();
        for (var i = 0; i < 6 && !resentOn.Contains(1); i++)
        {
            Report(core, Busy(1, rest.Length, now + 1) with { SendSpace = 100_000 });
            now = core.NextDeadlineNs;
            core.OnTimer(now);
            for (var c = Next(core, now, out on); c.Length > 0; c = Next(core, now, out on))
                if (c.Dsn == hole.Dsn) resentOn.Add(on);
        }
        // The hole goes to the subflow that answers, never again to the silent one.
        Assert.Equal([1], resentOn);
    }

    [Fact]
    public void The_hole_at_data_ack_is_resent_when_the_peers_window_is_full_of_data_beyond_it()
    {
        // The window's right edge is DATA_ACK + window (RFC 8684 3.3.4): data beyond the hole filled it, yet the hole
        // itself sits at its left edge and may always go.
        const int window = 100_000;
        var core = new MptcpConnectionCore(new MptcpConnectionOptions(), LocalIdsn, RemoteIdsn);
        core.AddSubflow(1);
        core.AddSubflow(2);
        Report(core, Idle(1) with { SendSpace = 0 });
        Report(core, Idle(2) with { SendSpace = 30_000 });
        core.OnDataAck(LocalIdsn + 1, LocalIdsn + 1 + window, 0);
        core.Write(new byte[200_000]);
        var hole = Next(core, 0, out var on);
        Assert.Equal((LocalIdsn + 1, 2), (hole.Dsn, on));
        Report(core, Idle(1));
        var sent = (ulong)hole.Length;
        for (var c = Next(core, 0); c.Length > 0; c = Next(core, 0)) sent += (ulong)c.Length;
        Assert.Equal((ulong)window, sent);
        // Subflow 1's peer took all it carried; the DATA_ACK stays at the hole, the window full; subflow 2 is gone.
        Report(core, Idle(1));
        core.OnDataAck(LocalIdsn + 1, LocalIdsn + 1 + window, 1 * Ms);
        core.RemoveSubflow(2);
        Assert.Equal((hole.Dsn, hole.Length), Next(core, 1 * Ms, out on));
        Assert.Equal(1, on);
    }

    /// <summary>
    /// Bursts that each leave the connection with nothing unacknowledged and nothing unread (a request and its answer,
    /// the answer's segments out of order): the send and reassembly buffers are given back after every burst and taken
    /// again for the next from the shared pool, at no allocation (arrays dropped to the GC instead would cost 16 KiB
    /// and more a burst).
    /// </summary>
    [Fact]
    public void Buffers_given_back_between_bursts_are_taken_again_without_allocating()
    {
        var core = new MptcpConnectionCore(new MptcpConnectionOptions(), LocalIdsn, RemoteIdsn);
        core.AddSubflow(1);
        core.OnDataAck(LocalIdsn + 1, LocalIdsn + 1 + 1_000_000, 0);
        var burst = new byte[40_000];
        var chunk = new byte[1 << 20];
        var sent = LocalIdsn + 1;
        var peer = RemoteIdsn + 1;
        long written = 0, read = 0;
        void Bursts(int count)
        {
            for (var i = 0; i < count; i++)
            {
                written += core.Write(burst);
                while (true)
                {
                    Report(core, Idle(1));
                    var (dsn, length) = Next(core, 0);
                    if (length == 0) break;
                    core.CopySendData(dsn, chunk.AsSpan(0, length));
                    sent += (ulong)length;
                }
                core.OnDataAck(sent, sent + 1_000_000, 0);
                core.OnData(peer + 1400, burst.AsSpan(0, 2600));
                core.OnData(peer, burst.AsSpan(0, 1400));
                peer += 4000;
                read += core.Read(chunk);
            }
        }

        Bursts(50);
        Assert.Equal(0, Allocations.Least(() => Bursts(500)));
        Assert.Equal(written, (long)(core.DataUna - (LocalIdsn + 1)));
        Assert.Equal(written / 10, read);
    }

    [Fact]
    public void A_failed_subflows_data_is_reinjected_in_pieces_in_order_without_copying_the_backlog_per_piece()
    {
        // 16 MiB on subflow 1 in 64 KiB chunks; it goes, and subflow 2 with room for one segment at a time takes it
        // all again: 256 ranges, each cut into 45 pieces, the rest of each put back at the front every time.
        const int Size = 16 << 20;
        var core = new MptcpConnectionCore(new MptcpConnectionOptions { SendBuffer = Size }, LocalIdsn, RemoteIdsn);
        core.AddSubflow(1);
        core.OnDataAck(LocalIdsn + 1, LocalIdsn + 1 + Size, 0);
        Assert.Equal(Size, core.Write(new byte[Size]));
        var first = 0L;
        while (first < Size)
        {
            Report(core, new SubflowView(1, 20 * Ms, 1 << 30, 0, 1 << 30, 1460, false, false, true, SubflowRto));
            first += Next(core, 0).Length;
        }
        core.AddSubflow(2);
        core.RemoveSubflow(1);
        var expected = LocalIdsn + 1;
        var inOrder = true;
        var before = GC.GetAllocatedBytesForCurrentThread();
        while (true)
        {
            Report(core, new SubflowView(2, 20 * Ms, 1 << 30, 0, 1460, 1460, false, false, true, SubflowRto));
            var (dsn, length) = Next(core, 0);
            if (length == 0) break;
            inOrder &= dsn == expected;
            expected += (ulong)length;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(inOrder, "a piece out of order");
        Assert.Equal(LocalIdsn + 1 + Size, expected);
        Assert.Equal(Size, core.BytesReinjected);
        // What remains is subflow 2's own record of the 11,000-odd pieces (its queue doubling up to 16 Ki entries of 16
        // bytes: about 0.5 MB); a backlog copied per piece was over 20 MB.
        Assert.True(allocated < 1 << 20, $"reinjecting allocated {allocated:N0} bytes");
    }

    /// <summary>
    /// Subflow 2 took the first 64 KiB or so (the hole at DATA_ACK), subflow 1 the rest of 2 MiB; subflow 1's TCP peer acknowledged
    /// all but its last <paramref name="unacked"/> bytes, and its retransmission timer fired. Returns the time of its last ACK.
    /// </summary>
    private static MptcpConnectionCore HoleOnTwoAndATimeoutOnOne(int unacked, out long lastAck, out int hole)
    {
        const int Size = 2 << 20;
        var core = new MptcpConnectionCore(new MptcpConnectionOptions { SendBuffer = Size }, LocalIdsn, RemoteIdsn);
        core.AddSubflow(1);
        core.AddSubflow(2);
        core.OnDataAck(LocalIdsn + 1, LocalIdsn + 1 + Size, 0);
        core.Write(new byte[Size]);
        Report(core, Idle(1) with { SendSpace = 0 });
        Report(core, Idle(2) with { SendSpace = 64 * 1024 });
        var first = Next(core, 0, out var on);
        Assert.Equal((LocalIdsn + 1, 2), (first.Dsn, on));
        hole = first.Length;
        Report(core, Busy(2, hole, 1 * Ms));
        for (var sent = hole; sent < Size;)
        {
            Report(core, Idle(1) with { SendSpace = 1 << 30 });
            sent += Next(core, 0, out on).Length;
            Assert.Equal(1, on);
        }
        lastAck = 2 * Ms;
        core.UpdateSubflow(Busy(1, unacked, lastAck) with { Handed = core.SubflowBytes(1).Scheduled }, retransmissionTimedOut: true);
        return core;
    }

    [Fact]
    public void A_retransmission_timeout_resends_only_what_the_subflows_tcp_peer_has_not_acknowledged_and_the_hole_goes_first()
    {
        // DATA_ACK is stuck at subflow 2's hole, so all 2 MiB subflow 1 carried are unacknowledged at data level, but its
        // TCP peer has all but the last 100 000 bytes: those alone are worth resending (Linux resends nothing more).
        var core = HoleOnTwoAndATimeoutOnOne(100_000, out _, out var hole);
        // Subflow 2 has no room, and subflow 1 is in timeouts: nothing goes yet. Then subflow 2's node dies, and a third
        // subflow comes up.
        Assert.Equal((0UL, 0), Next(core, 3 * Ms));
        core.RemoveSubflow(2);
        core.AddSubflow(3);
        Report(core, Idle(3) with { SendSpace = 1 << 30 });
        var resent = new List<(ulong Dsn, int Length)>();
        for (var c = Next(core, 3 * Ms, out var on); c.Length > 0; c = Next(core, 3 * Ms, out on))
        {
            Assert.Equal(3, on);
            resent.Add(c);
        }
        // The hole first, then the timed-out tail: no more than the two, each once.
        Assert.Equal(LocalIdsn + 1, resent[0].Dsn);
        Assert.Equal(hole + 100_000, core.BytesReinjected);
        const ulong tail = LocalIdsn + 1 + (2 << 20) - 100_000;
        Assert.All(resent, r => Assert.True(r.Dsn + (ulong)r.Length <= LocalIdsn + 1 + (ulong)hole || r.Dsn >= tail, $"{r} resent"));
    }

    /// <summary>Two subflows, only the first with room: <paramref name="bytes"/> written, all sent on it.</summary>
    private static MptcpConnectionCore SentOnTheFirstOfTwo(int bytes)
    {
        var core = new MptcpConnectionCore(new MptcpConnectionOptions(), LocalIdsn, RemoteIdsn);
        core.AddSubflow(1);
        core.AddSubflow(2);
        Report(core, Idle(1));
        Report(core, Idle(2) with { SendSpace = 0 });
        core.OnDataAck(LocalIdsn + 1, LocalIdsn + 1 + 1_000_000, 0);
        core.Write(new byte[bytes]);
        Assert.Equal((LocalIdsn + 1, bytes), Next(core, 0, out var on));
        Assert.Equal(1, on);
        return core;
    }

    [Fact]
    public void A_range_resent_on_a_subflow_that_then_fails_is_not_resent_again_while_the_subflow_that_timed_out_answers()
    {
        var core = SentOnTheFirstOfTwo(30_000);
        int on;
        // Subflow 1 times out: its unacknowledged 30 000 bytes go to subflow 2.
        core.UpdateSubflow(Busy(1, 30_000, 1 * Ms) with { Handed = core.SubflowBytes(1).Scheduled }, retransmissionTimedOut: true);
        Report(core, Idle(2));
        Assert.Equal((LocalIdsn + 1, 30_000), Next(core, 0, out on));
        Assert.Equal(2, on);
        // Subflow 1 answers again (it still carries them), and subflow 2's node dies: subflow 1 delivers them, nothing
        // goes a third time.
        Report(core, Busy(1, 30_000, 2 * Ms) with { SendSpace = 100_000 });
        core.RemoveSubflow(2);
        Assert.Equal((0UL, 0), Next(core, 0));
        Assert.Equal(30_000, core.BytesReinjected);
    }

    [Fact]
    public void Reinjected_data_waits_for_a_subflow_in_retransmission_timeouts_to_answer()
    {
        var core = new MptcpConnectionCore(new MptcpConnectionOptions(), LocalIdsn, RemoteIdsn);
        core.AddSubflow(1);
        core.AddSubflow(2);
        Report(core, Idle(1) with { SendSpace = 0 });
        Report(core, Idle(2));
        core.OnDataAck(LocalIdsn + 1, LocalIdsn + 1 + 1_000_000, 0);
        core.Write(new byte[3000]);
        Assert.Equal((LocalIdsn + 1, 3000), Next(core, 0, out var on));
        Assert.Equal(2, on);
        core.Write(new byte[2000]);
        Report(core, Idle(1));
        Assert.Equal((LocalIdsn + 3001, 2000), Next(core, 0, out on));
        Assert.Equal(1, on);
        // Subflow 1's timer fired, then subflow 2 is gone: what 2 held waits rather than joining the queue of a path that
        // may be dead too.
        core.UpdateSubflow(Busy(1, 2000, 1 * Ms) with { Handed = core.SubflowBytes(1).Scheduled, SendSpace = 100_000 }, retransmissionTimedOut: true);
        core.RemoveSubflow(2);
        Assert.Equal((0UL, 0), Next(core, 2 * Ms));
        // An ACK on it: it answers, and takes it — not its own 2000 bytes its timeout had queued: it still carries them.
        Report(core, Busy(1, 2000, 2 * Ms) with { SendSpace = 100_000 });
        Assert.Equal((LocalIdsn + 1, 3000), Next(core, 2 * Ms, out on));
        Assert.Equal(1, on);
        Assert.Equal((0UL, 0), Next(core, 2 * Ms));
        Assert.Equal(3000, core.BytesReinjected);
    }

    [Fact]
    public void A_range_its_subflow_refused_is_sent_again_even_after_another_subflow_that_took_it_fails()
    {
        var core = SentOnTheFirstOfTwo(30_000);
        int on;
        // Subflow 1's send buffer had room for 10 000 only: the rest goes to subflow 2, whose node then dies.
        core.Requeue(1, LocalIdsn + 10_001, 20_000);
        Report(core, Busy(1, 10_000, 1 * Ms) with { SendSpace = 0 });
        Report(core, Idle(2));
        Assert.Equal((LocalIdsn + 10_001, 20_000), Next(core, 0, out on));
        Assert.Equal(2, on);
        core.RemoveSubflow(2);
        // Subflow 1 answers and never carried those 20 000 bytes: they go again, on it.
        Report(core, Busy(1, 10_000, 2 * Ms) with { SendSpace = 100_000 });
        Assert.Equal((LocalIdsn + 10_001, 20_000), Next(core, 0, out on));
        Assert.Equal(1, on);
    }
}
