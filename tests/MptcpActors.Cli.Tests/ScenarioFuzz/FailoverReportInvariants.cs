using System.Text.Json;
using MptcpActors.Cli.Failover;

namespace MptcpActors.Cli.Tests.ScenarioFuzz;

/// <summary>
/// What every run of a valid scenario must hold, whatever its paths, traffic and faults: the process ends without a
/// crash, report.json has CLI.md's fields consistent with the scenario and with each other, the data is intact when a
/// path was usable long enough, nothing crosses a path while it is out, and a backup path carries data only while no
/// regular path is usable. Returns what was violated (empty when nothing).
/// </summary>
public static class FailoverReportInvariants
{
    public static readonly string[] Fields =
        ["scenario", "on", "completed", "sha256_match", "bytes", "duration_s", "max_gap_ms", "faults", "reinjected_bytes", "subflows", "series"];

    /// <summary>Mbit/s a backup path may carry in a 100 ms bucket while a regular one works: MP_JOIN, ARP, ACKs, a probe.</summary>
    public const double BackupChatterMbps = 0.5;

    /// <summary>What a backup may carry in a row while a regular path works: a data-level retransmission or two.</summary>
    public const double BackupBurstBytes = 128 * 1024;

    public static List<string> Check(Scenario scenario, MptcpProcess.Result run, JsonElement? reportOrNull)
    {
        var problems = new List<string>();
        void Require(bool ok, string problem)
        {
            if (!ok) problems.Add(problem);
        }

        Require(run.ExitCode is 0 or 1, $"exit code {run.ExitCode} (0 or 1 for a valid scenario)");
        Require(!run.Stderr.Contains("Unhandled exception") && !run.Stderr.Contains("   at "), "a stack trace on stderr");
        if (reportOrNull is not { } report)
        {
            problems.Add("no report.json");
            return problems;
        }
        Require(Fields.SequenceEqual(report.EnumerateObject().Select(p => p.Name)),
            $"report fields {string.Join(",", report.EnumerateObject().Select(p => p.Name))}");
        if (problems.Count > 0) return problems;

        var timeline = new ScenarioTimeline(scenario);
        var completed = report.GetProperty("completed").GetBoolean();
        var intact = report.GetProperty("sha256_match").GetBoolean();
        var bytes = report.GetProperty("bytes").GetInt64();
        var end = report.GetProperty("duration_s").GetDouble();
        var error = run.Stderr.Split('\n').LastOrDefault(l => l.StartsWith("mptcp: error:", StringComparison.Ordinal));
        Require(report.GetProperty("scenario").GetString() == scenario.Name, "scenario name");
        Require(report.GetProperty("on").GetString() == "sim", "on");
        Require((run.ExitCode == 0) == completed, $"exit code {run.ExitCode} with completed = {completed}");
        Require(!completed || intact, "completed without sha256_match");
        if (timeline.MustArriveIntact) Require(completed && intact, $"not intact although a path was usable long enough ({error})");
        if (completed)
        {
            var t = scenario.Traffic;
            if (t.Bytes is { } sent)
                Require(bytes == (t.Uploads ? sent : 0) + (t.Downloads ? t.DownloadBytes ?? sent : 0), $"bytes {bytes} for a transfer of {sent}");
        }
        Require(bytes >= 0 && end >= 0 && report.GetProperty("reinjected_bytes").GetInt64() >= 0, "negative bytes or duration");
        Require(report.GetProperty("max_gap_ms").GetDouble() <= end * 1000 + 1, $"max_gap_ms {report.GetProperty("max_gap_ms")} past the last byte at {end} s");

        // One recovery per fault, in the scenario's order (by time), each a stall that ended by the last byte.
        var faults = report.GetProperty("faults").EnumerateArray().ToList();
        Require(faults.Count == scenario.Faults.Count, $"{faults.Count} faults reported for {scenario.Faults.Count}");
        foreach (var (f, r) in scenario.Faults.Zip(faults))
        {
            var recovery = r.GetProperty("recovery_ms").GetDouble();
            Require(Math.Abs(r.GetProperty("at_s").GetDouble() - f.At.TotalSeconds) < 1e-6 && r.GetProperty("path").GetString() == f.Path
                    && r.GetProperty("action").GetString() == f.Action.ToString().ToLowerInvariant(), $"fault {r} is not {ScenarioHocon.Fault(f)}");
            Require(recovery >= 0 && double.IsFinite(recovery), $"recovery_ms {recovery}");
            Require(recovery == 0 || f.At.TotalSeconds + recovery / 1000 <= end + 0.001, $"recovery of {ScenarioHocon.Fault(f)} ends after the last byte ({end} s)");
        }

        // The sender's subflows carried at least what arrived (each byte once at least; more with reinjections).
        var subflows = report.GetProperty("subflows").EnumerateArray().ToList();
        foreach (var s in subflows)
            Require(scenario.Paths.Any(p => p.Name == s.GetProperty("path").GetString()) && s.GetProperty("bytes").GetInt64() >= 0,
                $"subflow {s} on no path of the scenario");
        if (completed)
            Require(subflows.Sum(s => s.GetProperty("bytes").GetInt64()) >= bytes,
                $"subflows carried {subflows.Sum(s => s.GetProperty("bytes").GetInt64())} B, {bytes} B arrived");

        var series = report.GetProperty("series").EnumerateArray().ToList();
        Require(series.Select(s => s.GetProperty("path").GetString()).SequenceEqual(scenario.Paths.Select(p => p.Name)), "series paths");
        if (problems.Count > 0) return problems;
        var bucket = SimFailoverRun.Bucket.TotalSeconds;
        var byPath = series.ToDictionary(s => s.GetProperty("path").GetString()!,
            s => (T: s.GetProperty("t_s").EnumerateArray().Select(v => v.GetDouble()).ToArray(), Mbps: s.GetProperty("mbps").EnumerateArray().Select(v => v.GetDouble()).ToArray()));
        foreach (var (path, (ts, mbps)) in byPath)
        {
            Require(ts.Length == mbps.Length && mbps.All(m => m >= 0), $"{path}: series of {ts.Length} times and {mbps.Length} values");
            if (ts.Length != mbps.Length) return problems;
        }

        // Nothing crosses a path while it is out: from the down itself, or once a blackhole's queue has drained.
        var outages = timeline.Outages(end);
        foreach (var o in outages)
        {
            var from = o.From + (o.Blackhole ? timeline.BlackholeTail(o.Path) : 0);
            var (ts, mbps) = byPath[o.Path];
            for (var i = 0; i < ts.Length; i++)
                if (ts[i] >= from && ts[i] + bucket <= o.To)
                    Require(mbps[i] == 0, $"{o.Path}: {mbps[i]} Mbit/s at {ts[i]} s while {(o.Blackhole ? "blackholed" : "down")} ({o.From}..{o.To} s)");
        }

        // A backup path carries data only while no regular path is usable (and free of random loss, see SettledRegular).
        // Switching back takes a tail: a regular path back from an outage is found by its backed-off retransmission
        // timer (up to the outage's length again) or joined again (ARP, SYN, a lost SYN's second), and a path's new
        // backup flag reaches the peer in an MP_PRIO. A short burst is allowed even then: when every regular subflow
        // holding data went two data-level retransmission intervals without an ACK (a queue overflowed into an RTO),
        // the oldest data is resent on the backup, as Linux's mptcp_subflow_get_retrans does once no busy subflow answers.
        foreach (var (path, (ts, mbps)) in byPath)
        {
            double burst = 0;
            for (var i = 0; i < ts.Length; i++)
            {
                var (a, b) = (ts[i], ts[i] + bucket);
                var regular = mbps[i] > BackupChatterMbps && BackupThroughout(timeline, path, a - Settle(timeline, path), b)
                    ? scenario.Paths.Where(p => p.Name != path).FirstOrDefault(p => SettledRegular(timeline, outages, p.Name, a, b))
                    : null;
                burst = regular is null ? 0 : burst + mbps[i] * 1e6 / 8 * bucket;
                if (burst > BackupBurstBytes)
                {
                    problems.Add($"backup {path} carried {burst / 1024:0} KiB in a row until {b:0.0} s while {regular!.Name} was usable");
                    burst = double.NegativeInfinity; // once per burst
                }
            }
        }
        return problems;
    }

    private static double Settle(ScenarioTimeline timeline, string path) => 2 + 8 * timeline.MaxDelay(path);

    private static bool BackupThroughout(ScenarioTimeline timeline, string path, double from, double to) =>
        Points(timeline, Math.Max(0, from), to).All(t => timeline.BackupAt(path, t));

    /// <summary>
    /// Regular, usable and without random loss from well before <paramref name="from"/> (its settling tail) to
    /// <paramref name="to"/>. A lossy path is usable but not enough: on its retransmission timeouts the data level
    /// resends what it holds on a backup once every regular subflow went two intervals unanswered, as Linux does
    /// (<c>mptcp_subflow_get_retrans</c>).
    /// </summary>
    private static bool SettledRegular(ScenarioTimeline timeline, IReadOnlyList<ScenarioTimeline.Outage> outages, string path, double from, double to)
    {
        var tail = Settle(timeline, path) + outages.Where(o => o.Path == path && o.To <= from).Select(o => o.Length).DefaultIfEmpty(0).Max();
        // The connection's own start: the initial subflow's handshake and the joins, over the slowest path.
        var start = 2 + 8 * timeline.Scenario.Paths.Max(p => timeline.MaxDelay(p.Name));
        if (from < start) return false;
        return Points(timeline, Math.Max(0, from - tail), to).All(t => !timeline.BackupAt(path, t) && !timeline.OutAt(path, t) && timeline.LossAt(path, t) == 0);
    }

    /// <summary>The instants at which the timeline may change within [from, to], and the ends.</summary>
    private static IEnumerable<double> Points(ScenarioTimeline timeline, double from, double to) =>
        timeline.Scenario.Faults.Select(f => f.At.TotalSeconds).Where(t => t > from && t < to).Append(from).Append(to - 1e-9);
}
