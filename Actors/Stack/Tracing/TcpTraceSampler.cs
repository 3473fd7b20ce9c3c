using System.Globalization;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Sim;

namespace MptcpActors.Actors.Stack.Tracing;

/// <summary>
/// One sample of a connection (what `ss -ti` would show at that instant). Counters are cumulative since the
/// connection opened; the rates are over the interval since the previous sample of the same connection.
/// </summary>
/// <param name="TimeNs">Virtual (or real) time of the sample.</param>
/// <param name="BytesAcked">Payload bytes the peer acknowledged (sender side).</param>
/// <param name="BytesReceived">In-order payload bytes received (receiver side).</param>
/// <param name="CongestionWindow">cwnd in bytes.</param>
/// <param name="SlowStartThreshold">ssthresh in bytes; long.MaxValue until the first loss.</param>
/// <param name="SmoothedRttNs">SRTT; -1 before the first RTT sample.</param>
/// <param name="BytesRetransmitted">Payload bytes sent again.</param>
/// <param name="BytesInFlight">RFC 6675 pipe.</param>
/// <param name="BytesOutstanding">SND.NXT − SND.UNA, SACKed data included (RFC 5681's FlightSize).</param>
/// <param name="FastRecoveries">Loss recovery episodes entered.</param>
/// <param name="Timeouts">Retransmission timeouts.</param>
/// <param name="InRecovery">In SACK / NewReno loss recovery at the time of the sample.</param>
/// <param name="AckedRateBps">Bits per second acknowledged over the interval (sender goodput).</param>
/// <param name="ReceivedRateBps">Bits per second received in order over the interval (receiver goodput).</param>
public readonly record struct TcpTraceSample(long TimeNs, TcpState State, long BytesAcked, long BytesReceived, long CongestionWindow,
    long SlowStartThreshold, long SmoothedRttNs, long BytesRetransmitted, long BytesInFlight, long BytesOutstanding, long FastRecoveries, long Timeouts,
    bool InRecovery, double AckedRateBps, double ReceivedRateBps);

/// <summary>The samples of one connection.</summary>
public sealed class TcpTraceSeries(string name, TcpSocket socket)
{
    private readonly List<TcpTraceSample> _samples = [];

    public string Name { get; } = name;
    public TcpSocket Socket { get; } = socket;
    public IReadOnlyList<TcpTraceSample> Samples => _samples;
    /// <summary>The connection closed (or entered TIME-WAIT) and its last sample was taken.</summary>
    public bool Finished { get; private set; }

    internal void Take(long nowNs)
    {
        var core = Socket.Core;
        var st = core.Statistics;
        double ackedRate = 0, receivedRate = 0;
        if (_samples.Count > 0)
        {
            var prev = _samples[^1];
            var dt = nowNs - prev.TimeNs;
            if (dt <= 0) return; // one sample per instant
            ackedRate = (st.BytesAcked - prev.BytesAcked) * 8e9 / dt;
            receivedRate = (st.BytesReceived - prev.BytesReceived) * 8e9 / dt;
        }
        _samples.Add(new TcpTraceSample(nowNs, core.State, st.BytesAcked, st.BytesReceived, core.CongestionControl.CongestionWindow,
            core.CongestionControl.SlowStartThreshold, core.Rtt.SmoothedRttNs, st.BytesRetransmitted, core.BytesInFlight, SeqMath.Distance(core.SndUna, core.SndNxt), st.FastRecoveries,
            st.Timeouts, core.InRecovery, ackedRate, receivedRate));
        if (core.State is TcpState.Closed or TcpState.TimeWait) Finished = true;
    }
}

/// <summary>
/// Samples TcpSockets every <see cref="IntervalNs"/> on a timer service (the simulator's virtual clock, or real time)
/// into per-connection series: bytes acknowledged and received, cwnd, ssthresh, SRTT, bytes retransmitted, bytes in
/// flight and outstanding, recoveries and timeouts, and the goodput of each interval; <see cref="WriteCsv"/> writes them out.
/// A connection's series ends with the sample that sees it closed (or in TIME-WAIT); once every series has ended the
/// sampler stops by itself, so a simulation run until idle still ends. Single-threaded, like the stack it watches.
/// </summary>
public sealed class TcpTraceSampler : IDisposable
{
    private readonly ITimerService _timers;
    private readonly List<TcpTraceSeries> _series = [];
    private readonly Action _tick;
    private IDisposable? _timer;
    private long _nextNs;

    public TcpTraceSampler(ITimerService timers, long intervalNs)
    {
        ArgumentNullException.ThrowIfNull(timers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(intervalNs);
        _timers = timers;
        IntervalNs = intervalNs;
        _tick = Tick;
    }

    /// <summary>On the simulator's clock.</summary>
    public TcpTraceSampler(EventScheduler scheduler, long intervalNs) : this(new SimTimerService(scheduler), intervalNs)
    {
    }

    public long IntervalNs { get; }
    public IReadOnlyList<TcpTraceSeries> Series => _series;
    public bool IsRunning => _timer is not null;

    /// <summary>Starts tracing <paramref name="socket"/> (first sample now) and starts the sampler if it is not running.</summary>
    public TcpTraceSeries Add(TcpSocket socket, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var series = new TcpTraceSeries(name ?? socket.Key.ToString(), socket);
        _series.Add(series);
        series.Take(_timers.NowNs);
        if (_timer is null && !series.Finished) Schedule(_timers.NowNs + IntervalNs);
        return series;
    }

    /// <summary>Takes one more sample of every running series now and stops the timer.</summary>
    public void Stop()
    {
        SampleAll(_timers.NowNs);
        _timer?.Dispose();
        _timer = null;
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _timer = null;
    }

    private void Schedule(long atNs)
    {
        _nextNs = atNs;
        _timer = _timers.Schedule(atNs, _tick);
    }

    private void Tick()
    {
        _timer = null;
        if (SampleAll(_timers.NowNs)) Schedule(_nextNs + IntervalNs);
    }

    /// <summary>Samples every unfinished series; returns whether any is still running.</summary>
    private bool SampleAll(long nowNs)
    {
        var running = false;
        foreach (var s in _series)
        {
            if (s.Finished) continue;
            s.Take(nowNs);
            running |= !s.Finished;
        }
        return running;
    }

    /// <summary>
    /// One row per sample: time_s, flow, state, bytes_acked, bytes_received, cwnd, ssthresh (empty until the first
    /// loss), srtt_ms (empty before the first RTT sample), bytes_retransmitted, in_flight, outstanding, fast_recoveries, timeouts,
    /// in_recovery (0/1), acked_rate_bps, received_rate_bps. Invariant culture.
    /// </summary>
    public void WriteCsv(TextWriter writer)
    {
        writer.WriteLine("time_s,flow,state,bytes_acked,bytes_received,cwnd,ssthresh,srtt_ms,bytes_retransmitted,in_flight,outstanding,fast_recoveries,timeouts,in_recovery,acked_rate_bps,received_rate_bps");
        foreach (var s in _series)
        foreach (var x in s.Samples)
        {
            var ssthresh = x.SlowStartThreshold == long.MaxValue ? "" : x.SlowStartThreshold.ToString(CultureInfo.InvariantCulture);
            var srtt = x.SmoothedRttNs < 0 ? "" : (x.SmoothedRttNs / 1e6).ToString("0.###", CultureInfo.InvariantCulture);
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{x.TimeNs / 1e9:0.#########},{s.Name},{x.State},{x.BytesAcked},{x.BytesReceived},{x.CongestionWindow},{ssthresh},{srtt},{x.BytesRetransmitted},{x.BytesInFlight},{x.BytesOutstanding},{x.FastRecoveries},{x.Timeouts},{(x.InRecovery ? 1 : 0)},{x.AckedRateBps:0},{x.ReceivedRateBps:0}"));
        }
    }

    public string ToCsv()
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        WriteCsv(w);
        return w.ToString();
    }
}
