using System.Buffers.Binary;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Actors.Tcp;

public sealed partial class TcpConnection
{
    private long _synSentNs = -1;

    /// <summary>
    /// Sends what the windows allow (RFC 6675 NextSeg order: lost segments first, then new data), the FIN when it is
    /// due, and an ACK when one is owed and nothing else carried it.
    /// </summary>
    private void Output(long nowNs)
    {
        if (State.IsSynchronized() && State != TcpState.TimeWait)
        {
            while (SendOne(nowNs)) { }
            ArmPersistIfBlocked(nowNs);
        }
        if (_ackNow) SendAck(nowNs);
    }

    private bool SendOne(long nowNs)
    {
        var cwnd = _cc.CongestionWindow;
        var pipe = _flight.Pipe;
        var lost = _flight.FirstLostNotRetransmitted();
        if (lost >= 0)
        {
            ref var s = ref _flight[lost];
            // One retransmission is always allowed on entering recovery or after an RTO, so a tiny cwnd cannot stall it.
            if (pipe + s.Length > cwnd && pipe > 0 && !(lost == 0 && !s.Retransmitted)) return false;
            _flight.MarkRetransmitted(lost, nowNs);
            Statistics.BytesRetransmitted += s.Length;
            Statistics.SegmentsRetransmitted++;
            EmitData(s.Seq, s.Length, s.Fin, nowNs, retransmission: true);
            return true;
        }

        return SendOffloaded(nowNs) || SendNew(nowNs, ignoreCwnd: false);
    }

    /// <summary>
    /// Two or more full segments of new data as one super-segment the device cuts up (GSO): the segments, flags and
    /// options on the wire are those sent one at a time, but they cross the layers below once. Each piece enters the
    /// scoreboard on its own, so SACK, loss recovery and retransmission work on wire segments as ever. A FIN rides the
    /// last segment, which is left to <see cref="SendNew"/>.
    /// </summary>
    private bool SendOffloaded(long nowNs)
    {
        var limit = _sink.MaxOffloadSegmentLength - MaxHeader;
        if (limit <= 0 || State is not (TcpState.Established or TcpState.CloseWait)) return false;
        var mss = PayloadRoom(_sndNxt);
        var available = (long)_send.Count - (SeqMath.Distance(_sndUna, _sndNxt) - (_finSent ? 1 : 0));
        if (_finQueued) available--;
        var room = Math.Min(Math.Min(available, _sndWnd - SeqMath.Distance(_sndUna, _sndNxt)), _cc.CongestionWindow - _flight.Pipe);
        if (room < 2L * mss || _hook is not null && !_hook.AllowsSegmentation(_sndNxt)) return false;
        var len = (int)Math.Min(room, limit);
        if (_hook is not null) len = Math.Min(len, _hook.PayloadLimit(_sndNxt, len));
        var pieces = len / mss;
        if (pieces < 2) return false;
        len = pieces * mss;
        var seq = _sndNxt;
        EmitData(seq, len, fin: false, nowNs, retransmission: false, segmentSize: mss);
        for (var i = 0; i < pieces; i++) _flight.Add(new SentSegment { Seq = seq + (uint)(i * mss), Length = mss, SentNs = nowNs });
        _sndNxt += (uint)len;
        if (SeqMath.Gt(_sndNxt, _sndMax)) _sndMax = _sndNxt;
        Statistics.BytesSent += len;
        Statistics.SegmentsSent += pieces - 1;
        ArmTailLossProbe(nowNs);
        return true;
    }

    /// <summary>Sends the next new segment (and the FIN when due); a tail loss probe may ignore cwnd.</summary>
    private bool SendNew(long nowNs, bool ignoreCwnd)
    {
        var sent = SeqMath.Distance(_sndUna, _sndNxt) - (_finSent ? 1 : 0);
        var available = _send.Count - sent;
        var finDue = _finQueued && !_finSent && available == 0;
        if (available <= 0 && !finDue) return false;
        if (State is not (TcpState.Established or TcpState.CloseWait)) return false;
        var rwndRoom = _sndWnd - SeqMath.Distance(_sndUna, _sndNxt);
        var mss = PayloadRoom(_sndNxt);
        // A segment the layer above cuts short (an MPTCP mapping ends) is not a small segment: it may not wait for Nagle
        // or SWS avoidance, or every mapping boundary would cost a round trip.
        var cut = _hook is not null && available > 0 ? Math.Max(1, _hook.PayloadLimit(_sndNxt, mss)) : mss;
        var endsHere = cut < mss && cut <= available;
        if (endsHere) mss = cut;
        var len = (int)Math.Min(Math.Min(available, mss), Math.Max(0, rwndRoom));
        if (available > 0 && len <= 0) return false;
        var pipe = _flight.Pipe;
        if (!ignoreCwnd && pipe > 0 && pipe + Math.Max(len, 1) > _cc.CongestionWindow) return false;
        var lastData = len == available;
        if (!ignoreCwnd && len > 0 && len < mss && !lastData && rwndRoom < _maxSndWnd / 2) return false; // sender SWS avoidance (RFC 9293 3.8.6.2.1)
        // Nagle (RFC 896): a small segment waits while data is unacknowledged, unless it ends the stream.
        if (!ignoreCwnd && len > 0 && len < mss && _o.Nagle && _flight.Count > 0 && !(_finQueued && lastData)) return false;
        var fin = _finQueued && lastData && !_finSent;
        var seq = _sndNxt;
        EmitData(seq, len, fin, nowNs, retransmission: false);
        _flight.Add(new SentSegment { Seq = seq, Length = len, SentNs = nowNs, Fin = fin });
        _sndNxt += (uint)len + (fin ? 1u : 0);
        if (SeqMath.Gt(_sndNxt, _sndMax)) _sndMax = _sndNxt;
        Statistics.BytesSent += len;
        if (fin) OnFinSent();
        ArmTailLossProbe(nowNs);
        return true;
    }

    private void OnFinSent()
    {
        _finSent = true;
        State = State switch
        {
            TcpState.Established => TcpState.FinWait1,
            TcpState.CloseWait => TcpState.LastAck,
            _ => State,
        };
    }

    /// <summary>Payload that fits one segment starting at <paramref name="seq"/> once timestamps, SACK blocks and the hook's options are counted.</summary>
    private int PayloadRoom(uint seq)
    {
        var hookSpace = _hook?.OptionSpace(new OutgoingSegmentInfo(seq, _rcvNxt, TcpFlags.Ack, EffectiveMss, false)) ?? 0;
        return Math.Max(1, EffectiveMss - hookSpace - SackSpace());
    }

    private int SackSpace()
    {
        if (!_sack || !_recv.HasOutOfOrder) return 0;
        var blocks = Math.Min(_ts ? 3 : 4, CountSackBlocks());
        return blocks == 0 ? 0 : 4 + 8 * blocks;
    }

    private int CountSackBlocks()
    {
        Span<SackBlock> b = stackalloc SackBlock[4];
        return _recv.SackBlocks(_rcvNxt, b);
    }

    private void ArmPersistIfBlocked(long nowNs)
    {
        var sent = SeqMath.Distance(_sndUna, _sndNxt) - (_finSent ? 1 : 0);
        var waiting = _send.Count - sent > 0;
        if (waiting && _sndWnd == 0 && _flight.Count == 0 && _persistAt == long.MaxValue)
            _persistAt = nowNs + _rtt.RtoNs;
    }

    private void EmitData(uint seq, int len, bool fin, long nowNs, bool retransmission, int segmentSize = 0)
    {
        var flags = TcpFlags.Ack;
        if (len > 0 && seq + (uint)len == _sndUna + (uint)_send.Count) flags |= TcpFlags.Psh;
        if (fin) flags |= TcpFlags.Fin;
        var buffer = _sink.Rent(MaxHeader + len);
        // The payload goes in first, after the largest options area, so the hook can see it (MPTCP's DSS checksum);
        // it then moves up behind the options actually written.
        var payload = buffer.Slice(MaxHeader, len);
        if (len > 0) _send.Peek(SeqMath.Distance(_sndUna, seq), payload);
        var optLen = WriteOptions(buffer[TcpSegment.MinHeaderLength..MaxHeader], syn: false, new OutgoingSegmentInfo(seq, _rcvNxt, flags, len, retransmission, segmentSize), nowNs, payload);
        if (len > 0 && optLen < TcpSegment.MaxOptionsLength) payload.CopyTo(buffer[(TcpSegment.MinHeaderLength + optLen)..]);
        FinishSegment(buffer, seq, flags, optLen, len, segmentSize: segmentSize);
        if (_rtoAt == long.MaxValue) _rtoAt = nowNs + _rtt.RtoNs;
    }

    private void SendAck(long nowNs) => SendControl(AcceptableSeq, _rcvNxt, TcpFlags.Ack, nowNs);

    private void SendChallengeAck(long nowNs)
    {
        if (InvalidAckRateLimited(nowNs)) return;
        Statistics.ChallengeAcks++;
        SendAck(nowNs);
    }

    /// <summary>
    /// The ACK that answers a dropped segment (out of window, PAWS, ACK of unsent data). When that segment carries no
    /// data (or is a SYN) it is rate-limited like Linux's tcp_oow_rate_limited: two ends desynchronized by a forged
    /// segment would otherwise answer each other's ACKs forever (an ACK storm, RFC 5961 10). Data segments are always
    /// answered, so a spurious retransmission still gets its duplicate ACK at once.
    /// </summary>
    private void SendInvalidSegmentAck(uint segLen, bool syn, long nowNs)
    {
        if ((segLen == 0 || syn) && InvalidAckRateLimited(nowNs)) return;
        SendAck(nowNs);
    }

    private long _lastInvalidAckNs = long.MinValue;

    /// <summary>At most one ACK per <see cref="TcpCoreOptions.InvalidAckIntervalNs"/> answers invalid segments (Linux: net.ipv4.tcp_invalid_ratelimit).</summary>
    private bool InvalidAckRateLimited(long nowNs)
    {
        if (_lastInvalidAckNs != long.MinValue && nowNs >= _lastInvalidAckNs && nowNs - _lastInvalidAckNs < _o.InvalidAckIntervalNs)
        {
            Statistics.InvalidAcksSuppressed++;
            return true;
        }
        _lastInvalidAckNs = nowNs;
        return false;
    }

    private void SendControl(uint seq, uint ack, TcpFlags flags, long nowNs)
    {
        var buffer = _sink.Rent(MaxHeader);
        var optLen = WriteOptions(buffer[TcpSegment.MinHeaderLength..MaxHeader], syn: false, new OutgoingSegmentInfo(seq, ack, flags, 0, false), nowNs);
        FinishSegment(buffer, seq, flags, optLen, 0, ack);
    }

    private void SendSyn(long nowNs, bool ack)
    {
        var flags = TcpFlags.Syn | (ack ? TcpFlags.Ack : 0);
        var buffer = _sink.Rent(MaxHeader);
        var optLen = WriteOptions(buffer[TcpSegment.MinHeaderLength..MaxHeader], syn: true, new OutgoingSegmentInfo(_iss, _rcvNxt, flags, 0, _synSentNs >= 0), nowNs);
        _synSentNs = _backoffs == 0 ? nowNs : _synSentNs;
        FinishSegment(buffer, _iss, flags, optLen, 0);
        _sndNxt = _iss + 1;
        if (SeqMath.Gt(_sndNxt, _sndMax)) _sndMax = _sndNxt;
        _rtoAt = nowNs + _rtt.RtoNs;
    }

    /// <summary>Linux's option order: MSS, SACK-permitted+timestamps, window scale (SYN); timestamps, SACK blocks; then the hook's (MPTCP).</summary>
    private int WriteOptions(Span<byte> area, bool syn, in OutgoingSegmentInfo info, long nowNs, ReadOnlySpan<byte> payload = default)
    {
        var w = new TcpOptionWriter(area);
        var hookSpace = _hook?.OptionSpace(info) ?? 0;
        if (syn)
        {
            w.TryWriteMss((ushort)Math.Min(_o.Mss, ushort.MaxValue));
            var synAck = (info.Flags & TcpFlags.Ack) != 0;
            var offerTs = synAck ? _ts : _o.Timestamps;
            var offerSack = synAck ? _sack : _o.Sack;
            var offerWs = synAck ? _peerWindowScaling : _o.WindowScaling;
            if (offerTs) w.TryWriteTimestamps(TsVal(nowNs), synAck ? _tsRecent : 0, offerSack);
            else if (offerSack) w.TryWriteSackPermitted();
            if (offerWs) w.TryWriteWindowScale((byte)_rcvShift);
        }
        else
        {
            if (_ts) w.TryWriteTimestamps(TsVal(nowNs), _tsRecent);
            if (_sack && _recv.HasOutOfOrder)
            {
                Span<SackBlock> blocks = stackalloc SackBlock[4];
                var n = _recv.SackBlocks(_rcvNxt, blocks);
                // SACK blocks give way to the hook's options (MPTCP's DSS must never be crowded out), and on a data
                // segment to its payload: options and payload together stay within the MSS, or the frame outgrows the
                // MTU. A retransmission keeps the size it was first sent with, when fewer blocks were owed.
                var room = w.Remaining - hookSpace;
                var onWire = info.SegmentSize > 0 ? info.SegmentSize : info.PayloadLength;
                if (onWire > 0) room = Math.Min(room, EffectiveMss - hookSpace - onWire);
                var fit = Math.Max(0, (room - 4) / 8);
                w.WriteSackBlocks(blocks[..Math.Min(n, fit)]);
            }
        }
        var length = w.Finish();
        if (_hook is not null) length += _hook.WriteOptions(area[length..], info, payload);
        return length;
    }

    private void FinishSegment(Span<byte> buffer, uint seq, TcpFlags flags, int optionsLength, int payloadLength, uint? ackOverride = null, int segmentSize = 0)
    {
        var ack = (flags & TcpFlags.Ack) != 0 ? ackOverride ?? _rcvNxt : 0;
        ushort window = 0;
        if ((flags & TcpFlags.Rst) == 0)
        {
            var win = AdvertisableWindow();
            if (_hook is not null && (flags & TcpFlags.Syn) == 0) win = Math.Max(0, Math.Min(win, _hook.ReceiveWindowLimit(win)));
            if ((flags & TcpFlags.Syn) != 0)
            {
                window = (ushort)Math.Min(win, ushort.MaxValue);
                if (State != TcpState.SynSent) _rcvAdv = _rcvNxt + window;
            }
            else
            {
                var scaled = Math.Min(win >> _rcvShift, ushort.MaxValue);
                window = (ushort)scaled;
                _rcvAdv = _rcvNxt + (uint)(scaled << _rcvShift);
            }
        }
        TcpSegment.WriteHeader(buffer, LocalPort, RemotePort, seq, ack, flags, window, optionsLength);
        if (segmentSize > 0) _sink.Send(TcpSegment.MinHeaderLength + optionsLength + payloadLength, segmentSize);
        else _sink.Send(TcpSegment.MinHeaderLength + optionsLength + payloadLength);
        Statistics.SegmentsSent++;
        if ((flags & TcpFlags.Ack) != 0)
        {
            _lastAckSent = ack;
            _ackNow = false;
            _unackedSegments = 0;
            _delAckAt = long.MaxValue;
        }
    }

    /// <summary>
    /// The window to announce: free buffer space, never moving the right edge left (RFC 9293 3.8.6.2.2) and not
    /// announcing small openings (receiver SWS avoidance).
    /// </summary>
    private long AdvertisableWindow()
    {
        long free = _recv.Window;
        var current = Math.Max(0, SeqMath.Distance(_rcvNxt, _rcvAdv));
        if (free < Math.Min(_recv.Capacity / 2, Math.Max(EffectiveMss, 1)) && free < _recv.Capacity) free = 0;
        free &= ~((1L << _rcvShift) - 1);
        return Math.Min(Math.Max(free, current), (long)ushort.MaxValue << _rcvShift);
    }
}
