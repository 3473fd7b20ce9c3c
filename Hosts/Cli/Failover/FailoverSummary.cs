using System.Globalization;
using System.Text;

namespace MptcpActors.Cli.Failover;

/// <summary>summary.md: the verdict, the numbers, the faults with their recovery, the subflows; the kernel's run beside the engine's with --compare kernel.</summary>
public static class FailoverSummary
{
    public static void Write(string file, Scenario scenario, string on, FailoverOutcome engine, FailoverOutcome? kernel) =>
        File.WriteAllText(file, Render(scenario, on, engine, kernel));

    public static string Render(Scenario scenario, string on, FailoverOutcome engine, FailoverOutcome? kernel)
    {
        var runs = kernel is null ? new[] { ("engine", engine) } : [("engine", engine), ("kernel", kernel)];
        var md = new StringBuilder();
        md.AppendLine(Inv($"# Failover scenario `{scenario.Name}` on {on} (seed {scenario.Seed})"));
        md.AppendLine();
        md.AppendLine("Paths: " + string.Join("; ", scenario.Paths.Select(p =>
            Inv($"{p.Name} {ScenarioUnits.FormatRate(p.RateBps)} {p.Delay.TotalMilliseconds:0.###} ms") +
            (p.Jitter > TimeSpan.Zero ? Inv($" ±{p.Jitter.TotalMilliseconds:0.###} ms") : "") + (p.Loss > 0 ? Inv($" {p.Loss * 100:0.###}% loss") : "") + (p.Backup ? " (backup)" : ""))));
        var t = scenario.Traffic;
        md.AppendLine(Inv($"Traffic: {t.Direction.ToString().ToLowerInvariant()}, ") + (t.Bytes is { } b ? Inv($"{b} bytes") : Inv($"{t.Duration!.Value.TotalSeconds:0.###} s")) +
                      (t.RateBps is { } r ? $" at {ScenarioUnits.FormatRate(r)}" : "") + Inv($"; scheduler {scenario.Scheduler.ToString().ToLowerInvariant()}, {scenario.CongestionControl.ToString().ToLowerInvariant()}."));
        md.AppendLine();
        md.AppendLine("| | " + string.Join(" | ", runs.Select(r => r.Item1)) + " |");
        md.AppendLine("|---|" + string.Concat(runs.Select(_ => "---|")));
        void Row(string name, Func<FailoverOutcome, string> value) => md.AppendLine($"| {name} | " + string.Join(" | ", runs.Select(r => value(r.Item2))) + " |");
        Row("completed, data intact", o => o.Completed ? "yes" : $"**no**{(o.Error is null ? "" : $" ({o.Error})")}");
        Row("SHA-256 equal", o => o.Sha256Match ? "yes" : "**no**");
        Row("bytes delivered", o => Inv($"{o.Bytes}"));
        Row("last byte at", o => Inv($"{o.DurationS:0.###} s"));
        Row("longest delivery gap", o => Inv($"{o.MaxGapMs:0.#} ms from {o.MaxGapAtS:0.###} s"));
        Row("reinjected", o => Inv($"{o.ReinjectedBytes} bytes"));
        for (var i = 0; i < scenario.Faults.Count; i++)
        {
            var f = scenario.Faults[i];
            Row(Inv($"recovery after {f.Path} {f.Describe()} at {f.At.TotalSeconds:0.###} s"), o => Inv($"{o.Faults[i].RecoveryMs:0.#} ms"));
        }
        foreach (var (label, run) in runs)
        {
            md.AppendLine();
            md.AppendLine($"Subflows ({label}; the data sender's view, the receiver's when the sender is the kernel; none when both ends are):");
            md.AppendLine();
            md.AppendLine("| path | backup | bytes | retransmitted bytes | srtt ms |");
            md.AppendLine("|---|---|---|---|---|");
            foreach (var s in run.Subflows) md.AppendLine(Inv($"| {s.Path} | {(s.Backup ? "yes" : "no")} | {s.Bytes} | {s.RetransmittedBytes} | {s.SrttMs:0.##} |"));
        }
        foreach (var (label, run) in runs)
            if (run.Emulator is { } e) md.AppendLine().AppendLine($"{label}: {e}.");
        md.AppendLine();
        md.AppendLine("Recovery: from the fault to the first delivery after the longest stall (a gap of at least 1 ms in the received stream) " +
                      Inv($"under way at the fault or beginning within {FailoverAnalysis.RecoveryWindow.TotalSeconds:0} s after it (and before the next fault); 0 when that stall ") +
                      Inv($"is no longer than the longest in the {FailoverAnalysis.RecoveryWindow.TotalSeconds:0} s before the first fault. Throughput per path: `throughput.svg`."));
        return md.ToString();
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
