using BenchmarkDotNet.Attributes;

namespace MptcpActors.Benchmarks;

/// <summary>
/// The simulator scenarios of <see cref="SimulatorSpeed"/> under BenchmarkDotNet (wall time per run). Each run builds
/// its network and buffers, so the allocation column counts those; steady-state bytes per segment are what
/// <c>--quick sim</c> reports.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class SimulatorBenchmarks
{
    /// <summary>One bulk flow on a 1 Gbit/s, 10 ms link for 1 s of virtual time.</summary>
    [Benchmark]
    public long BulkFlowOneVirtualSecond() => SimulatorSpeed.BulkFlow(virtualSeconds: 1, steadyFromSeconds: 0.5).Segments;

    /// <summary>1,000 flows of 100 KB on one 1 Gbit/s, 10 ms link, until all are done.</summary>
    [Benchmark]
    public long ThousandFlows() => SimulatorSpeed.ManyFlows().Segments;
}
