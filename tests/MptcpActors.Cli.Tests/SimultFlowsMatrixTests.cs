using MptcpActors.Cli.Failover;

namespace MptcpActors.Cli.Tests;

/// <summary>
/// The matrix of Linux's selftest simult_flows.sh (the five built-in simult-* scenarios: its rates, delays and netem
/// queue limits) run as the script runs it, in virtual time, so the times are the simulator's and deterministic, not a
/// wall clock: per case the client sends 80 KiB while the server sends 16 MiB, then the reverse. Each run must deliver
/// both streams intact (SHA-256) within the script's own bound for that case.
/// </summary>
public class SimultFlowsMatrixTests
{
    private const long Large = 2 * 2048 * 4096; // the script's $size: 16 MiB
    private const long Small = 20 * 4096;

    public static TheoryData<string, bool> Runs()
    {
        var runs = new TheoryData<string, bool>();
        foreach (var b in BuiltinScenarios.All.Where(b => b.Name.StartsWith("simult-", StringComparison.Ordinal)))
        {
            runs.Add(b.Name, false);
            runs.Add(b.Name, true);
        }
        return runs;
    }

    /// <summary>
    /// simult_flows.sh's run_test: size·8·10 / ((rate1 + rate2)·10⁶·9) ms (the summed rate less 10 % for headers), plus
    /// 400 ms for mptcp_connect's join sleeps and 50 ms of slack, in its shell's integer arithmetic.
    /// </summary>
    public static TimeSpan ScriptBound(Scenario scenario)
    {
        var mbit = scenario.Paths.Sum(p => (long)(p.RateBps / 1e6));
        return TimeSpan.FromMilliseconds(1000 * Large * 8 * 10 / (mbit * 1000 * 1000 * 9) + 400 + 50);
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void Completes_intact_within_the_scripts_bound(string name, bool reverse)
    {
        var builtin = ScenarioParser.Parse(BuiltinScenarios.Find(name)!.Hocon);
        Assert.Equal(2, builtin.Paths.Count);
        Assert.Equal(Large, builtin.Traffic.Bytes);
        var scenario = builtin with
        {
            Traffic = builtin.Traffic with { Bytes = reverse ? Large : Small, DownloadBytes = reverse ? Small : Large },
        };
        var outcome = SimFailoverRun.Run(scenario);
        Assert.True(outcome.Completed, outcome.Error ?? "not completed");
        Assert.True(outcome.Sha256Match);
        Assert.Equal(Large + Small, outcome.Bytes);
        var bound = ScriptBound(scenario);
        Assert.True(outcome.DurationS <= bound.TotalSeconds,
            $"{name}{(reverse ? " - reverse direction" : "")}: last byte at {outcome.DurationS:F3} s of simulated time, the script's bound is {bound.TotalSeconds:F3} s");
    }

    [Fact]
    public void The_bound_is_the_scripts()
    {
        // 16 MiB over 10 + 10 Mbit/s: 7456 ms + 450; over 10 + 3 Mbit/s: 11471 ms + 450 (the script prints "max 7906", "max 11921").
        Assert.Equal(TimeSpan.FromMilliseconds(7906), ScriptBound(ScenarioParser.Parse(BuiltinScenarios.Find("simult-balanced-bwidth")!.Hocon)));
        Assert.Equal(TimeSpan.FromMilliseconds(11921), ScriptBound(ScenarioParser.Parse(BuiltinScenarios.Find("simult-unbalanced-bwidth")!.Hocon)));
    }
}
