namespace MptcpActors.Actors.Tcp.Congestion;

/// <summary>
/// The part every loss-based algorithm here shares (RFC 5681 / 3465 / 6582 / 7661): the initial window, slow start with
/// appropriate byte counting, the reaction to loss and to a retransmission timeout, and the rules that keep a window
/// from growing on application-limited ACKs or during recovery. Subclasses supply the congestion-avoidance increase and
/// the multiplicative decrease. Plain sans-I/O state: no clock reads, nothing allocated per ACK.
/// </summary>
/// <remarks>
/// Windows are bytes. The core inflates nothing here: during fast recovery the TCP core paces by RFC 6675's pipe
/// against <see cref="CongestionWindow"/>, which is ssthresh from loss detection to recovery exit.
/// </remarks>
public abstract class LossBasedCongestionControl : ICongestionControl
{
    /// <summary>The MSS assumed until <see cref="OnEstablished"/> tells the real one (RFC 9293's default is 536; this is Ethernet's).</summary>
    public const int DefaultMss = 1460;

    /// <summary>RFC 3465's L: slow start grows by at most L·SMSS per ACK (2, and 1 in the slow start after an RTO, §2.3).</summary>
    public const int AbcLimitSegments = 2;

    private long _cwnd;
    private long _ssthresh = long.MaxValue;
    private int _mss = DefaultMss;
    // RFC 3465 bytes_acked for congestion avoidance.
    private long _caBytesAcked;
    private bool _slowStartAfterRto;
    private bool _timeoutWithoutAck;
    private bool _inFastRecovery;

    private protected LossBasedCongestionControl() => _cwnd = InitialWindow(DefaultMss);

    public abstract string Name { get; }

    public long CongestionWindow => _cwnd;

    public long SlowStartThreshold => _ssthresh;

    public bool InSlowStart => _cwnd < _ssthresh;

    /// <summary>The sender's MSS as last told (by <see cref="OnEstablished"/>, <see cref="OnMssChanged"/> or an ACK's sample).</summary>
    public int Mss => _mss;

    /// <summary>Between <see cref="OnLossDetected"/> and <see cref="OnRecoveryExit"/> (or a timeout).</summary>
    public bool InFastRecovery => _inFastRecovery;

    /// <summary>RFC 6928's initial window: min(10·MSS, max(2·MSS, 14600)).</summary>
    public static long InitialWindow(int mss) => Math.Min(10L * mss, Math.Max(2L * mss, 14_600L));

    public void OnEstablished(int mss, long nowNs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mss);
        _mss = mss;
        _cwnd = InitialWindow(mss);
        _ssthresh = long.MaxValue;
        _caBytesAcked = 0;
        _slowStartAfterRto = false;
        _timeoutWithoutAck = false;
        _inFastRecovery = false;
        OnReset(nowNs);
    }

    public void OnAck(in AckSample sample)
    {
        if (sample.Mss > 0 && sample.Mss != _mss) OnMssChanged(sample.Mss);
        if (sample.AckedBytes > 0) _timeoutWithoutAck = false;
        Observe(sample);
        if (sample.AckedBytes <= 0 || sample.InRecovery) return;
        if (sample.ApplicationLimited)
        {
            // RFC 7661: the window was not the limit, so this ACK says nothing about the path's capacity.
            OnApplicationLimitedAck(sample);
            return;
        }

        var acked = sample.AckedBytes;
        if (_cwnd < _ssthresh)
        {
            acked = SlowStart(sample, acked);
            if (acked <= 0 || _cwnd < _ssthresh) return;
        }
        _slowStartAfterRto = false;
        CongestionAvoidance(sample, acked);
    }

    public void OnLossDetected(long nowNs, long bytesInFlight)
    {
        var ssthresh = Math.Max(ReducedWindow(bytesInFlight), 2L * _mss);
        OnCongestionEvent(nowNs, bytesInFlight, timeout: false);
        _ssthresh = ssthresh;
        // RFC 6582 3.2 step 2 would add 3·SMSS here; the core's RFC 6675 pipe does that job.
        _cwnd = ssthresh;
        _caBytesAcked = 0;
        _slowStartAfterRto = false;
        _inFastRecovery = true;
    }

    public void OnRecoveryExit(long nowNs)
    {
        if (!_inFastRecovery) return;
        _inFastRecovery = false;
        // RFC 6582 3.2 step 3 "full ACK": cwnd = ssthresh (nothing grew in recovery, so this only undoes an MSS change).
        _cwnd = Math.Max(_ssthresh, _mss);
        OnRecoveryEnded(nowNs);
    }

    public void OnRetransmissionTimeout(long nowNs, long bytesInFlight)
    {
        // RFC 5681 3.1: a segment that times out again (no ACK of new data since the last timeout) keeps ssthresh.
        if (!_timeoutWithoutAck)
        {
            var ssthresh = Math.Max(ReducedWindow(bytesInFlight), 2L * _mss);
            OnCongestionEvent(nowNs, bytesInFlight, timeout: true);
            _ssthresh = ssthresh;
        }
        _timeoutWithoutAck = true;
        _cwnd = _mss; // the loss window
        _caBytesAcked = 0;
        _slowStartAfterRto = true;
        _inFastRecovery = false;
    }

    public void OnMssChanged(int mss)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mss);
        if (mss == _mss) return;
        _mss = mss;
        // Windows stay in bytes; the per-MSS floors follow the new MSS.
        if (_cwnd < mss) _cwnd = mss;
        if (_ssthresh != long.MaxValue && _ssthresh < 2L * mss) _ssthresh = 2L * mss;
        OnMssUpdated(mss);
    }

    /// <summary>Slow start with RFC 3465 byte counting; returns the acked bytes left over once cwnd reached ssthresh.</summary>
    private protected virtual long SlowStart(in AckSample sample, long ackedBytes) => GrowSlowStart(ackedBytes, 1);

    /// <summary>cwnd += min(acked, L·SMSS) / divisor, capped at ssthresh; returns the acked bytes beyond ssthresh.</summary>
    private protected long GrowSlowStart(long ackedBytes, int divisor)
    {
        var limit = (long)(_slowStartAfterRto ? 1 : AbcLimitSegments) * _mss;
        var increase = Math.Min(ackedBytes, limit) / divisor;
        if (_ssthresh - _cwnd > increase)
        {
            _cwnd += increase;
            return 0;
        }
        var used = (_ssthresh - _cwnd) * divisor;
        _cwnd = _ssthresh;
        return Math.Max(0, ackedBytes - used);
    }

    /// <summary>The congestion-avoidance increase for the bytes this ACK newly acknowledged (outside slow start).</summary>
    private protected abstract void CongestionAvoidance(in AckSample sample, long ackedBytes);

    /// <summary>ssthresh before the 2·SMSS floor after a loss or timeout with this much in flight.</summary>
    private protected abstract long ReducedWindow(long bytesInFlight);

    /// <summary>Every ACK, before any growth (RTT and loss-distance bookkeeping).</summary>
    private protected virtual void Observe(in AckSample sample) { }

    private protected virtual void OnApplicationLimitedAck(in AckSample sample) { }

    /// <summary>A loss or first timeout, called while cwnd still holds the window at the congestion event.</summary>
    private protected virtual void OnCongestionEvent(long nowNs, long bytesInFlight, bool timeout) { }

    private protected virtual void OnRecoveryEnded(long nowNs) { }

    private protected virtual void OnReset(long nowNs) { }

    private protected virtual void OnMssUpdated(int mss) { }

    /// <summary>
    /// RFC 3465 congestion avoidance: counts acked bytes and adds one SMSS per <paramref name="bytesPerSegment"/> of them
    /// (cwnd for Reno: one SMSS per window, i.e. cwnd += SMSS·SMSS/cwnd per full-sized ACK without rounding loss).
    /// </summary>
    private protected void AdditiveIncrease(long ackedBytes, long bytesPerSegment)
    {
        if (bytesPerSegment <= 0) bytesPerSegment = 1;
        if (_caBytesAcked >= bytesPerSegment)
        {
            // Credit counted against a larger window (before a reduction or a change of the coupled threshold) is
            // spent gently, one segment, as Linux's tcp_cong_avoid_ai does.
            _caBytesAcked = 0;
            _cwnd += _mss;
        }
        _caBytesAcked += ackedBytes;
        if (_caBytesAcked < bytesPerSegment) return;
        var segments = _caBytesAcked / bytesPerSegment;
        _caBytesAcked -= segments * bytesPerSegment;
        _cwnd += segments * _mss;
    }

    /// <summary>Sets cwnd directly (CUBIC's window function, OLIA's signed change); never below one SMSS.</summary>
    private protected void SetCongestionWindow(long cwnd) => _cwnd = Math.Max(cwnd, _mss);

    /// <summary>Ends slow start without a loss (HyStart++): ssthresh = cwnd.</summary>
    private protected void EndSlowStart() => _ssthresh = _cwnd;
}
