namespace MptcpActors.Actors.Tcp.Congestion;

/// <summary>
/// HyStart++ (RFC 9406): leaves the initial slow start when the round's minimum RTT rises by more than a threshold,
/// through Conservative Slow Start (a quarter of slow start's growth for CSS_ROUNDS rounds, or back to slow start if
/// the RTT falls again). A round is tracked in acknowledged bytes: it ends when the bytes acknowledged reach what was
/// in flight when it began (windowEnd = SND.NXT). A mutable struct held in a field of its algorithm; no allocation.
/// </summary>
internal struct HyStartPlusPlus
{
    public const long MinRttThreshNs = 4_000_000;
    public const long MaxRttThreshNs = 16_000_000;
    public const int MinRttDivisor = 8;
    public const int NRttSample = 8;
    public const int CssGrowthDivisor = 4;
    public const int CssRounds = 5;

    private long _ackedTotal;
    private long _windowEnd;
    private long _lastRoundMinRtt;
    private long _currentRoundMinRtt;
    private int _rttSampleCount;
    private long _cssBaselineMinRtt;
    private int _cssRoundsDone;

    /// <summary>Only the initial slow start uses HyStart++ (RFC 9406 4.3); a loss or timeout turns it off.</summary>
    public bool Active { get; private set; }

    public bool InConservativeSlowStart { get; private set; }

    /// <summary>Growth divisor for this ACK in slow start: 1, or CSS_GROWTH_DIVISOR in CSS.</summary>
    public readonly int GrowthDivisor => InConservativeSlowStart ? CssGrowthDivisor : 1;

    public void Reset(bool enabled)
    {
        Active = enabled;
        InConservativeSlowStart = false;
        _ackedTotal = 0;
        _windowEnd = 0;
        _lastRoundMinRtt = long.MaxValue;
        _currentRoundMinRtt = long.MaxValue;
        _rttSampleCount = 0;
        _cssBaselineMinRtt = long.MaxValue;
        _cssRoundsDone = 0;
    }

    public void Deactivate()
    {
        Active = false;
        InConservativeSlowStart = false;
    }

    /// <summary>An ACK during the initial slow start. Returns true when CSS has run its rounds: enter congestion avoidance.</summary>
    public bool OnAck(in AckSample sample)
    {
        if (!Active) return false;
        _ackedTotal += Math.Max(0, sample.AckedBytes);
        if (_ackedTotal >= _windowEnd)
        {
            // A new round: windowEnd = SND.NXT, i.e. what is acknowledged once the data now in flight is.
            _lastRoundMinRtt = _currentRoundMinRtt;
            _currentRoundMinRtt = long.MaxValue;
            _rttSampleCount = 0;
            _windowEnd = _ackedTotal + Math.Max(0, sample.BytesInFlight);
            if (InConservativeSlowStart && ++_cssRoundsDone >= CssRounds)
            {
                Deactivate();
                return true;
            }
        }

        if (sample.RttNs < 0) return false;
        _currentRoundMinRtt = Math.Min(_currentRoundMinRtt, sample.RttNs);
        _rttSampleCount++;
        if (_rttSampleCount < NRttSample) return false;

        if (!InConservativeSlowStart)
        {
            if (_currentRoundMinRtt == long.MaxValue || _lastRoundMinRtt == long.MaxValue) return false;
            var thresh = Math.Max(MinRttThreshNs, Math.Min(_lastRoundMinRtt / MinRttDivisor, MaxRttThreshNs));
            if (_currentRoundMinRtt >= _lastRoundMinRtt + thresh)
            {
                _cssBaselineMinRtt = _currentRoundMinRtt;
                InConservativeSlowStart = true;
                _cssRoundsDone = 0;
            }
        }
        else if (_currentRoundMinRtt < _cssBaselineMinRtt)
        {
            // The RTT increase was spurious: back to slow start.
            _cssBaselineMinRtt = long.MaxValue;
            InConservativeSlowStart = false;
            _cssRoundsDone = 0;
        }
        return false;
    }
}
