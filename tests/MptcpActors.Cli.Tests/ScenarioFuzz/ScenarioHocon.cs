using System.Globalization;
using System.Text;
using MptcpActors.Actors.Configuration;
using MptcpActors.Cli.Failover;

namespace MptcpActors.Cli.Tests.ScenarioFuzz;

/// <summary>
/// Writes a <see cref="Scenario"/> back as the HOCON of CLI.md "Failover scenarios", one key per line, in units the
/// parser reads back exactly (kbit, ms, per-mille percentages, KiB): what a user would have written by hand.
/// </summary>
public static class ScenarioHocon
{
    public static string Render(Scenario s)
    {
        var b = new StringBuilder();
        b.Append("scenario {\n");
        b.Append($"  name = {s.Name}\n");
        b.Append($"  seed = {s.Seed}\n");
        b.Append("  paths = [\n");
        foreach (var p in s.Paths)
        {
            var keys = new List<string> { $"name = {p.Name}", $"rate = {Rate(p.RateBps)}", $"delay = {Ms(p.Delay)}" };
            if (p.Jitter > TimeSpan.Zero) keys.Add($"jitter = {Ms(p.Jitter)}");
            keys.Add($"loss = {Percent(p.Loss)}");
            if (p.QueueBytes is { } q) keys.Add($"queue = {q / 1024}KiB");
            if (p.QueuePackets is { } l) keys.Add($"limit = {l}");
            if (p.Backup) keys.Add("backup = true");
            b.Append($"    {{ {string.Join(", ", keys)} }}\n");
        }
        b.Append("  ]\n");
        var t = s.Traffic;
        var traffic = new List<string> { $"direction = {t.Direction.ToString().ToLowerInvariant()}" };
        if (t.Bytes is { } bytes) traffic.Add($"bytes = {bytes / 1024}KiB");
        if (t.DownloadBytes is { } down) traffic.Add($"download-bytes = {down / 1024}KiB");
        if (t.Duration is { } d) traffic.Add($"duration = {Ms(d)}");
        if (t.RateBps is { } r) traffic.Add($"rate = {Rate(r)}");
        b.Append($"  traffic {{ {string.Join(", ", traffic)} }}\n");
        b.Append($"  scheduler = {SettingNames.Schedulers.NameOf(s.Scheduler)}\n");
        b.Append($"  congestion-control = {SettingNames.CongestionControls.NameOf(s.CongestionControl)}\n");
        b.Append("  faults = [\n");
        foreach (var f in s.Faults) b.Append($"    {Fault(f)}\n");
        b.Append("  ]\n");
        b.Append("}\n");
        return b.ToString();
    }

    public static string Fault(ScenarioFault f)
    {
        var keys = new List<string> { $"at = {Ms(f.At)}", $"path = {f.Path}", $"action = {f.Action.ToString().ToLowerInvariant()}" };
        if (f.RateBps is { } r) keys.Add($"rate = {Rate(r)}");
        if (f.Delay is { } d) keys.Add($"delay = {Ms(d)}");
        if (f.Loss is { } l) keys.Add($"loss = {Percent(l)}");
        if (f.Backup is { } bk) keys.Add($"backup = {(bk ? "true" : "false")}");
        return $"{{ {string.Join(", ", keys)} }}";
    }

    private static string Rate(double bps) => $"{Math.Round(bps / 1000).ToString(CultureInfo.InvariantCulture)}kbit";

    private static string Ms(TimeSpan t) => $"{Math.Round(t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)}ms";

    private static string Percent(double fraction) => $"{(Math.Round(fraction * 1000) / 10).ToString("0.#", CultureInfo.InvariantCulture)}%";
}
