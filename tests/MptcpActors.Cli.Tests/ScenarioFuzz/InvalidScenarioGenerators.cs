using System.Text.RegularExpressions;
using CsCheck;
using MptcpActors.Cli.Failover;

namespace MptcpActors.Cli.Tests.ScenarioFuzz;

/// <summary>A scenario file with one mistake in it, and the key the refusal must name.</summary>
public sealed record InvalidScenario(string Hocon, string Key, string Mistake);

/// <summary>
/// Random INVALID scenarios: a valid one (<see cref="ScenarioGenerators.Valid"/>) with one mistake a user makes —
/// unknown keys at every level, values of the wrong type, rates of zero or below, faults past the end, faults on paths
/// that do not exist, duplicate path names, an empty paths list, missing keys, units missing, a backup set on the
/// first path by a fault.
/// </summary>
public static class InvalidScenarioGenerators
{
    private static readonly string[] UnknownKeys = ["colour", "timeout", "speed", "mtu", "weight"];
    private static readonly string[] BadRates = ["0kbit", "0Mbit", "0.0Gbit", "-5Mbit", "fast", "20", "5 furlongs"];
    private static readonly string[] BadDurations = ["-1ms", "soon", "10", "3 fortnights"];

    public static readonly Gen<InvalidScenario> Invalid =
        Gen.Select(ScenarioGenerators.Valid, Gen.Int[0, 15], Gen.Int[0, 1000], Gen.Int[0, 1000]).Select(t => Mutate(t.Item1, t.Item2, t.Item3, t.Item4));

    private static InvalidScenario Mutate(Scenario s, int kind, int a, int b)
    {
        var hocon = ScenarioHocon.Render(s);
        var lines = hocon.Split('\n').ToList();
        var pathLine = lines.FindIndex(l => l.StartsWith("    { name = ", StringComparison.Ordinal));
        var i = a % s.Paths.Count;
        var faultLine = lines.FindIndex(l => l.StartsWith("    { at = ", StringComparison.Ordinal));
        var j = s.Faults.Count == 0 ? 0 : b % s.Faults.Count;
        var unknown = UnknownKeys[b % UnknownKeys.Length];
        string Path(string key) => $"scenario.paths[{i}].{key}";
        string Fault(string key) => $"scenario.faults[{j}].{key}";
        InvalidScenario EditPath(string key, string value, string mistake)
        {
            lines[pathLine + i] = SetKey(lines[pathLine + i], key, value);
            return new(string.Join('\n', lines), Path(key), mistake);
        }
        InvalidScenario EditFault(string key, string value, string mistake)
        {
            if (s.Faults.Count == 0)
            {
                // a fault to spoil: a valid one first
                lines.Insert(faultLine < 0 ? lines.IndexOf("  ]", lines.IndexOf("  faults = [")) : faultLine,
                    $"    {{ at = 0ms, path = {s.Paths[0].Name}, action = down }}");
                faultLine = lines.FindIndex(l => l.StartsWith("    { at = ", StringComparison.Ordinal));
            }
            lines[faultLine + j] = SetKey(lines[faultLine + j], key, value);
            return new(string.Join('\n', lines), Fault(key), mistake);
        }
        switch (kind)
        {
            case 0:
                lines.Insert(1, $"  {unknown} = 1");
                return new(string.Join('\n', lines), $"scenario.{unknown}", "unknown key at the top");
            case 1: return EditPath(unknown, "5", "unknown key in a path");
            case 2:
                var traffic = lines.FindIndex(l => l.StartsWith("  traffic {", StringComparison.Ordinal));
                lines[traffic] = lines[traffic].Replace("traffic { ", $"traffic {{ {unknown} = 1, ");
                return new(string.Join('\n', lines), $"scenario.traffic.{unknown}", "unknown key in the traffic");
            case 3: return EditFault(unknown, "1", "unknown key in a fault");
            case 4: return EditPath("rate", BadRates[b % BadRates.Length], "a path's rate zero, negative, not a rate or without a unit");
            case 5: return EditPath(a % 2 == 0 ? "delay" : "jitter", BadDurations[b % BadDurations.Length], "a path's delay or jitter not a duration");
            case 6: return EditPath(new[] { "loss", "backup", "queue", "limit" }[b % 4], new[] { "lots", "maybe", "-1KiB", "[1, 2]", "150%", "0" }[a % 6], "a wrong type or range");
            case 7:
                // past the end: the traffic's duration, or the hour a bulk transfer may take at most
                var past = s.Traffic.Duration is { } d ? $"{Math.Round(d.TotalMilliseconds) + 1 + a}ms" : "2h";
                return EditFault("at", past, "a fault past the end");
            case 8: return EditFault("path", "nosuch", "a fault on a path that does not exist");
            case 9:
                if (s.Paths.Count < 2) goto case 10;
                lines[pathLine + i] = lines[pathLine + i].Replace($"name = {s.Paths[i].Name},", $"name = {s.Paths[(i + 1) % s.Paths.Count].Name},");
                return new(string.Join('\n', lines), "scenario.paths", "duplicate path names");
            case 10:
                lines.RemoveRange(pathLine, s.Paths.Count);
                return new(string.Join('\n', lines).Replace("  paths = [\n  ]", "  paths = []"), "scenario.paths", "an empty paths list");
            case 11: return EditFault("action", new[] { "explode", "delete", "3" }[b % 3], "a fault's action unknown");
            case 12:
                var key = new[] { "scheduler", "congestion-control", "seed", "name" }[b % 4];
                var at = lines.FindIndex(l => l.StartsWith($"  {key} = ", StringComparison.Ordinal));
                lines[at] = $"  {key} = {new[] { "fastest", "bbr", "-4", "[1]" }[b % 4]}";
                return new(string.Join('\n', lines), $"scenario.{key}", "a top-level value of the wrong kind");
            case 13:
                var t = lines.FindIndex(l => l.StartsWith("  traffic {", StringComparison.Ordinal));
                lines[t] = (b % 3) switch
                {
                    0 => "  traffic { direction = sideways, bytes = 1MiB }",
                    1 => "  traffic { direction = upload, bytes = 1MiB, duration = 2s }",
                    _ => "  traffic { direction = upload, bytes = 1MiB, download-bytes = 5KiB }",
                };
                return new(string.Join('\n', lines), "scenario.traffic." + (b % 3) switch { 0 => "direction", 1 => "duration", _ => "download-bytes" }, "a traffic that says two things");
            case 14:
                if (s.Paths.Count < 2) goto default;
                // the first path carries the initial subflow, whose backup flag no fault changes
                i = 0;
                j = s.Faults.Count == 0 ? 0 : j;
                var edited = EditFault("action", "set", "");
                lines[faultLine + j] = SetKey(SetKey(lines[faultLine + j], "path", s.Paths[0].Name), "backup", "true");
                return edited with { Hocon = string.Join('\n', lines), Key = Fault("backup"), Mistake = "set backup on the first path" };
            default:
                lines[pathLine + i] = Regex.Replace(lines[pathLine + i], @"rate = [^,}]+, ", "");
                return new(string.Join('\n', lines), Path("rate"), "a path without its rate");
        }
    }

    /// <summary>The one-line object <paramref name="line"/> with <paramref name="key"/> set to <paramref name="value"/> (added when missing).</summary>
    private static string SetKey(string line, string key, string value)
    {
        var pattern = $@"(?<=[{{,] ){Regex.Escape(key)} = (\[[^\]]*\]|[^,}}]+?)(?=,| }})";
        return Regex.IsMatch(line, pattern)
            ? Regex.Replace(line, pattern, $"{key} = {value}")
            : line.Replace(" }", $", {key} = {value} }}");
    }
}
