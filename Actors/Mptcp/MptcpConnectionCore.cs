using MptcpActors.Actors.Mptcp.Scheduling;
using MptcpActors.Actors.Tcp;

namespace MptcpActors.Actors.Mptcp;

/// <summary>Sizes and timings of one MPTCP connection's data level.</summary>
public sealed record MptcpConnectionOptions
{
    public int SendBuffer { get; init; } = 4 << 20;
    public int ReceiveWindow { get; init; } = 4 << 20;
    /// <summary>Most bytes handed to a subflow in one message.</summary>
    public int MaxChunk { get; init; } = 64 * 1024;
    /// <summary>
    /// The data-level retransmission interval when no subflow's RTO sets one (Linux: TCP_RTO_MIN in __mptcp_set_timeout).
    /// </summary>
    public long MinRetransmitIntervalNs { get; init; } = 200_000_000;
    /// <summary>
    /// Data-level retransmission intervals in a row, past this many, that a subflow holds data and hears nothing before it
    /// is stale, if another subflow can take over (mptcp.stale-loss-count; Linux: net.mptcp.stale_loss_cnt).
    /// </summary>
    public int StaleLossCount { get; init; } = 4;
    public SchedulerKind Scheduler { get; init; } = SchedulerKind.Default;
}

/// <summary>
/// The data level of one MPTCP connection (RFC 8684 3.3), sans I/O: the send buffer in data sequence space, the
/// scheduler placing chunks of it on subflows, reinjection of what a failed or stale subflow held, the data-level
/// retransmission timer, the peer's DATA_ACK and connection-level window, reassembly of data arriving over all
/// subflows, and DATA_FIN in both directions. Subflows are known by id and a <see cref="SubflowView"/> of their state;
/// what to send where comes out of <see cref="NextChunk"/>.
/// </summary>
public sealed class MptcpConnectionCore
{
    /// <summary>A data segment's DSS option: DATA_ACK, DSN, subflow sequence, length, checksum (RFC 8684 3.3).</summary>
    private const int DssSpace = 28;
    private readonly MptcpConnectionOptions _o;
    private readonly ByteRing _send;
    private readonly DataReassembly _recv;
    private readonly IPacketScheduler _scheduler;
    private readonly List<ConnectionSubflow> _subflows = [];
    private readonly ReinjectionQueue _reinject = new();
    /// <summary>Scratch for the ranges one subflow gives up, before what others carry is taken out of them.</summary>
    private readonly ReinjectionQueue _givenUp = new();
    // The scheduler looks at the first MaxViews subflows; the array grows with the subflows (most connections have two).
    private const int MaxViews = 16;
    private SubflowView[] _views = [];
    private readonly int[] _chosen = new int[16];
    private ulong _dataUna;
    private ulong _sndNxt;
    private ulong _peerWindowEnd;
    private bool _finQueued;
    private long _rtoAt = long.MaxValue;
    /// <summary>The oldest unacknowledged chunk, resent on this subflow by the retransmission timer (Linux: __mptcp_retrans).</summary>
    private (int Id, ulong Dsn, int Length)? _retransmit;
    private ulong? _peerDataFin;
    private bool _fellBack;

    public MptcpConnectionCore(MptcpConnectionOptions options, ulong localIdsn, ulong remoteIdsn)
    {
        _o = options;
        _send = new ByteRing(options.SendBuffer);
        _recv = new DataReassembly(remoteIdsn + 1, options.ReceiveWindow);
        _scheduler = PacketSchedulerFactory.Create(options.Scheduler);
        _dataUna = _sndNxt = localIdsn + 1;
        _peerWindowEnd = _dataUna + 65535;
    }

    public ulong DataUna => _dataUna;
    /// <summary>The DSN our DATA_FIN takes, once queued: right after all data.</summary>
    public ulong? DataFinDsn => _finQueued ? _dataUna + (ulong)_send.Count : null;
    /// <summary>The peer acknowledged our DATA_FIN.</summary>
    public bool DataFinAcked { get; private set; }
    /// <summary>Every byte the application wrote and the DATA_FIN are acknowledged by the peer.</summary>
    public bool SendDone => DataFinAcked;
    public bool PeerClosed => _peerDataFin is { } f && _recv.NextDsn == f;
    /// <summary>The DATA_ACK to send: the next DSN expected, counting the peer's DATA_FIN once all data before it is in.</summary>
    public ulong DataAck => PeerClosed ? _recv.NextDsn + 1 : _recv.NextDsn;
    /// <summary>The right edge of our connection-level receive window.</summary>
    public ulong ReceiveWindowEnd => _recv.WindowEnd;
    public int Readable => _recv.Readable;
    public int SendBufferFree => _finQueued ? 0 : _send.Free;
    public long BytesReinjected { get; private set; }
    public long DataRetransmissionTimeouts { get; private set; }
    /// <summary>Subflows judged stale, and stale ones that came back (Linux: MPTcpExtSubflowStale, MPTcpExtSubflowRecover).</summary>
    public long SubflowsStale { get; private set; }
    public long SubflowsRecovered { get; private set; }
    public long NextDeadlineNs => _rtoAt;
    public int SubflowCount => _subflows.Count;
    /// <summary>Everything written has been handed to some subflow at least once and nothing waits for reinjection.</summary>
    public bool AllSent => _sndNxt == _dataUna + (ulong)_send.Count && _reinject.Count == 0;

    /// <summary>Queues application data; returns how many bytes fit.</summary>
    public int Write(ReadOnlySpan<byte> data) => _finQueued ? 0 : _send.Append(data);

    /// <summary>The application will write no more: DATA_FIN follows the data (RFC 8684 3.3.3).</summary>
    public void Close() => _finQueued = true;

    public int Read(Span<byte> destination) => _recv.Read(destination);

    public void AddSubflow(int id) => _subflows.Add(new ConnectionSubflow(id) { RedundantNext = _dataUna });

    /// <summary>
    /// A subflow's new state. <see cref="SubflowView.Stale"/> is the connection's own judgement (see
    /// <see cref="CheckStale"/>), not taken from <paramref name="view"/>.
    /// </summary>
    public void UpdateSubflow(in SubflowView view, bool retransmissionTimedOut = false)
    {
        if (Find(view.Id) is not { } s) return;
        var wasAnswering = s.Answering;
        s.View = view;
        if (s.StaleCount > 0 && view.LastAckNs != s.StaleAckNs)
        {
            // Its peer answered: progress, and a stale subflow is active again (Linux: mptcp_subflow_active, chk_stale).
            if (s.Stale) SubflowsRecovered++;
            s.Stale = false;
            s.StaleCount = 0;
        }
        // Its retransmission timer fired: the path may be gone. With another regular subflow alive, what its TCP peer has not
        // acknowledged is resent there at once (the receiver drops duplicates), so a dead path costs one RTO of delivery,
        // not the several data-level intervals until it counts stale. Backups are not brought in this way: they wait until
        // it is silent (see CheckStale).
        if (retransmissionTimedOut && !s.TimedOut && HasOtherHealthyRegular(s)) ReinjectUnacknowledged(s);
        s.TimedOut = retransmissionTimedOut;
        // It answers again and carries on with what it holds: the copies its timeout or silence queued that no other
        // subflow took yet need not go anywhere (it would otherwise get its own data back).
        if (!wasAnswering && s.Answering)
            foreach (var (dsn, length) in s.Outstanding) _reinject.Remove(dsn, length);
    }

    private bool HasOtherHealthyRegular(ConnectionSubflow subflow)
    {
        foreach (var s in _subflows)
            if (s != subflow && s.Usable && !s.View.Backup && !s.TimedOut) return true;
        return false;
    }

    private bool HasOtherAnswering(ConnectionSubflow subflow)
    {
        foreach (var s in _subflows)
            if (s != subflow && s.Answering) return true;
        return false;
    }

    /// <summary>Whether the connection judged this subflow stale.</summary>
    public bool IsStale(int id) => Find(id)?.Stale == true;

    /// <summary>The subflow is gone: what the peer has not acknowledged at data level goes to the others.</summary>
    public void RemoveSubflow(int id)
    {
        if (Find(id) is not { } s) return;
        ReinjectAll(s);
        _subflows.Remove(s);
    }

    /// <summary>The peer's DATA_ACK and the right edge of its window; returns how many bytes of the send buffer it freed.</summary>
    public int OnDataAck(ulong dataAck, ulong windowEnd, long nowNs)
    {
        // Acceptable only between what is acknowledged and what was sent (Linux: ack_update_msk); an ACK for data never
        // sent is ignored whole, its window too. An old one may still move the window's right edge forward.
        var sentEnd = _sndNxt + (_finQueued && _sndNxt == _dataUna + (ulong)_send.Count ? 1UL : 0);
        if ((long)(dataAck - sentEnd) > 0 && !FinCovered(dataAck)) return 0;
        if ((long)(dataAck - _dataUna) >= 0 && (long)(windowEnd - _peerWindowEnd) > 0) _peerWindowEnd = windowEnd;
        if ((long)(dataAck - _dataUna) <= 0) return 0;
        var freed = (int)Math.Min((long)(dataAck - _dataUna), _send.Count);
        _send.Consume(freed);
        // Everything acknowledged at the data level: an idle connection keeps no send buffer.
        _send.ReleaseIfEmpty();
        _dataUna += (ulong)freed;
        if ((long)(_sndNxt - _dataUna) < 0) _sndNxt = _dataUna;
        if (_finQueued && _send.Count == 0 && dataAck == _dataUna + 1) DataFinAcked = true;
        foreach (var s in _subflows) s.DropAcked(_dataUna);
        _rtoAt = Waiting && !_fellBack ? nowNs + RetransmitInterval() : long.MaxValue;
        return freed;
    }

    private bool FinCovered(ulong dataAck) => _finQueued && dataAck == _dataUna + (ulong)_send.Count + 1;

    private bool HasOutstanding => _sndNxt != _dataUna || (_finQueued && !DataFinAcked);

    /// <summary>
    /// Data outstanding, or waiting for a subflow to take it: the retransmission timer runs for both (Linux re-arms it
    /// while anything is pending), as the subflow that stopped answering may be what keeps new data from being sent, and
    /// only the timer's intervals find it stale.
    /// </summary>
    private bool Waiting => HasOutstanding || _reinject.Count > 0 || (long)(_dataUna + (ulong)_send.Count - _sndNxt) > 0;

    /// <summary>Data from a subflow, already mapped to its DSN; returns how many bytes became readable in order.</summary>
    public int OnData(ulong dsn, ReadOnlySpan<byte> data) => _recv.Insert(dsn, data);

    /// <summary>
    /// Data from a subflow that the application takes as it is: true (and the data counts as received and read) when
    /// it is the next in-order data and nothing is buffered; otherwise nothing changes and it goes to <see cref="OnData"/>.
    /// </summary>
    public bool TryReadThrough(ulong dsn, int length) => _recv.TryReadThrough(dsn, length);

    /// <summary>The peer's DATA_FIN at <paramref name="dsn"/> (the DSN after its last byte).</summary>
    public void OnPeerDataFin(ulong dsn) => _peerDataFin ??= dsn;

    /// <summary>
    /// The next chunk to send: reinjected data first, then new data inside the peer's window; the scheduler picks the
    /// subflow(s). Writes their ids to <paramref name="subflowIds"/>, returns how many (0: nothing to send now).
    /// </summary>
    public int NextChunk(Span<int> subflowIds, out ulong dsn, out int length, long nowNs)
    {
        if (_scheduler is RedundantScheduler) return NextRedundantChunk(subflowIds, out dsn, out length, nowNs);
        if (NextRetransmission(subflowIds, out dsn, out length)) return 1;
        dsn = 0;
        length = 0;
        _reinject.DropBefore(_dataUna);
        bool reinjection;
        if (_reinject.TryPeek(out var next))
        {
            reinjection = true;
            dsn = next.Dsn;
            length = Math.Min(next.Length, _o.MaxChunk);
        }
        else
        {
            reinjection = false;
            dsn = _sndNxt;
            var unsent = (long)(_dataUna + (ulong)_send.Count - _sndNxt);
            var window = (long)(_peerWindowEnd - _sndNxt);
            length = (int)Math.Min(Math.Min(unsent, window), _o.MaxChunk);
        }
        if (length <= 0) return 0;
        var n = FillViews(length, reinjection);
        if (_scheduler is DefaultScheduler d) d.ConnectionWindowFree = (long)(_peerWindowEnd - _sndNxt);
        var chosen = _scheduler.Select(_views.AsSpan(0, n), length, _chosen);
        if (chosen == 0)
        {
            if (_rtoAt == long.MaxValue && !_fellBack) _rtoAt = nowNs + RetransmitInterval();
            return 0;
        }
        var count = Math.Min(chosen, subflowIds.Length);
        for (var i = 0; i < count; i++) length = (int)Math.Min(length, Math.Max(1, _views[_chosen[i]].SendSpace));
        if (!reinjection)
        {
            // Whole segments only (a mapping's end cuts a segment short), unless this is the end of the data: a chunk
            // of any length would leave a runt segment at every chunk boundary, a few percent of the path lost.
            var unsent = (long)(_dataUna + (ulong)_send.Count - _sndNxt);
            var segment = Math.Max(1, _views[_chosen[0]].Mss - DssSpace);
            if (length < unsent && length >= segment) length -= length % segment;
        }
        for (var i = 0; i < count; i++)
        {
            var s = _subflows[_chosen[i]];
            subflowIds[i] = s.Id;
            s.BytesScheduled += length;
            s.Outstanding.Enqueue((dsn, length));
            if (reinjection) s.BytesReinjected += length;
        }
        if (reinjection)
        {
            BytesReinjected += length;
            _reinject.Take(length);
        }
        else _sndNxt += (ulong)length;
        if (_rtoAt == long.MaxValue && !_fellBack) _rtoAt = nowNs + RetransmitInterval();
        return count;
    }

    /// <summary>The chunk the retransmission timer chose a subflow for, if still unacknowledged and the subflow still usable.</summary>
    private bool NextRetransmission(Span<int> subflowIds, out ulong dsn, out int length)
    {
        dsn = 0;
        length = 0;
        if (_retransmit is not { } r) return false;
        _retransmit = null;
        var end = r.Dsn + (ulong)r.Length;
        if ((long)(end - _dataUna) <= 0 || Find(r.Id) is not { Usable: true } s) return false;
        dsn = (long)(_dataUna - r.Dsn) > 0 ? _dataUna : r.Dsn;
        length = (int)Math.Min((long)(end - dsn), Math.Max(1, s.Current.SendSpace));
        subflowIds[0] = s.Id;
        s.BytesScheduled += length;
        s.BytesReinjected += length;
        s.Outstanding.Enqueue((dsn, length));
        BytesReinjected += length;
        return true;
    }

    /// <summary>
    /// Redundant scheduling: every usable subflow sends all the data, each from its own position, skipping what the
    /// peer already acknowledged at data level, so the fastest path always delivers first (lowest latency, at the cost
    /// of capacity). Backups join in only when no other subflow is usable.
    /// </summary>
    private int NextRedundantChunk(Span<int> subflowIds, out ulong dsn, out int length, long nowNs)
    {
        dsn = 0;
        length = 0;
        // Every subflow carries everything already: what a failed one held needs no reinjection.
        _reinject.Clear();
        var end = _dataUna + (ulong)_send.Count;
        var n = FillViews(int.MaxValue, reinjection: false);
        var backupsCarry = SubflowView.BackupsCarry(_views.AsSpan(0, n));
        for (var i = 0; i < n; i++)
        {
            var s = _subflows[i];
            var v = _views[i];
            if (!v.Eligible(backupsCarry) || v.SendSpace <= 0) continue;
            var from = (long)(s.RedundantNext - _dataUna) > 0 ? s.RedundantNext : _dataUna;
            var window = (long)(_peerWindowEnd - from);
            var len = (int)Math.Min(Math.Min((long)(end - from), window), Math.Min(v.SendSpace, _o.MaxChunk));
            if (len <= 0) continue;
            s.RedundantNext = from + (ulong)len;
            s.BytesScheduled += len;
            s.Outstanding.Enqueue((from, len));
            if ((long)(s.RedundantNext - _sndNxt) > 0) _sndNxt = s.RedundantNext;
            if (_rtoAt == long.MaxValue) _rtoAt = nowNs + RetransmitInterval();
            subflowIds[0] = s.Id;
            dsn = from;
            length = len;
            return 1;
        }
        return 0;
    }

    /// <summary>
    /// The subflows as the scheduler sees them. One whose retransmission timer fired is potentially failed: it gets no
    /// new data while another regular subflow is alive (an ACK clears it). Backups are not brought in for that, as a
    /// single RTO is often just a loss, but for a silent one (two data-level intervals without an ACK): it gets no new
    /// data while another subflow answers. Reinjected data goes only where it is likely to arrive
    /// (<see cref="ConnectionSubflow.Answering"/>), and waits when no subflow is: resent into a dead path, it
    /// would be reinjected again when that one fails, and again, duplicates piling up at the receiver.
    /// </summary>
    private int FillViews(int wanted, bool reinjection)
    {
        var n = Math.Min(_subflows.Count, MaxViews);
        if (n > _views.Length) Array.Resize(ref _views, n);
        bool healthyRegular = false, answering = false;
        for (var i = 0; i < n; i++)
        {
            _views[i] = _subflows[i].Current;
            // Room for less than a whole segment (and less than what is left to send) counts as none: the scheduler then
            // looks at the others rather than cutting a runt segment.
            if (_views[i].SendSpace < Math.Min(wanted, Math.Max(1, _views[i].Mss - DssSpace))) _views[i] = _views[i] with { SendSpace = 0 };
            if (_views[i].Usable && !_views[i].Backup && !_subflows[i].TimedOut) healthyRegular = true;
            answering |= _subflows[i].Answering;
        }
        for (var i = 0; i < n; i++)
            if (healthyRegular && _subflows[i].TimedOut && !_views[i].Backup || answering && _subflows[i].Silent
                || reinjection && !_subflows[i].Answering)
                _views[i] = _views[i] with { Stale = true };
        return n;
    }

    /// <summary>Copies the data at <paramref name="dsn"/> (still in the send buffer) into <paramref name="destination"/>.</summary>
    public void CopySendData(ulong dsn, Span<byte> destination) => _send.Peek((int)(dsn - _dataUna), destination);

    /// <summary>
    /// The data-level retransmission timer: DATA_ACK did not move for an interval while data was outstanding (Linux:
    /// mptcp_retransmit_timer, __mptcp_retrans). Each expiry counts the intervals the busy subflows went without an ACK,
    /// silent after two (a backup takes over from it then, see <see cref="CheckStale"/>) and stale after
    /// <see cref="MptcpConnectionOptions.StaleLossCount"/>; and the oldest unacknowledged chunk goes again on an idle
    /// subflow (<see cref="RetransmissionTarget"/>), as data the peer's TCP took may still be missing at data level.
    /// </summary>
    public void OnTimer(long nowNs)
    {
        if (nowNs < _rtoAt) return;
        if (!Waiting || _fellBack)
        {
            _rtoAt = long.MaxValue;
            return;
        }
        DataRetransmissionTimeouts++;
        var target = RetransmissionTarget();
        if (_scheduler is RedundantScheduler)
            foreach (var s in _subflows) s.RedundantNext = _dataUna; // every subflow starts again from the oldest unacknowledged byte
        else if (target is not null) ResendOldest(target);
        _rtoAt = nowNs + RetransmitInterval();
    }

    /// <summary>
    /// The oldest unacknowledged chunk goes to <paramref name="target"/> next, unless data already waits to be resent (a
    /// subflow just found silent or stale gave up its own): that goes first, and is enough.
    /// </summary>
    private void ResendOldest(ConnectionSubflow target)
    {
        if (_reinject.Count == 0 && _sndNxt != _dataUna)
            _retransmit = (target.Id, _dataUna, (int)Math.Min((long)(_sndNxt - _dataUna), _o.MaxChunk));
    }

    /// <summary>
    /// Where the retransmission timer resends (Linux: mptcp_subflow_get_retrans): a subflow holding nothing unacknowledged,
    /// a regular one first. Every busy one is checked for staleness on the way. A backup is taken only once every busy
    /// subflow went two intervals without an ACK: one silent interval is often a loss that TCP repairs by itself.
    /// </summary>
    private ConnectionSubflow? RetransmissionTarget()
    {
        ConnectionSubflow? pick = null, backup = null;
        var minStaleCount = int.MaxValue;
        foreach (var s in _subflows)
        {
            if (!s.View.Established) continue;
            if (!s.Idle)
            {
                CheckStale(s);
                minStaleCount = Math.Min(minStaleCount, s.StaleCount);
                continue;
            }
            if (s.View.Backup) backup ??= s;
            else pick ??= s;
        }
        return pick ?? (minStaleCount > 1 ? backup : null);
    }

    /// <summary>
    /// One more interval in which <paramref name="s"/> held data and heard nothing (an ACK resets the count, see
    /// <see cref="UpdateSubflow"/>). At the second it is silent (<see cref="ConnectionSubflow.Silent"/>): if another subflow
    /// answers (<see cref="ConnectionSubflow.Answering"/>), what it holds is resent there and new data goes there too, a
    /// backup included — Linux only resends one chunk per interval on the backup until the subflow is stale, leaving the
    /// receiver waiting an interval each time.
    /// Past the stale-loss count, and if another usable subflow is not itself in that state (fewer than count − 1 silent
    /// intervals), it is stale: no new data, and what it holds goes to the others (Linux: mptcp_pm_subflow_chk_stale,
    /// mptcp_pm_subflows_chk_stale).
    /// </summary>
    private void CheckStale(ConnectionSubflow s)
    {
        if (s.StaleCount++ == 0) s.StaleAckNs = s.View.LastAckNs;
        if (s.StaleCount == 2 && HasOtherAnswering(s)) ReinjectUnacknowledged(s);
        if (s.Stale || s.StaleCount <= _o.StaleLossCount) return;
        var otherMax = Math.Max(_o.StaleLossCount - 1, 1);
        foreach (var other in _subflows)
        {
            if (other == s || !other.Usable || other.StaleCount >= otherMax) continue;
            s.Stale = true;
            SubflowsStale++;
            ReinjectAll(s);
            return;
        }
    }

    /// <summary>
    /// How long DATA_ACK may stand still (Linux: timer_ival from mptcp_timeout_from_subflow): the longest RTO among the
    /// usable subflows holding data that have not yet gone an interval unanswered; TCP's minimum RTO without one, so a
    /// silent subflow is looked at every 200 ms rather than at its own backed-off RTO.
    /// </summary>
    private long RetransmitInterval()
    {
        long interval = 0;
        foreach (var s in _subflows)
            if (s.Usable && !s.Idle && s.StaleCount == 0) interval = Math.Max(interval, s.View.RtoNs);
        return interval > 0 ? interval : _o.MinRetransmitIntervalNs;
    }

    /// <summary>
    /// The connection fell back to TCP on its one subflow after MP_FAIL (RFC 8684 3.7): TCP now delivers every byte in
    /// order, DATA_ACK follows its ACK, and the data level never resends (a resent range would be new bytes on the wire).
    /// </summary>
    public void FallBack()
    {
        _fellBack = true;
        _reinject.Clear();
        _retransmit = null;
        _rtoAt = long.MaxValue;
    }

    /// <summary>A subflow (if still known) could not take this range after all: it is sent again, and that subflow does not carry it.</summary>
    public void Requeue(int? id, ulong dsn, int length)
    {
        if (id is { } known) Find(known)?.Refused(dsn, length);
        _reinject.Add(dsn, length);
    }

    /// <summary>Statistics of one subflow as the connection counts them.</summary>
    public (long Scheduled, long Reinjected) SubflowBytes(int id) => Find(id) is { } s ? (s.BytesScheduled, s.BytesReinjected) : (0, 0);

    /// <summary>
    /// A subflow gone or stale: everything it was given that the peer has not DATA_ACKed goes to the others, as data its
    /// TCP peer took may still be missing at data level (Linux: __mptcp_retransmit_pending_data).
    /// </summary>
    private void ReinjectAll(ConnectionSubflow s)
    {
        if (_fellBack) return;
        s.DropAcked(_dataUna);
        GiveUp(s, 0);
        s.Outstanding.Clear();
    }

    /// <summary>
    /// A subflow that timed out or went silent may yet come back, and what its TCP peer acknowledged is at the receiver:
    /// only the rest, the tail of what it was given, as long as its report's unacknowledged bytes plus those still on
    /// their way to it, is resent elsewhere. It keeps its record of them (its TCP still retransmits them); should it fail
    /// for good, what was resent meanwhile is not resent again (<see cref="GiveUp"/>). Moving everything not DATA_ACKed
    /// would resend megabytes for a lost window when DATA_ACK is stuck at a hole elsewhere.
    /// </summary>
    private void ReinjectUnacknowledged(ConnectionSubflow s)
    {
        if (_fellBack) return;
        s.DropAcked(_dataUna);
        long given = 0;
        foreach (var r in s.Outstanding) given += r.Length;
        GiveUp(s, given - (s.View.Unacknowledged + s.InTransit));
    }

    /// <summary>
    /// Queues what <paramref name="s"/> was given past its first <paramref name="skip"/> bytes, less what another subflow
    /// that answers carries too (a range reinjected there earlier): that one delivers it.
    /// </summary>
    private void GiveUp(ConnectionSubflow s, long skip)
    {
        _givenUp.Clear();
        foreach (var (dsn, length) in s.Outstanding)
        {
            var skipped = (int)Math.Clamp(skip, 0, length);
            skip -= skipped;
            _givenUp.Add(dsn + (ulong)skipped, length - skipped);
        }
        _givenUp.DropBefore(_dataUna);
        foreach (var other in _subflows)
            if (other != s && other.Answering)
                foreach (var (dsn, length) in other.Outstanding) _givenUp.Remove(dsn, length);
        while (_givenUp.TryPeek(out var r))
        {
            _reinject.Add(r.Dsn, r.Length);
            _givenUp.Take(r.Length);
        }
    }

    private ConnectionSubflow? Find(int id)
    {
        foreach (var s in _subflows)
            if (s.Id == id) return s;
        return null;
    }
}
