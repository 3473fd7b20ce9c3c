using MptcpActors.Actors.Configuration;

namespace MptcpActors.Actors.Tcp;

/// <summary>
/// RFC 6298's retransmission timer arithmetic, in nanoseconds: SRTT and RTTVAR (α = 1/8, β = 1/4),
/// RTO = SRTT + max(G, K·RTTVAR) with K = 4 clamped to [min RTO, max RTO] (Linux's 200 ms and 120 s by default),
/// an initial RTO of 1 s, and exponential backoff (<see cref="Backoff"/>) undone by the next sample. Also the latest
/// sample and a windowed minimum RTT (Kathleen Nichols' windowed min filter as in Linux's win_minmax, 300 s window).
/// </summary>
/// <remarks>
/// Karn's rule is the caller's: do not sample retransmitted segments (or use timestamps, RFC 7323). Sampling once per
/// RTT or on every ACK (RFC 7323 appendix G) is the caller's choice too. All estimates read -1 before the first sample.
/// </remarks>
public sealed class RttEstimator
{
    public const long DefaultInitialRtoNs = 1_000_000_000;
    public const long DefaultMinRtoNs = 200_000_000;
    public const long DefaultMaxRtoNs = 120_000_000_000;
    public const long DefaultClockGranularityNs = 1_000_000;
    public const long DefaultMinRttWindowNs = 300_000_000_000;

    /// <summary>RFC 6298's K.</summary>
    public const int K = 4;

    private readonly long _initialRtoNs;
    private long _baseRtoNs;
    private long _rtoNs;

    // Windowed minimum: the best, second best and third best samples of the window (time, value).
    private long _min0T, _min0V = -1, _min1T, _min1V = -1, _min2T, _min2V = -1;
    private long _lastSampleAtNs;

    public RttEstimator(long initialRtoNs = DefaultInitialRtoNs, long minRtoNs = DefaultMinRtoNs, long maxRtoNs = DefaultMaxRtoNs,
        long clockGranularityNs = DefaultClockGranularityNs, long minRttWindowNs = DefaultMinRttWindowNs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minRtoNs);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRtoNs, minRtoNs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialRtoNs);
        ArgumentOutOfRangeException.ThrowIfNegative(clockGranularityNs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minRttWindowNs);
        MinRtoNs = minRtoNs;
        MaxRtoNs = maxRtoNs;
        ClockGranularityNs = clockGranularityNs;
        MinRttWindowNs = minRttWindowNs;
        _initialRtoNs = Math.Clamp(initialRtoNs, minRtoNs, maxRtoNs);
        _baseRtoNs = _rtoNs = _initialRtoNs;
    }

    /// <summary>An estimator with the RTO bounds of the <c>tcp</c> settings.</summary>
    public static RttEstimator FromSettings(TcpSettings settings, long clockGranularityNs = DefaultClockGranularityNs) =>
        new(ToNs(settings.InitialRto), ToNs(settings.MinRto), ToNs(settings.MaxRto), clockGranularityNs);

    public long MinRtoNs { get; }
    public long MaxRtoNs { get; }

    /// <summary>RFC 6298's G.</summary>
    public long ClockGranularityNs { get; }

    public long MinRttWindowNs { get; }

    public long SmoothedRttNs { get; private set; } = -1;
    public long RttVarNs { get; private set; } = -1;
    public long LatestRttNs { get; private set; } = -1;

    /// <summary>The smallest RTT sampled in the last <see cref="MinRttWindowNs"/> (all time when samples carry no time).</summary>
    public long MinRttNs => _min0V;

    public bool HasSample => SmoothedRttNs >= 0;

    /// <summary>The timer to arm: the computed RTO, doubled per <see cref="Backoff"/>, within [min RTO, max RTO].</summary>
    public long RtoNs => _rtoNs;

    /// <summary>Consecutive backoffs since the last sample.</summary>
    public int BackoffCount { get; private set; }

    /// <summary>A sample without a time: the minimum RTT window does not advance.</summary>
    public void Sample(long rttNs) => Sample(rttNs, _lastSampleAtNs);

    /// <summary>An RTT measurement (RFC 6298 2.2/2.3), taken at <paramref name="nowNs"/>; resets the backoff.</summary>
    public void Sample(long rttNs, long nowNs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rttNs);
        if (SmoothedRttNs < 0)
        {
            SmoothedRttNs = rttNs;
            RttVarNs = rttNs / 2;
        }
        else
        {
            // RTTVAR first, with the SRTT before this sample.
            RttVarNs = (3 * RttVarNs + Math.Abs(SmoothedRttNs - rttNs)) / 4;
            SmoothedRttNs = (7 * SmoothedRttNs + rttNs) / 8;
        }
        LatestRttNs = rttNs;
        UpdateMinRtt(rttNs, nowNs);
        _baseRtoNs = Math.Clamp(SmoothedRttNs + Math.Max(ClockGranularityNs, K * RttVarNs), MinRtoNs, MaxRtoNs);
        _rtoNs = _baseRtoNs;
        BackoffCount = 0;
    }

    /// <summary>The timer expired (RFC 6298 5.5): RTO = min(2·RTO, max RTO).</summary>
    public void Backoff()
    {
        _rtoNs = _rtoNs > MaxRtoNs / 2 ? MaxRtoNs : Math.Min(_rtoNs * 2, MaxRtoNs);
        BackoffCount++;
    }

    private void UpdateMinRtt(long rtt, long now)
    {
        if (now < _lastSampleAtNs) now = _lastSampleAtNs; // time never runs backwards for the filter
        _lastSampleAtNs = now;
        var win = MinRttWindowNs;
        if (_min0V < 0 || rtt <= _min0V || now - _min2T > win)
        {
            _min0T = _min1T = _min2T = now;
            _min0V = _min1V = _min2V = rtt;
            return;
        }
        if (rtt <= _min1V)
        {
            _min1T = _min2T = now;
            _min1V = _min2V = rtt;
        }
        else if (rtt <= _min2V)
        {
            _min2T = now;
            _min2V = rtt;
        }

        // Age the window's sub-estimates (win_minmax's subwin update).
        var dt = now - _min0T;
        if (dt > win)
        {
            _min0T = _min1T; _min0V = _min1V;
            _min1T = _min2T; _min1V = _min2V;
            _min2T = now; _min2V = rtt;
            if (now - _min0T > win)
            {
                _min0T = _min1T; _min0V = _min1V;
                _min1T = _min2T; _min1V = _min2V;
                _min2T = now; _min2V = rtt;
            }
        }
        else if (_min1T == _min0T && dt > win / 4)
        {
            _min1T = _min2T = now;
            _min1V = _min2V = rtt;
        }
        else if (_min2T == _min1T && dt > win / 2)
        {
            _min2T = now;
            _min2V = rtt;
        }
    }

    private static long ToNs(TimeSpan t) => t.Ticks * 100;
}
