namespace MptcpActors.Actors.Tcp.Congestion;

/// <summary>
/// CUBIC (RFC 9438): after a congestion event the window follows W_cubic(t) = C·(t − K)³ + W_max (in segments, C = 0.4,
/// β = 0.7, K = ∛((W_max − cwnd_epoch)/C)), with t the time since the congestion-avoidance epoch began, shifted by the
/// minimum RTT for the target; fast convergence; the Reno-friendly estimate W_est; HyStart++ (RFC 9406) in the initial
/// slow start (switchable); RTO per §4.8 (cwnd = 1 SMSS, ssthresh = β·FlightSize, next epoch with K = 0). Windows are
/// bytes, computed from segments of the current MSS. Application-limited ACKs neither grow the window nor advance t.
/// </summary>
public sealed class Cubic : LossBasedCongestionControl
{
    /// <summary>RFC 9438's C, in segments per second³.</summary>
    public const double C = 0.4;

    /// <summary>RFC 9438's β_cubic, the multiplicative decrease factor.</summary>
    public const double Beta = 0.7;

    /// <summary>RFC 9438's α_cubic = 3(1 − β)/(1 + β), the Reno-friendly additive increase until W_est reaches cwnd_prior.</summary>
    public const double RenoFriendlyAlpha = 3 * (1 - Beta) / (1 + Beta);

    private const double NsPerSecond = 1e9;

    private readonly bool _fastConvergence;
    private readonly bool _hyStartEnabled;
    private HyStartPlusPlus _hyStart;

    private double _wMax;           // bytes; 0 until the first congestion event
    private double _cwndPrior;      // bytes; cwnd before the last reduction
    private long _epochStartNs = -1;
    private double _k;              // seconds
    private double _wEst;           // bytes
    private double _alpha = RenoFriendlyAlpha;
    private double _cwndFraction;   // sub-byte part of the window function's value
    private bool _kZeroNextEpoch;
    private long _minRttNs = -1;
    private long _lastAckNs = -1;
    private long _previousAckNs = -1;

    public Cubic(bool fastConvergence = true, bool hyStart = true)
    {
        _fastConvergence = fastConvergence;
        _hyStartEnabled = hyStart;
        _hyStart.Reset(hyStart);
    }

    public override string Name => "cubic";

    /// <summary>W_max in bytes (0 before the first congestion event).</summary>
    public double MaxWindow => _wMax;

    /// <summary>K of the current epoch, in seconds.</summary>
    public double K => _k;

    /// <summary>W_est, the Reno-friendly window estimate of the current epoch, in bytes.</summary>
    public double RenoFriendlyWindow => _wEst;

    /// <summary>Start of the current congestion-avoidance epoch, or -1 before its first ACK.</summary>
    public long EpochStartNs => _epochStartNs;

    /// <summary>HyStart++'s Conservative Slow Start is running.</summary>
    public bool InConservativeSlowStart => _hyStart.InConservativeSlowStart;

    /// <summary>K = ∛((W_max − cwnd_epoch)/C) in seconds, windows in bytes (0 when cwnd_epoch ≥ W_max).</summary>
    public static double ComputeK(double wMaxBytes, double cwndEpochBytes, int mss) =>
        wMaxBytes <= cwndEpochBytes ? 0 : Math.Cbrt((wMaxBytes - cwndEpochBytes) / mss / C);

    /// <summary>W_cubic(t) = C·(t − K)³ + W_max, in bytes (t and K in seconds).</summary>
    public static double WindowAt(double tSeconds, double kSeconds, double wMaxBytes, int mss)
    {
        var d = tSeconds - kSeconds;
        return C * d * d * d * mss + wMaxBytes;
    }

    private protected override long ReducedWindow(long bytesInFlight) => (long)(bytesInFlight * Beta);

    private protected override void Observe(in AckSample sample)
    {
        _previousAckNs = _lastAckNs;
        _lastAckNs = sample.NowNs;
        if (sample.RttNs >= 0 && (_minRttNs < 0 || sample.RttNs < _minRttNs)) _minRttNs = sample.RttNs;
        if (_hyStart.Active && InSlowStart && _hyStart.OnAck(sample))
        {
            // RFC 9438 4.10: slow start left without a loss; cwnd_prior = cwnd, the first epoch runs with K = 0.
            EndSlowStart();
            _cwndPrior = CongestionWindow;
        }
    }

    private protected override long SlowStart(in AckSample sample, long ackedBytes) =>
        GrowSlowStart(ackedBytes, _hyStart.GrowthDivisor);

    private protected override void OnApplicationLimitedAck(in AckSample sample)
    {
        // The window function's clock stands still while the sender is application-limited (RFC 9438 5.8, as
        // Linux shifts epoch_start over idle periods), so the window does not jump when the sender catches up.
        if (_epochStartNs >= 0 && _previousAckNs >= 0 && sample.NowNs > _previousAckNs)
            _epochStartNs += sample.NowNs - _previousAckNs;
    }

    private protected override void CongestionAvoidance(in AckSample sample, long ackedBytes)
    {
        var mss = Mss;
        var now = sample.NowNs;
        var cwnd = CongestionWindow + _cwndFraction;
        if (_epochStartNs < 0) StartEpoch(now, cwnd, mss);

        var t = (now - _epochStartNs) / NsPerSecond;
        var minRttNs = sample.MinRttNs >= 0 ? sample.MinRttNs : _minRttNs;
        var rtt = minRttNs > 0 ? minRttNs / NsPerSecond : 0;

        // §4.3 Reno-friendly region: W_est grows by α_cubic segments per window of acknowledged segments.
        _wEst += _alpha * ackedBytes * mss / cwnd;
        if (_alpha < 1 && _wEst >= _cwndPrior) _alpha = 1;

        double next;
        if (WindowAt(t, _k, _wMax, mss) < _wEst)
        {
            next = Math.Max(cwnd, _wEst);
        }
        else
        {
            // §4.4/4.5: concave and convex regions, towards W_cubic(t + RTT), at most 1.5·cwnd per RTT.
            var target = WindowAt(t + rtt, _k, _wMax, mss);
            if (target < cwnd) target = cwnd;
            else if (target > 1.5 * cwnd) target = 1.5 * cwnd;
            next = Math.Min(target, cwnd + (target - cwnd) * ackedBytes / cwnd);
        }
        var whole = Math.Floor(next);
        _cwndFraction = next - whole;
        SetCongestionWindow((long)whole);
    }

    private void StartEpoch(long nowNs, double cwnd, int mss)
    {
        _epochStartNs = nowNs;
        _wEst = cwnd;
        if (_kZeroNextEpoch || _wMax <= cwnd)
        {
            // After a timeout, after HyStart++ or when the window already passed W_max: K = 0, W_max = cwnd_epoch.
            _k = 0;
            _wMax = cwnd;
            _kZeroNextEpoch = false;
        }
        else
        {
            _k = ComputeK(_wMax, cwnd, mss);
        }
    }

    private protected override void OnCongestionEvent(long nowNs, long bytesInFlight, bool timeout)
    {
        var cwnd = CongestionWindow + _cwndFraction;
        _cwndPrior = cwnd;
        // §4.7 fast convergence: a flow whose window shrank since the last event releases bandwidth sooner.
        _wMax = _fastConvergence && cwnd < _wMax ? cwnd * (1 + Beta) / 2 : cwnd;
        _epochStartNs = -1;
        _alpha = RenoFriendlyAlpha;
        _cwndFraction = 0;
        if (timeout) _kZeroNextEpoch = true;
        _hyStart.Deactivate();
    }

    // An epoch begun by ACKs the core did not flag as in recovery would carry W_est and t from before cwnd was put back
    // to ssthresh: the epoch starts afresh at the first ACK after recovery, as after a loss.
    private protected override void OnRecoveryEnded(long nowNs)
    {
        _epochStartNs = -1;
        _cwndFraction = 0;
    }

    private protected override void OnReset(long nowNs)
    {
        _wMax = 0;
        _cwndPrior = 0;
        _epochStartNs = -1;
        _k = 0;
        _wEst = 0;
        _alpha = RenoFriendlyAlpha;
        _cwndFraction = 0;
        _kZeroNextEpoch = false;
        _minRttNs = -1;
        _lastAckNs = -1;
        _previousAckNs = -1;
        _hyStart.Reset(_hyStartEnabled);
    }

    // W_max stays in bytes; K (in segments of the old MSS) is recomputed by starting a new epoch.
    private protected override void OnMssUpdated(int mss) => _epochStartNs = -1;
}
