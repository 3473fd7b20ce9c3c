using System.Diagnostics.Metrics;
using MptcpActors.Cli.Info;

namespace MptcpActors.Cli.Tests;

/// <summary>What `mptcp info` lists as counters: the engine's published instruments, as nstat shows the kernel's.</summary>
public class EngineCountersTests
{
    [Fact]
    public void Counters_are_summed_gauges_read_and_other_meters_and_per_connection_gauges_left_out()
    {
        using var meter = new Meter("MptcpActors.CountersTest");
        using var other = new Meter("MptcpActors.CountersTest");   // same name, another node's: not this one's
        using var counters = new EngineCounters(m => m == meter);
        var joins = meter.CreateCounter<long>("CountersTest.MPJoinSynRx");
        var open = meter.CreateUpDownCounter<int>("CountersTest.open");
        var window = 0.0;
        meter.CreateObservableGauge("CountersTest.window", () => window);
        meter.CreateObservableGauge("CountersTest.per-connection", () => new Measurement<long>(9, new KeyValuePair<string, object?>("mptcp.token", "00000001")));
        var unrelated = other.CreateCounter<long>("CountersTest.unrelated");
        meter.CreateCounter<long>("CountersTest.never");

        joins.Add(2);
        joins.Add(1);
        open.Add(3);
        open.Add(-1);
        unrelated.Add(5);
        window = 65.5;

        var read = counters.Read();
        Assert.Equal(3, read["CountersTest.MPJoinSynRx"]);
        Assert.Equal(2, read["CountersTest.open"]);
        Assert.Equal(65.5, read["CountersTest.window"]);
        Assert.False(read.ContainsKey("CountersTest.unrelated"));
        Assert.Equal(0, read["CountersTest.never"]); // listed, like nstat -z
        Assert.False(read.ContainsKey("CountersTest.per-connection")); // info lists connections by themselves
        window = 7;
        Assert.Equal(7, counters.Read()["CountersTest.window"]);
    }
}
