using System.Text.Json;
using MptcpActors.Cli.Failover;
using MptcpActors.Cli.Tests.ScenarioFuzz;

namespace MptcpActors.Cli.Tests;

/// <summary>
/// Every built-in failover scenario run as a user runs it (<c>mptcp failover --builtin NAME</c>, on the simulator in
/// virtual time), its report.json checked against what the scenario implies: the data intact, no bytes on a path while
/// it is down or blackholed, the longest stall after the first fault that takes a path away, a backup path carrying
/// data only while the regular paths are unusable, and the same seed giving the same report.
/// </summary>
public class FailoverSimTests
{
    private static readonly string[] Fields = FailoverReportInvariants.Fields;

    public static TheoryData<string> Builtins() => new(BuiltinScenarios.All.Select(b => b.Name));

    private static (JsonElement Report, string Dir) Run(string builtin, params string[] more)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"failover-test-{Guid.NewGuid():N}");
        var r = MptcpProcess.Run(["failover", "--builtin", builtin, "--report", dir, .. more]);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Stderr}");
        foreach (var file in new[] { "report.json", "throughput.svg", "summary.md" }) Assert.True(File.Exists(Path.Combine(dir, file)), file);
        return (JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "report.json"))).RootElement.Clone(), dir);
    }

    [Theory]
    [MemberData(nameof(Builtins))]
    public void Builtin_scenario_runs_as_the_scenario_implies(string name)
    {
        var scenario = ScenarioParser.Parse(BuiltinScenarios.Find(name)!.Hocon);
        var (report, dir) = Run(name);
        try
        {
            Assert.Equal(Fields, report.EnumerateObject().Select(p => p.Name));
            Assert.Equal(name, report.GetProperty("scenario").GetString());
            Assert.True(report.GetProperty("completed").GetBoolean());
            Assert.True(report.GetProperty("sha256_match").GetBoolean());
            var series = report.GetProperty("series").EnumerateArray().ToDictionary(s => s.GetProperty("path").GetString()!,
                s => (T: s.GetProperty("t_s").EnumerateArray().Select(v => v.GetDouble()).ToArray(), Mbps: s.GetProperty("mbps").EnumerateArray().Select(v => v.GetDouble()).ToArray()));
            Assert.Equal(scenario.Paths.Select(p => p.Name), series.Keys);
            Assert.Equal(scenario.Faults.Count, report.GetProperty("faults").GetArrayLength());
            var bucket = SimFailoverRun.Bucket.TotalSeconds;
            var end = report.GetProperty("duration_s").GetDouble();

            // Nothing arrives over a path while it is down or blackholed (buckets wholly inside the outage). A blackhole
            // drops what is sent from then on: what was already queued or on the wire still arrives, at most a full
            // queue's serialization and the delay with its jitter later.
            var timeline = new ScenarioTimeline(scenario);
            foreach (var (path, down, to, blackhole) in timeline.Outages(end))
            {
                var from = down + (blackhole ? timeline.BlackholeTail(path) : 0);
                var (t, mbps) = series[path];
                for (var i = 0; i < t.Length; i++)
                    if (t[i] >= from && t[i] + bucket <= to) Assert.True(mbps[i] == 0, $"{path}: {mbps[i]} Mbit/s at {t[i]} s while out ({from}..{to} s)");
            }

            // Every path carried data at some time (the scenario's paths are all used).
            foreach (var p in scenario.Paths) Assert.True(series[p.Name].Mbps.Sum() > 0, $"{p.Name} carried nothing");

            // The longest stall comes with the first fault that takes a path away silently, not before it. (A path going
            // down takes its carrier with it: the client's path manager withdraws the subflow at once, and the stall
            // may be shorter than those of the start.)
            if (scenario.Faults.FirstOrDefault(f => f.Action is FaultAction.Blackhole) is { } first)
            {
                var gap = report.GetProperty("max_gap_ms").GetDouble();
                Assert.True(gap > 0);
                var recovery = report.GetProperty("faults")[scenario.Faults.ToList().IndexOf(first)].GetProperty("recovery_ms").GetDouble();
                Assert.True(recovery > 0, $"the first {first.Action} of {first.Path} caused no stall longer than before it");
                var summary = File.ReadAllText(Path.Combine(dir, "summary.md"));
                var at = System.Text.RegularExpressions.Regex.Match(summary, @"longest delivery gap \| ([\d.]+) ms from ([\d.]+) s");
                Assert.True(at.Success, summary);
                Assert.Equal(gap, double.Parse(at.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
                // the stall under way at the fault began at the last delivery before it, at most a bucket earlier
                Assert.True(double.Parse(at.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) >= first.At.TotalSeconds - bucket,
                    $"the longest stall ({at.Value}) comes before the first {first.Action} at {first.At.TotalSeconds} s");
            }

            // A backup path carries data only while every regular path is unusable (until the regular one is back and
            // its retransmission timer has found out, at most the backed-off RTO of the outage: its length again).
            foreach (var backup in scenario.Paths.Where(p => p.Backup))
            {
                var regular = scenario.Paths.Where(p => !p.Backup).Select(p => p.Name).ToHashSet();
                var outages = timeline.Outages(end).Where(o => regular.Contains(o.Path)).ToList();
                var (t, mbps) = series[backup.Name];
                for (var i = 0; i < t.Length; i++)
                {
                    var usable = !outages.Any(o => t[i] + bucket > o.From && t[i] < o.To + (o.To - o.From));
                    // the MP_JOIN handshake and ACKs: a few frames, far below a data rate
                    if (usable) Assert.True(mbps[i] < 0.5, $"backup {backup.Name} carried {mbps[i]} Mbit/s at {t[i]} s while the regular paths were usable");
                }
                Assert.True(mbps.Sum() > 0, "the backup never took over");
                // It takes over once the regular path went two data-level retransmission intervals without an ACK (its
                // RTO, then TCP's 200 ms minimum, as Linux sends a retransmission to a backup), not once it is stale: the
                // receiver waits well under a second (virtual time, the same on any machine), where judging it by four
                // backed-off RTOs (0.2 + 0.4 + 0.8 + 1.6 s) made it wait 3.2 s.
                var longest = report.GetProperty("max_gap_ms").GetDouble();
                Assert.True(longest < 1000, $"the receiver waited {longest} ms for the backup to take over");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Same_seed_same_report_other_seed_other_report()
    {
        var (a, dirA) = Run("lossy-path");
        var (b, dirB) = Run("lossy-path");
        var (c, dirC) = Run("lossy-path", "--seed", "7");
        try
        {
            Assert.Equal(File.ReadAllText(Path.Combine(dirA, "report.json")), File.ReadAllText(Path.Combine(dirB, "report.json")));
            Assert.Equal(File.ReadAllText(Path.Combine(dirA, "throughput.svg")), File.ReadAllText(Path.Combine(dirB, "throughput.svg")));
            Assert.NotEqual(a.GetProperty("max_gap_ms").GetDouble(), c.GetProperty("max_gap_ms").GetDouble());
            Assert.Equal(a.GetProperty("bytes").GetInt64(), b.GetProperty("bytes").GetInt64());
        }
        finally
        {
            foreach (var d in new[] { dirA, dirB, dirC }) Directory.Delete(d, recursive: true);
        }
    }
}
