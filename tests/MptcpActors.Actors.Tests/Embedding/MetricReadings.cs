using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using MptcpActors.Actors.Metrics;

namespace MptcpActors.Actors.Tests.Embedding;

/// <summary>Counter totals and the last gauge values of one node's meter.</summary>
public sealed class MetricReadings : IDisposable
{
    private readonly MeterListener _listener = new();
    public ConcurrentDictionary<string, long> Totals { get; } = new();
    public ConcurrentDictionary<(string, string?), long> Gauges { get; } = new();

    public MetricReadings(MptcpMetrics metrics)
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == metrics.Meter) l.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument is ObservableGauge<long>)
                Gauges[(instrument.Name, tags.Length > 0 ? tags[0].Value as string : null)] = value;
            else
                Totals.AddOrUpdate(instrument.Name, static (_, add) => add, static (_, total, add) => total + add, value);
        });
        _listener.Start();
    }

    public long this[string name] => Totals.GetValueOrDefault("MPTcpExt" + name);
    public void Collect() => _listener.RecordObservableInstruments();
    public void Dispose() => _listener.Dispose();
}
