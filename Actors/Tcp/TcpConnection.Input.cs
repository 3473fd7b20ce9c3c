using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Actors.Tcp;

public sealed partial class TcpConnection
{
    private uint? _peerFinSeq;
    private bool _afterRto;
    private bool _peerWindowScaling;

    /// <summary>A segment for this connection arrived (checksum already verified by the shell): RFC 9293 3.10.7.</summary>
    public void OnSegment(TcpSegment seg, long nowNs)
    {
        Statistics.SegmentsReceived++;
        _lastReceiveNs = nowNs;
        _keepaliveProbesSent = 0;
        if (_o.Keepalive && State.IsSynchronized()) _keepaliveAt = nowNs + _o.KeepaliveIdleNs;
        switch (State)
        {
            case TcpState.Closed or TcpState.Listen:
                return;
            case TcpState.SynSent:
                OnSegmentInSynSent(seg, nowNs);
                return;
        }

        var seq = seg.SequenceNumber;
        var segLen = (uint)seg.Payload.Length + (seg.Has(TcpFlags.Syn) ? 1u : 0) + (seg.Has(TcpFlags.Fin) ? 1u : 0);
        var hasTs = TryTimestamps(seg, out var tsVal, out _);

        // RFC 7323 5.3 R1: PAWS drops a segment older than TS.Recent (and acknowledges it).
        if (_ts && hasTs && !seg.Has(TcpFlags.Rst) && SeqMath.Lt(tsVal, _tsRecent))
        {
            Statistics.PawsDrops++;
            SendInvalidSegmentAck(segLen, seg.Has(TcpFlags.Syn), nowNs);
            return;
        }

        // A retransmitted SYN while our SYN/ACK is unacknowledged (ours was lost, or slow to leave): the SYN/ACK again, as
        // Linux's tcp_check_req does. The table below would answer with a bare ACK, which an MPTCP client in the middle
        // of its MP_CAPABLE handshake takes for a peer without MPTCP and falls back (RFC 8684 3.1).
        if (State == TcpState.SynReceived && seg.Has(TcpFlags.Syn) && !seg.Has(TcpFlags.Ack) && seq == _irs)
        {
            SendSyn(nowNs, ack: true);
            return;
        }

        // First: sequence number acceptability (RFC 9293 3.10.7.4 table).
        if (!Acceptable(seq, segLen))
        {
            Statistics.OutOfWindowDrops++;
            if (!seg.Has(TcpFlags.Rst)) SendInvalidSegmentAck(segLen, seg.Has(TcpFlags.Syn), nowNs);
            // RFC 9293 3.10.7.4: in TIME-WAIT a retransmitted FIN is acknowledged and restarts the 2 MSL wait.
            if (State == TcpState.TimeWait && seg.Has(TcpFlags.Fin)) _timeWaitAt = nowNs + _o.TimeWaitNs;
            return;
        }

        // Second: RST (RFC 5961 3.2: only the exact next sequence number resets; in-window others get a challenge ACK).
        if (seg.Has(TcpFlags.Rst))
        {
            if (seq == _rcvNxt)
            {
                // The layer above reads the RST's options first: MPTCP's MP_FASTCLOSE and MP_TCPRST ride on RSTs (Linux:
                // tcp_reset calls mptcp_incoming_options).
                _hook?.OnOptions(seg.Options, new IncomingSegmentInfo(seq, seg.AcknowledgmentNumber, seg.Flags, 0, State));
                Close(TcpCloseReason.Reset);
            }
            else SendChallengeAck(nowNs);
            return;
        }

        // Fourth: SYN (RFC 5961 4.2): in a synchronized state any SYN gets a challenge ACK.
        if (seg.Has(TcpFlags.Syn))
        {
            SendChallengeAck(nowNs);
            return;
        }

        // Fifth: ACK.
        if (!seg.Has(TcpFlags.Ack)) return;
        var ack = seg.AcknowledgmentNumber;
        if (State == TcpState.SynReceived)
        {
            if (!SeqMath.Lt(_sndUna, ack) || !SeqMath.Le(ack, _sndMax))
            {
                SendControl(ack, 0, TcpFlags.Rst, nowNs);
                return;
            }
            EnterEstablished(nowNs);
            _sndWl1 = seq;
            _sndWl2 = ack;
        }
        // RFC 5961 5.2: an ACK for data never sent is answered and dropped; one far behind SND.UNA is dropped.
        if (SeqMath.Gt(ack, _sndMax))
        {
            SendInvalidSegmentAck(segLen, false, nowNs);
            return;
        }
        if (SeqMath.Lt(ack, _sndUna - (uint)Math.Min(_maxSndWnd, int.MaxValue)))
        {
            SendChallengeAck(nowNs);
            return;
        }
        if (hasTs && SeqMath.Le(seq, _lastAckSent) && SeqMath.Ge(tsVal, _tsRecent)) _tsRecent = tsVal;
        if (_hook?.OnOptions(seg.Options, new IncomingSegmentInfo(seq, ack, seg.Flags, seg.Payload.Length, State, (long)seg.Window << _sndShift)) == true) _ackNow = true;
        ProcessAck(seg, seq, ack, nowNs);
        if (State == TcpState.Closed) return;

        // Seventh: segment text.
        var delivered = false;
        if (seg.Payload.Length > 0 && State.CanReceive())
        {
            var advanced = _recv.Insert(SeqMath.Distance(_rcvNxt, seq), seg.Payload);
            _rcvNxt += (uint)advanced;
            Statistics.BytesReceived += advanced;
            delivered = advanced > 0;
            // Out-of-order data, or data that filled a hole, is acknowledged at once (RFC 5681 4.2).
            if (advanced == 0 || _recv.HasOutOfOrder || advanced > seg.Payload.Length) _ackNow = true;
            else if (++_unackedSegments >= 2 || !_o.DelayedAck) _ackNow = true;
            else if (_delAckAt == long.MaxValue) _delAckAt = nowNs + _o.DelayedAckNs;
        }
        else if (seg.Payload.Length > 0)
        {
            _ackNow = true;
        }

        // The layer above sees data before it hears of the FIN that follows it, and before any close.
        if (delivered) _events.OnDataReadable();

        // Eighth: FIN, processed once all data before it has arrived.
        if (seg.Has(TcpFlags.Fin)) _peerFinSeq = seq + (uint)seg.Payload.Length;
        if (_peerFinSeq is { } fin && fin == _rcvNxt && !_peerFin) OnPeerFin(nowNs);
        else if (seg.Has(TcpFlags.Fin) && State == TcpState.TimeWait)
        {
            _ackNow = true;
            _timeWaitAt = nowNs + _o.TimeWaitNs;
        }

        Output(nowNs);
    }

    private void OnSegmentInSynSent(TcpSegment seg, long nowNs)
    {
        var hasAck = seg.Has(TcpFlags.Ack);
        var ack = seg.AcknowledgmentNumber;
        if (hasAck && (SeqMath.Le(ack, _iss) || SeqMath.Gt(ack, _sndMax)))
        {
            if (!seg.Has(TcpFlags.Rst)) SendControl(ack, 0, TcpFlags.Rst, nowNs);
            return;
        }
        if (seg.Has(TcpFlags.Rst))
        {
            if (hasAck) Close(TcpCloseReason.Refused);
            return;
        }
        if (!seg.Has(TcpFlags.Syn)) return;
        if (_hook is not null && !_hook.AcceptSyn(seg.Options, synAck: hasAck))
        {
            if (hasAck) SendControl(ack, 0, TcpFlags.Rst, nowNs);
            Close(TcpCloseReason.Refused);
            return;
        }
        TakeSyn(seg, nowNs);
        if (hasAck)
        {
            _sndUna = ack;
            _sndWl1 = seg.SequenceNumber;
            _sndWl2 = ack;
            _hook?.OnOptions(seg.Options, new IncomingSegmentInfo(seg.SequenceNumber, ack, seg.Flags, seg.Payload.Length, State, seg.Window));
            EnterEstablished(nowNs);
            _ackNow = true;
            Output(nowNs);
        }
        else
        {
            // Simultaneous open (RFC 9293 3.5, figure 8).
            State = TcpState.SynReceived;
            _hook?.OnOptions(seg.Options, new IncomingSegmentInfo(seg.SequenceNumber, ack, seg.Flags, seg.Payload.Length, State, seg.Window));
            SendSyn(nowNs, ack: true);
        }
    }

    /// <summary>Takes the peer's ISN and options from its SYN (RFC 7323 2.2, 3.2; RFC 2018 2; RFC 9293 3.7.1).</summary>
    private void TakeSyn(TcpSegment syn, long nowNs)
    {
        _irs = syn.SequenceNumber;
        _rcvNxt = _irs + 1;
        _rcvAdv = _rcvNxt;
        _peerMss = 536;
        var peerShift = -1;
        var peerSack = false;
        var peerTs = false;
        foreach (var o in syn.ReadOptions())
        {
            if (TcpOptions.TryReadMss(o, out var mss) && mss > 0) _peerMss = mss;
            else if (TcpOptions.TryReadWindowScale(o, out var shift)) peerShift = Math.Min((int)shift, TcpOptions.MaxWindowScale);
            else if (TcpOptions.IsSackPermitted(o)) peerSack = true;
            else if (TcpOptions.TryReadTimestamps(o, out var v, out _))
            {
                peerTs = true;
                _tsRecent = v;
            }
        }
        _peerWindowScaling = peerShift >= 0 && _o.WindowScaling;
        if (_peerWindowScaling) _sndShift = peerShift;
        else _sndShift = _rcvShift = 0;
        _sack = peerSack && _o.Sack;
        _ts = peerTs && _o.Timestamps;
        _sndWnd = syn.Window; // never scaled in a SYN (RFC 7323 2.2)
        _maxSndWnd = _sndWnd;
        _lastAckSent = _rcvNxt;
        _ = nowNs;
    }

    private void EnterEstablished(long nowNs)
    {
        State = TcpState.Established;
        _rtoAt = long.MaxValue;
        if (_backoffs == 0 && _synSentNs >= 0) _rtt.Sample(nowNs - _synSentNs, nowNs);
        _backoffs = 0;
        _sndUna = _iss + 1;
        if (SeqMath.Lt(_sndNxt, _sndUna)) _sndNxt = _sndUna;
        _cc.OnEstablished(EffectiveMss, nowNs);
        if (_o.Keepalive) _keepaliveAt = nowNs + _o.KeepaliveIdleNs;
        _events.OnEstablished();
    }

    private bool Acceptable(uint seq, uint segLen)
    {
        var wnd = (uint)Math.Max(0, SeqMath.Distance(_rcvNxt, _rcvAdv));
        if (segLen == 0)
            return wnd == 0 ? seq == _rcvNxt : SeqMath.InRange(seq, _rcvNxt, _rcvNxt + wnd) || seq == _rcvNxt;
        if (wnd == 0) return false;
        return SeqMath.InRange(seq, _rcvNxt, _rcvNxt + wnd) || SeqMath.InRange(seq + segLen - 1, _rcvNxt, _rcvNxt + wnd);
    }

    private void ProcessAck(TcpSegment seg, uint seq, uint ack, long nowNs)
    {
        LastAckReceivedNs = nowNs;
        Span<SackBlock> blocks = stackalloc SackBlock[4];
        long newlySacked = 0;
        if (_sack)
        {
            foreach (var o in seg.ReadOptions())
            {
                if (o.Kind != TcpOptionKind.Sack) continue;
                var n = TcpOptions.ReadSackBlocks(o, blocks);
                for (var i = 0; i < n; i++)
                {
                    // SACK blocks outside what we have in flight are ignored (RFC 2018 does not let them move SND.UNA).
                    if (SeqMath.Le(blocks[i].Right, blocks[i].Left) || SeqMath.Lt(blocks[i].Left, ack) || SeqMath.Gt(blocks[i].Right, _sndMax)) continue;
                    newlySacked += _flight.MarkSacked(blocks[i].Left, blocks[i].Right);
                }
            }
        }

        var window = (long)seg.Window << _sndShift;
        var windowChanged = false;
        if (SeqMath.Lt(_sndWl1, seq) || (_sndWl1 == seq && SeqMath.Le(_sndWl2, ack)))
        {
            windowChanged = window != _sndWnd;
            _sndWnd = window;
            _sndWl1 = seq;
            _sndWl2 = ack;
            _maxSndWnd = Math.Max(_maxSndWnd, window);
            if (window > 0) _persistAt = long.MaxValue;
        }

        if (SeqMath.Gt(ack, _sndUna))
        {
            var rttNs = -1L;
            var dataAcked = 0L;
            var finAcked = false;
            for (var i = 0; i < _flight.Count && SeqMath.Le(_flight[i].End, ack); i++)
            {
                ref var s = ref _flight[i];
                if (!s.Retransmitted) rttNs = nowNs - s.SentNs;
                dataAcked += s.Length;
                finAcked |= s.Fin;
            }
            if (_flight.Count > 0 && SeqMath.Lt(_flight[0].Seq, ack) && SeqMath.Lt(ack, _flight[0].End))
                dataAcked += (int)(ack - _flight[0].Seq); // part of a segment
            _flight.AckUpTo(ack);
            if (dataAcked > 0)
            {
                _send.Consume((int)Math.Min(dataAcked, _send.Count));
                // Everything acknowledged: an idle subflow keeps no send buffer.
                _send.ReleaseIfEmpty();
            }
            _sndUna = ack;
            if (SeqMath.Lt(_sndNxt, _sndUna)) _sndNxt = _sndUna;
            if (rttNs >= 0) _rtt.Sample(rttNs, nowNs);
            _backoffs = 0;
            _timeoutsWithoutProgress = 0;
            _dupAcks = 0;
            Statistics.BytesAcked += dataAcked;
            _rtoAt = _flight.Count > 0 ? nowNs + _rtt.RtoNs : long.MaxValue;
            _tlpOutstanding = false;

            if (_afterRto && SeqMath.Ge(ack, _recoveryPoint)) _afterRto = false;
            if (_inRecovery && SeqMath.Ge(ack, _recoveryPoint))
            {
                _inRecovery = false;
                _flight.EndRecovery();
                _cc.OnRecoveryExit(nowNs);
            }
            else if (_inRecovery && !_sack && _flight.Count > 0)
            {
                _flight.MarkFirstLost(); // RFC 6582 partial ACK: the next hole is lost too
            }
            // Application-limited (RFC 7661) only with nothing left to send: after a timeout the outstanding data is
            // presumed lost and waits for the window (sent once already, it is not beyond snd.nxt), so slow start must
            // grow it. Counted as limited, a sender whose last data was sent before the timeout resent one segment per
            // round trip to the end (a 1 s transfer both ways over coupled congestion control took minutes).
            var appLimited = !_afterRto && _send.Count - (int)SeqMath.Distance(_sndUna, _sndNxt) <= 0;
            _cc.OnAck(new Congestion.AckSample(nowNs, dataAcked + newlySacked, _flight.Pipe, rttNs, _rtt.MinRttNs, EffectiveMss, _inRecovery, appLimited));
            if (finAcked) OnOurFinAcked(nowNs);
            ArmTailLossProbe(nowNs);
            if (dataAcked > 0) _events.OnAcknowledged(dataAcked);
        }
        else if (ack == _sndUna && seg.Payload.Length == 0 && !seg.Has(TcpFlags.Syn) && !seg.Has(TcpFlags.Fin) && !windowChanged && _flight.Count > 0
                 && (!_sack || newlySacked > 0))
        {
            // With SACK a duplicate ACK must report newly SACKed data (RFC 6675 2): a pure ACK repeating the cumulative
            // ACK says nothing of loss (MPTCP sends such ACKs to carry a new DATA_ACK, as Linux does).
            _dupAcks++;
            Statistics.DuplicateAcks++;
            if (newlySacked > 0) _cc.OnAck(new Congestion.AckSample(nowNs, newlySacked, _flight.Pipe, -1, _rtt.MinRttNs, EffectiveMss, _inRecovery, false));
        }

        DetectLoss(nowNs);
    }

    /// <summary>RFC 6675 5 (with SACK) or RFC 6582 (three duplicate ACKs) entry into fast recovery.</summary>
    private void DetectLoss(long nowNs)
    {
        if (_flight.Count == 0) return;
        var flightSize = SeqMath.Distance(_sndUna, _sndMax);
        var lost = _sack && _flight.MarkLost();
        if (_inRecovery)
        {
            // RFC 8985's reordering window: a quarter of the least RTT.
            if (_sack) _flight.MarkLostRetransmissions(Math.Max(0, _rtt.MinRttNs / 4));
            return;
        }
        if (!lost && _dupAcks < SentSegmentLog.DupThresh) return;
        // Do not start a second recovery for losses of the window an RTO already handled (RFC 6582 "recover").
        if (_afterRto && SeqMath.Lt(_sndUna, _recoveryPoint)) return;
        _flight.MarkFirstLost();
        _inRecovery = true;
        _tlpAt = long.MaxValue;
        _recoveryPoint = _sndMax;
        Statistics.FastRecoveries++;
        // RFC 5681 3.2 eq. 4 halves FlightSize (data outstanding), not the RFC 6675 pipe that already excludes losses.
        _cc.OnLossDetected(nowNs, flightSize);
    }

    private void OnOurFinAcked(long nowNs)
    {
        switch (State)
        {
            case TcpState.FinWait1:
                State = TcpState.FinWait2;
                break;
            case TcpState.Closing:
                EnterTimeWait(nowNs);
                break;
            case TcpState.LastAck:
                Close(TcpCloseReason.Closed);
                break;
        }
    }

    private void OnPeerFin(long nowNs)
    {
        _peerFin = true;
        _rcvNxt++;
        _ackNow = true;
        var timeWait = false;
        switch (State)
        {
            case TcpState.Established or TcpState.SynReceived:
                State = TcpState.CloseWait;
                break;
            case TcpState.FinWait1:
                if (_finSent && _sndUna == _sndMax) timeWait = true;
                else State = TcpState.Closing;
                break;
            case TcpState.FinWait2:
                timeWait = true;
                break;
        }
        // The layer above hears of the FIN before the connection reports closed; it may answer with its own FIN or abort.
        _events.OnPeerClosed();
        if (timeWait && State != TcpState.Closed) EnterTimeWait(nowNs);
    }

    private void EnterTimeWait(long nowNs)
    {
        State = TcpState.TimeWait;
        _rtoAt = _persistAt = _keepaliveAt = _delAckAt = _tlpAt = long.MaxValue;
        _timeWaitAt = nowNs + _o.TimeWaitNs;
        if (!_closedReported)
        {
            _closedReported = true;
            _events.OnClosed(TcpCloseReason.Closed);
        }
    }

    private static bool TryTimestamps(TcpSegment seg, out uint value, out uint echo)
    {
        foreach (var o in seg.ReadOptions())
            if (TcpOptions.TryReadTimestamps(o, out value, out echo)) return true;
        value = echo = 0;
        return false;
    }
}
