namespace MptcpActors.Actors.Tcp;

public sealed partial class TcpConnection
{
    /// <summary>Runs every timer due at <paramref name="nowNs"/>: TIME-WAIT, delayed ACK, retransmission, persist, keepalive.</summary>
    public void OnTimer(long nowNs)
    {
        if (nowNs >= _timeWaitAt)
        {
            _timeWaitAt = long.MaxValue;
            State = TcpState.Closed;
            return;
        }
        if (nowNs >= _delAckAt)
        {
            _delAckAt = long.MaxValue;
            SendAck(nowNs);
        }
        if (nowNs >= _tlpAt) OnTailLossProbe(nowNs);
        if (nowNs >= _rtoAt) OnRetransmissionTimeout(nowNs);
        if (State == TcpState.Closed) return;
        if (nowNs >= _persistAt) OnPersist(nowNs);
        if (nowNs >= _keepaliveAt) OnKeepalive(nowNs);
    }

    /// <summary>
    /// RFC 8985 7: when ACKs stop while data is in flight, probe with new data (or the last segment) after about two
    /// RTTs, so a lost tail is repaired by SACK recovery instead of an RTO.
    /// </summary>
    private void ArmTailLossProbe(long nowNs)
    {
        if (_tlpOutstanding || _inRecovery || _afterRto || _flight.Count == 0 || !_rtt.HasSample || !State.IsSynchronized())
        {
            _tlpAt = long.MaxValue;
            return;
        }
        var pto = 2 * _rtt.SmoothedRttNs;
        if (_flight.Count == 1) pto += WorstCaseDelayedAckNs;
        pto = Math.Max(pto, MinProbeTimeoutNs);
        _tlpAt = nowNs + pto;
        if (_tlpAt >= _rtoAt) _tlpAt = long.MaxValue;
    }

    private const long WorstCaseDelayedAckNs = 200_000_000;
    private const long MinProbeTimeoutNs = 10_000_000;

    private void OnTailLossProbe(long nowNs)
    {
        _tlpAt = long.MaxValue;
        if (_flight.Count == 0 || _inRecovery) return;
        _tlpOutstanding = true;
        Statistics.TailLossProbes++;
        if (!SendNew(nowNs, ignoreCwnd: true))
        {
            var last = _flight.Count - 1;
            ref var s = ref _flight[last];
            s.Retransmitted = true;
            s.SentNs = nowNs;
            Statistics.BytesRetransmitted += s.Length;
            Statistics.SegmentsRetransmitted++;
            EmitData(s.Seq, s.Length, s.Fin, nowNs, retransmission: true);
        }
        _rtoAt = nowNs + _rtt.RtoNs;
    }

    private void OnRetransmissionTimeout(long nowNs)
    {
        _rtoAt = long.MaxValue;
        _tlpAt = long.MaxValue;
        Statistics.Timeouts++;
        _backoffs++;
        _rtt.Backoff();
        if (State is TcpState.SynSent or TcpState.SynReceived)
        {
            if (_backoffs > _o.SynRetries)
            {
                Close(TcpCloseReason.TimedOut);
                return;
            }
            SendSyn(nowNs, ack: State == TcpState.SynReceived);
            return;
        }
        if (_flight.Count == 0) return;
        _timeoutsWithoutProgress++;
        if (_backoffs > _o.MaxRetransmissions)
        {
            SendControl(AcceptableSeq, 0, Transport.Wire.Tcp.TcpFlags.Rst, nowNs);
            Close(TcpCloseReason.TimedOut);
            return;
        }
        // RFC 6298 5.4–5.7 with RFC 6675 5.1: everything outstanding is presumed lost and resent as cwnd (now 1 MSS) allows.
        _cc.OnRetransmissionTimeout(nowNs, SeqMath.Distance(_sndUna, _sndMax));
        _flight.MarkAllLost();
        _inRecovery = false;
        _afterRto = true;
        _recoveryPoint = _sndMax;
        _dupAcks = 0;
        Output(nowNs);
        _rtoAt = nowNs + _rtt.RtoNs;
    }

    /// <summary>Zero-window probe (RFC 9293 3.8.6.1): one byte beyond the window, resent with backoff until the window opens.</summary>
    private void OnPersist(long nowNs)
    {
        _persistAt = long.MaxValue;
        if (_sndWnd > 0 || !State.IsSynchronized()) return;
        var sent = SeqMath.Distance(_sndUna, _sndNxt) - (_finSent ? 1 : 0);
        if (_send.Count - sent <= 0 || _flight.Count > 0)
        {
            SendAck(nowNs);
        }
        else
        {
            var seq = _sndNxt;
            EmitData(seq, 1, false, nowNs, retransmission: false);
            _flight.Add(new SentSegment { Seq = seq, Length = 1, SentNs = nowNs });
            _sndNxt += 1;
            if (SeqMath.Gt(_sndNxt, _sndMax)) _sndMax = _sndNxt;
            Statistics.BytesSent++;
        }
        Statistics.WindowProbes++;
        _backoffs++;
        _persistAt = nowNs + Math.Min(_rtt.RtoNs << Math.Min(_backoffs, 10), _o.MaxRtoNs);
    }

    /// <summary>Keepalive (RFC 9293 3.8.4): an ACK with SEG.SEQ = SND.NXT − 1 after idle time; the connection dies after enough unanswered probes.</summary>
    private void OnKeepalive(long nowNs)
    {
        _keepaliveAt = long.MaxValue;
        if (!_o.Keepalive || !State.IsSynchronized() || State == TcpState.TimeWait) return;
        if (_keepaliveProbesSent >= _o.KeepaliveProbes)
        {
            SendControl(AcceptableSeq, 0, Transport.Wire.Tcp.TcpFlags.Rst, nowNs);
            Close(TcpCloseReason.TimedOut);
            return;
        }
        _keepaliveProbesSent++;
        SendControl(_sndNxt - 1, _rcvNxt, Transport.Wire.Tcp.TcpFlags.Ack, nowNs);
        _keepaliveAt = nowNs + _o.KeepaliveIntervalNs;
    }
}
