using System.Text.Json;
using CsCheck;
using MptcpActors.Actors.Configuration;
using MptcpActors.Cli.Failover;

namespace MptcpActors.Cli.Tests.ScenarioFuzz;

/// <summary>
/// Scenarios nobody wrote by hand (issue 9): random valid ones run as a user runs them (<c>mptcp failover FILE</c>, on
/// the simulator in virtual time) with <see cref="FailoverReportInvariants"/> checked on each, and random invalid ones
/// refused with the key named and exit 2. A failing case is shrunk by CsCheck and printed as the scenario file; each
/// one found so far is a fixed case in <see cref="FailoverFuzzRegressionTests"/>. More cases: <c>CsCheck_Iter=200</c>.
/// </summary>
public class FailoverFuzzTests
{
    /// <summary>Few: each is a process with an ActorSystem (about a second of this noisy machine's time).</summary>
    private const int RunsPerTest = 20;

    private static long Iter(int usual) => Environment.GetEnvironmentVariable("CsCheck_Iter") is null ? usual : -1;

    [Fact]
    public void A_generated_scenario_reads_back_as_written() =>
        ScenarioGenerators.Valid.Sample(s =>
        {
            var text = ScenarioHocon.Render(s);
            Assert.Equal(text, ScenarioHocon.Render(ScenarioParser.Parse(text)));
        }, iter: Iter(300), print: ScenarioHocon.Render);

    /// <summary>
    /// The same <see cref="RunsPerTest"/> scenarios on every run of the suite (CI must not fail on a case drawn that day;
    /// the invariants still fail on any regression), random ones with shrinking when <c>CsCheck_Iter</c> or
    /// <c>CsCheck_Seed</c> is set.
    /// </summary>
    [Fact]
    public void A_generated_scenario_runs_to_a_report_that_holds_every_invariant()
    {
        void Check(Scenario s)
        {
            var problems = RunAndCheck(ScenarioHocon.Render(s));
            Assert.True(problems.Count == 0, ScenarioHocon.Render(s) + "\n" + string.Join("\n", problems));
        }
        if (Environment.GetEnvironmentVariable("CsCheck_Iter") is not null || Environment.GetEnvironmentVariable("CsCheck_Seed") is not null)
            ScenarioGenerators.Valid.Sample(Check, iter: -1, threads: 1, print: ScenarioHocon.Render);
        else
            for (var i = 0; i < RunsPerTest; i++) Check(ScenarioGenerators.Valid.Generate(new PCG(1, FixedSeed + (ulong)i), null, out _));
    }

    private const ulong FixedSeed = 20261126;

    [Fact]
    public void A_generated_mistake_is_refused_naming_its_key() =>
        InvalidScenarioGenerators.Invalid.Sample(bad =>
        {
            var e = Assert.Throws<MptcpConfigurationException>(() => ScenarioParser.Parse(bad.Hocon));
            Assert.True(e.Errors.Any(error => error.Key == bad.Key), $"{bad.Mistake}: expected {bad.Key}; got {string.Join(" | ", e.Errors)}");
        }, iter: Iter(500), print: bad => $"{bad.Mistake} ({bad.Key}):\n{bad.Hocon}");

    [Fact]
    public void The_command_refuses_a_generated_mistake_with_exit_2_and_one_line_per_key() =>
        InvalidScenarioGenerators.Invalid.Sample(bad =>
        {
            var file = Path.GetTempFileName();
            var dir = Path.Combine(Path.GetTempPath(), $"failover-fuzz-bad-{Guid.NewGuid():N}");
            try
            {
                File.WriteAllText(file, bad.Hocon);
                var r = MptcpProcess.Run("failover", file, "--report", dir);
                Assert.Equal(2, r.ExitCode);
                Assert.Equal("", r.Stdout);
                var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.All(lines, l => Assert.StartsWith("mptcp: error: scenario", l));
                Assert.Contains(lines, l => l.StartsWith($"mptcp: error: {bad.Key}: ", StringComparison.Ordinal));
                Assert.False(Directory.Exists(dir), "a report directory for a refused scenario");
            }
            finally
            {
                File.Delete(file);
            }
        }, iter: Iter(6), threads: 1, print: bad => $"{bad.Mistake} ({bad.Key}):\n{bad.Hocon}");

    /// <summary>Runs the scenario as a separate process, as a user does, and checks its report; what is wrong, if anything.</summary>
    internal static List<string> RunAndCheck(string hocon)
    {
        var scenario = ScenarioParser.Parse(hocon);
        var file = Path.GetTempFileName();
        var dir = Path.Combine(Path.GetTempPath(), $"failover-fuzz-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllText(file, hocon);
            // Generous: virtual time bounds the run (SimFailoverRun.Limit); this only turns a hang into a failure.
            var r = MptcpProcess.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "mptcp.dll"), "failover", file, "--report", dir], TimeSpan.FromMinutes(3));
            var reportFile = Path.Combine(dir, "report.json");
            JsonElement? report = File.Exists(reportFile) ? JsonDocument.Parse(File.ReadAllText(reportFile)).RootElement.Clone() : null;
            var problems = FailoverReportInvariants.Check(scenario, r, report);
            if (problems.Count > 0) problems.Add($"stderr: {r.Stderr}");
            return problems;
        }
        finally
        {
            File.Delete(file);
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}
