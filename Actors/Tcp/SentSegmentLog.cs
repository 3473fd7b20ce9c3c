namespace MptcpActors.Actors.Tcp;

/// <summary>
/// The sender's scoreboard (RFC 6675 2): segments from SND.UNA to SND.NXT in order, in a ring that grows only when
/// the flight outgrows it. Pipe and loss marking are kept incrementally, so each ACK costs O(1) amortized even with
/// tens of thousands of segments in flight. The ring comes from the shared pool with the first segment and goes back
/// when all are acknowledged: an idle subflow holds none.
/// </summary>
public sealed class SentSegmentLog
{
    public const int DupThresh = 3;
    private const int InitialSize = 64;
    private SentSegment[] _ring = [];
    private int _head;
    // Sequence numbers of the DupThresh highest SACKed segments, highest first; every un-SACKed segment below the
    // last of them has DupThresh SACKed segments above it and is lost (RFC 6675 IsLost).
    private readonly uint[] _topSacked = new uint[DupThresh];
    private int _topSackedCount;
    // Loss marking and the lost-segment search resume where they stopped.
    private uint _lossMarkedUpTo;
    private uint _lostSearchFrom;
    // Every segment retransmitted in this recovery ends at or below this.
    private uint _retransmittedUpTo;
    // RFC 8985 RACK.xmit_ts: when the latest sent of the segments known delivered left. Only segments sent once count,
    // as a retransmitted one's SACK may be for either transmission.
    private long _deliveredSentNs = long.MinValue;

    public int Count { get; private set; }
    /// <summary>RFC 6675 pipe: bytes in flight not SACKed and not lost, plus every retransmission still outstanding.</summary>
    public long Pipe { get; private set; }
    public ref SentSegment this[int i] => ref _ring[(_head + i) % _ring.Length];

    public void Add(in SentSegment s)
    {
        if (Count == _ring.Length)
        {
            var bigger = System.Buffers.ArrayPool<SentSegment>.Shared.Rent(Math.Max(InitialSize, _ring.Length * 2));
            for (var i = 0; i < Count; i++) bigger[i] = this[i];
            ReturnRing();
            _ring = bigger;
            _head = 0;
        }
        if (Count == 0) _lossMarkedUpTo = _lostSearchFrom = _retransmittedUpTo = s.Seq; // cursors live in the current window's sequence space
        _ring[(_head + Count) % _ring.Length] = s;
        Count++;
        Pipe += s.PipeShare;
    }

    /// <summary>
    /// The path MTU shrank: every outstanding segment larger than <paramref name="mss"/> is split and marked lost, so
    /// recovery resends it in pieces that fit (the old size would be dropped again).
    /// </summary>
    public void Resegment(int mss)
    {
        var old = new SentSegment[Count];
        for (var i = 0; i < Count; i++) old[i] = this[i];
        _head = 0;
        Count = 0;
        Pipe = 0;
        foreach (var s in old)
        {
            if (s.Length <= mss || s.Sacked)
            {
                Add(s);
                continue;
            }
            for (var offset = 0; offset < s.Length; offset += mss)
            {
                var piece = s with { Seq = s.Seq + (uint)offset, Length = Math.Min(mss, s.Length - offset), Fin = s.Fin && offset + mss >= s.Length };
                piece.Lost = true;
                piece.RetransmittedInRecovery = false;
                Add(piece);
                if (SeqMath.Lt(piece.Seq, _lostSearchFrom)) _lostSearchFrom = piece.Seq;
            }
        }
    }

    /// <summary>Drops segments wholly below <paramref name="ack"/>; trims one that it cuts (a partial ACK of a segment).</summary>
    public void AckUpTo(uint ack)
    {
        while (Count > 0 && SeqMath.Le(this[0].End, ack))
        {
            NoteDelivered(this[0]);
            Pipe -= this[0].PipeShare;
            _head = (_head + 1) % _ring.Length;
            Count--;
        }
        if (Count == 0)
        {
            ReturnRing();
            _ring = [];
            _head = 0;
        }
        if (Count > 0 && SeqMath.Lt(this[0].Seq, ack))
        {
            ref var s = ref this[0];
            Pipe -= s.PipeShare;
            var cut = (int)(ack - s.Seq);
            s.Seq = ack;
            s.Length -= cut;
            Pipe += s.PipeShare;
        }
        // Forget SACK records and cursors below the new SND.UNA (they mark nothing there): left behind while the window
        // moves 2^31 bytes on, they would compare as ahead of it, ignoring new SACKs and marking the wrong segments lost.
        while (_topSackedCount > 0 && SeqMath.Lt(_topSacked[_topSackedCount - 1], ack)) _topSackedCount--;
        if (SeqMath.Lt(_lossMarkedUpTo, ack)) _lossMarkedUpTo = ack;
        if (SeqMath.Lt(_lostSearchFrom, ack)) _lostSearchFrom = ack;
        if (SeqMath.Lt(_retransmittedUpTo, ack)) _retransmittedUpTo = ack;
    }

    /// <summary>Marks segments inside [left, right) as SACKed; returns the bytes newly SACKed.</summary>
    public long MarkSacked(uint left, uint right)
    {
        long newly = 0;
        var i = FirstAtOrAbove(left);
        for (; i < Count; i++)
        {
            ref var s = ref this[i];
            if (!SeqMath.Le(s.End, right)) break;
            if (s.Sacked) continue;
            Pipe -= s.PipeShare;
            s.Sacked = true;
            s.Lost = false;
            newly += s.Length;
            NoteDelivered(s);
            NoteSacked(s.Seq);
        }
        return newly;
    }

    /// <summary>Marks every un-SACKed segment that RFC 6675 IsLost says is lost; returns whether any newly is.</summary>
    public bool MarkLost()
    {
        if (_topSackedCount < DupThresh || Count == 0) return false;
        var threshold = _topSacked[DupThresh - 1];
        var any = false;
        for (var i = FirstAtOrAbove(SeqMath.Max(_lossMarkedUpTo, this[0].Seq)); i < Count && SeqMath.Lt(this[i].Seq, threshold); i++)
        {
            ref var s = ref this[i];
            if (s.Sacked || s.Lost || s.RetransmittedInRecovery) continue;
            MarkLost(ref s);
            any = true;
        }
        if (SeqMath.Gt(threshold, _lossMarkedUpTo)) _lossMarkedUpTo = threshold;
        return any;
    }

    /// <summary>
    /// RFC 8985 (RACK) for retransmissions: one sent more than <paramref name="reorderWindowNs"/> before a segment now
    /// known delivered is lost again, since on one path the later segment cannot have overtaken it by that much.
    /// RFC 6675 alone never marks a retransmission lost, so a lost one waited for the RTO, the whole window resent
    /// from slow start; with a shallow bottleneck queue (Linux's simult_flows selftest) that was most of the RTOs.
    /// Returns whether any is newly lost; it goes out again within the same recovery (no second window reduction).
    /// </summary>
    public bool MarkLostRetransmissions(long reorderWindowNs)
    {
        if (_deliveredSentNs == long.MinValue || Count == 0) return false;
        var any = false;
        for (var i = 0; i < Count && SeqMath.Lt(this[i].Seq, _retransmittedUpTo); i++)
        {
            ref var s = ref this[i];
            if (!s.RetransmittedInRecovery || s.Sacked || s.SentNs + reorderWindowNs >= _deliveredSentNs) continue;
            Pipe -= s.PipeShare;
            s.RetransmittedInRecovery = false;
            s.Lost = true;
            Pipe += s.PipeShare;
            if (SeqMath.Lt(s.Seq, _lostSearchFrom)) _lostSearchFrom = s.Seq;
            any = true;
        }
        return any;
    }

    private void NoteDelivered(in SentSegment s)
    {
        if (!s.Retransmitted && s.SentNs > _deliveredSentNs) _deliveredSentNs = s.SentNs;
    }

    /// <summary>Marks the first outstanding segment lost (three duplicate ACKs, or a partial ACK in RFC 6582 recovery).</summary>
    public void MarkFirstLost()
    {
        if (Count == 0) return;
        ref var s = ref this[0];
        if (!s.Sacked && !s.Lost && !s.RetransmittedInRecovery) MarkLost(ref s);
    }

    private void MarkLost(ref SentSegment s)
    {
        Pipe -= s.PipeShare;
        s.Lost = true;
        Pipe += s.PipeShare;
        if (SeqMath.Lt(s.Seq, _lostSearchFrom)) _lostSearchFrom = s.Seq;
    }

    /// <summary>RFC 6675 NextSeg rule 1: the first lost, un-SACKed segment not yet retransmitted in this recovery; -1 if none.</summary>
    public int FirstLostNotRetransmitted()
    {
        if (Count == 0) return -1;
        for (var i = FirstAtOrAbove(SeqMath.Max(_lostSearchFrom, this[0].Seq)); i < Count; i++)
        {
            ref var s = ref this[i];
            if (s.Lost && !s.Sacked && !s.RetransmittedInRecovery)
            {
                _lostSearchFrom = s.Seq;
                return i;
            }
        }
        _lostSearchFrom = Count > 0 ? this[Count - 1].End : _lostSearchFrom;
        return -1;
    }

    /// <summary>Records the retransmission of segment <paramref name="i"/>.</summary>
    public void MarkRetransmitted(int i, long nowNs)
    {
        ref var s = ref this[i];
        Pipe -= s.PipeShare;
        s.Retransmitted = true;
        s.RetransmittedInRecovery = true;
        s.Lost = false;
        s.SentNs = nowNs;
        Pipe += s.PipeShare;
        if (SeqMath.Gt(s.End, _retransmittedUpTo)) _retransmittedUpTo = s.End;
    }

    /// <summary>Recovery is over: retransmissions count once in the pipe again, and SACK state starts afresh.</summary>
    public void EndRecovery()
    {
        for (var i = 0; i < Count; i++)
        {
            ref var s = ref this[i];
            if (!s.RetransmittedInRecovery) continue;
            Pipe -= s.PipeShare;
            s.RetransmittedInRecovery = false;
            Pipe += s.PipeShare;
        }
    }

    /// <summary>After an RTO everything outstanding is presumed lost and the SACK information is discarded (RFC 6675 5.1).</summary>
    public void MarkAllLost()
    {
        for (var i = 0; i < Count; i++)
        {
            ref var s = ref this[i];
            s.Lost = true;
            s.Sacked = false;
            s.RetransmittedInRecovery = false;
        }
        Pipe = 0;
        _topSackedCount = 0;
        _lostSearchFrom = Count > 0 ? this[0].Seq : 0;
        _lossMarkedUpTo = Count > 0 ? this[Count - 1].End : 0;
    }

    private void NoteSacked(uint seq)
    {
        var n = _topSackedCount;
        var pos = n;
        while (pos > 0 && SeqMath.Gt(seq, _topSacked[pos - 1])) pos--;
        if (pos >= DupThresh) return;
        for (var j = Math.Min(n, DupThresh - 1); j > pos; j--) _topSacked[j] = _topSacked[j - 1];
        _topSacked[pos] = seq;
        if (_topSackedCount < DupThresh) _topSackedCount++;
    }

    /// <summary>Index of the first segment starting at or after <paramref name="seq"/> (binary search: segments are in order).</summary>
    private int FirstAtOrAbove(uint seq)
    {
        int lo = 0, hi = Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (SeqMath.Lt(this[mid].Seq, seq)) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private void ReturnRing()
    {
        if (_ring.Length > 0) System.Buffers.ArrayPool<SentSegment>.Shared.Return(_ring);
    }
}
