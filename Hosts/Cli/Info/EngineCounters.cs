using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace MptcpActors.Cli.Info;

/// <summary>
/// A node's published metrics (System.Diagnostics.Metrics instruments: the engine's MPTcpExt-named counters, the
/// command's own), as <c>nstat</c> shows the kernel's: counters summed since the start, node-wide gauges at their last
/// value. Per-connection gauges (tagged) are left out: <c>mptcp info</c> lists the connections themselves.
/// </summary>
public sealed class EngineCounters : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, double> _sums = new();
    private readonly ConcurrentDictionary<string, double> _latest = new();

    /// <param name="include">The meters to read (a process may hold several nodes, each with its own meter).</param>
    public EngineCounters(Func<Meter, bool> include)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!include(instrument.Meter)) return;
            listener.EnableMeasurementEvents(instrument);
            // Like nstat -z: a counter that never moved is listed as 0, not left out.
            if (IsSum(instrument)) _sums.TryAdd(instrument.Name, 0);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags.Length));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags.Length));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags.Length));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, int tags)
    {
        // Counters add up (a measurement is an increment); everything else (gauges, observed values) is a reading.
        if (IsSum(instrument))
            _sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value);
        else if (tags == 0)
            _latest[instrument.Name] = value;
    }

    private static bool IsSum(Instrument instrument) =>
        instrument is Counter<long> or Counter<int> or Counter<double> or UpDownCounter<long> or UpDownCounter<int> or UpDownCounter<double>;

    /// <summary>Every instrument's value now, by name (observable instruments are read first).</summary>
    public IReadOnlyDictionary<string, double> Read()
    {
        _listener.RecordObservableInstruments();
        var all = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, value) in _latest) all[name] = value;
        foreach (var (name, value) in _sums) all[name] = value;
        return all;
    }

    public void Dispose() => _listener.Dispose();
}
