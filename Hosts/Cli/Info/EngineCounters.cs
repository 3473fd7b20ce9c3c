using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace MptcpActors.Cli.Info;

/// <summary>
/// The engine's published metrics (System.Diagnostics.Metrics instruments of any meter whose name holds "mptcp", such
/// as the MPTcpExt-named counters), as <c>nstat</c> shows the kernel's: counters summed since the start, gauges and
/// observable instruments at their last value.
/// </summary>
public sealed class EngineCounters : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, double> _sums = new();
    private readonly ConcurrentDictionary<string, double> _latest = new();

    public EngineCounters()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.Contains("mptcp", StringComparison.OrdinalIgnoreCase)) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, _, _) => Record(i, v));
        _listener.SetMeasurementEventCallback<int>((i, v, _, _) => Record(i, v));
        _listener.SetMeasurementEventCallback<double>((i, v, _, _) => Record(i, v));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value)
    {
        // Counters add up (a measurement is an increment); everything else (gauges, observed values) is a reading.
        if (instrument is Counter<long> or Counter<int> or Counter<double> or UpDownCounter<long> or UpDownCounter<int> or UpDownCounter<double>)
            _sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value);
        else
            _latest[instrument.Name] = value;
    }

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
