using System.Diagnostics.Metrics;
using MptcpActors.Cli.Info;

namespace MptcpActors.Cli.Tests;

/// <summary>What `mptcp info` lists as counters: the engine's published instruments, as nstat shows the kernel's.</summary>
public class EngineCountersTests
{
    [Fact]
    public void Counters_are_summed_gauges_read_and_other_meters_left_out()
    {
        using var counters = new EngineCounters();
        using var meter = new Meter("MptcpActors.CountersTest");
        using var other = new Meter("SomethingElse.CountersTest");
        var joins = meter.CreateCounter<long>("CountersTest.MPJoinSynRx");
        var open = meter.CreateUpDownCounter<int>("CountersTest.open");
        var window = 0.0;
        meter.CreateObservableGauge("CountersTest.window", () => window);
        var unrelated = other.CreateCounter<long>("CountersTest.unrelated");

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
        window = 7;
        Assert.Equal(7, counters.Read()["CountersTest.window"]);
    }
}
