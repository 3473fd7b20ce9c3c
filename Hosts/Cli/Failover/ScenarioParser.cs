using System.Globalization;
using Akka.Configuration;
using MptcpActors.Actors.Configuration;

namespace MptcpActors.Cli.Failover;

/// <summary>
/// Reads a scenario's HOCON into a <see cref="Scenario"/>, checking every key: unknown keys, bad units, rates of zero,
/// faults on paths that do not exist or at times past the end are refused with the key's full path
/// (<c>scenario.faults[1].path: 'wlan' is not a path; paths: wifi, lte</c>).
/// </summary>
public static class ScenarioParser
{
    public const string Root = "scenario";

    private static readonly HoconNames<TrafficDirection> Directions = new(
        ("upload", TrafficDirection.Upload), ("download", TrafficDirection.Download), ("both", TrafficDirection.Both));

    private static readonly HoconNames<FaultAction> Actions = new(
        ("down", FaultAction.Down), ("up", FaultAction.Up), ("blackhole", FaultAction.Blackhole), ("restore", FaultAction.Restore), ("set", FaultAction.Set));

    private static readonly TimeSpan MaxTime = TimeSpan.FromHours(1);

    /// <exception cref="MptcpConfigurationException">Every bad key, first one first.</exception>
    public static Scenario Parse(string hocon)
    {
        Config config;
        try { config = ConfigurationFactory.ParseString(hocon); }
        catch (Exception e) when (e is ConfigurationException or FormatException or InvalidOperationException)
        {
            throw new MptcpConfigurationException(Root, $"not valid HOCON: {e.Message}");
        }
        var errors = new List<MptcpConfigurationError>();
        var top = config.Root.GetObject()?.Items.Keys.Where(k => k != Root).ToList() ?? [];
        foreach (var key in top) errors.Add(new(key, $"unknown key; a scenario file holds only '{Root} {{ ... }}'"));
        var r = ConfigReader.ForObject(config.GetValue(Root), Root, errors);
        var scenario = Read(r);
        if (errors.Count > 0) throw new MptcpConfigurationException(errors);
        return scenario;
    }

    private static Scenario Read(ConfigReader r)
    {
        var name = r.Text("name");
        var seed = r.OptionalText("seed") is { } seedText ? Seed(r, seedText) : 1UL;
        var paths = InitialFirst(r.Objects("paths").Select(ReadPath).ToList());
        if (paths.Count == 0 && !r.Failed("paths")) r.Fail("paths", "needs at least one path");
        foreach (var duplicate in paths.GroupBy(p => p.Name).Where(g => g.Count() > 1 && g.Key != ""))
            r.Fail("paths", $"path name '{duplicate.Key}' is used {duplicate.Count()} times");
        if (paths.Count > 8) r.Fail("paths", $"{paths.Count} paths; at most 8 (Linux's subflow limit + 1)");
        var traffic = ReadTraffic(r.Section("traffic"));
        var scheduler = r.OptionalEnum("scheduler", SettingNames.Schedulers) ?? Scheduler.Default;
        var cc = r.OptionalEnum("congestion-control", SettingNames.CongestionControls) ?? CongestionControl.Cubic;
        var faults = r.OptionalObjects("faults").Select(f => ReadFault(f, paths, traffic)).ToList();
        r.RejectUnknownKeys();
        return new Scenario(name, seed, paths, traffic, scheduler, cc, faults.OrderBy(f => f.At).ToList());
    }

    private static ulong Seed(ConfigReader r, string text)
    {
        if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seed)) return seed;
        r.Fail("seed", $"expected a whole number >= 0, got '{text}'");
        return 0;
    }

    /// <summary>
    /// The client connects over the first path, and an MP_CAPABLE subflow has no backup flag: when the first path
    /// written is a backup, the first regular one is moved ahead of it (with every path a backup, the first carries the
    /// initial subflow as a regular one, and the others are the backups).
    /// </summary>
    private static List<ScenarioPath> InitialFirst(List<ScenarioPath> paths)
    {
        var regular = paths.FindIndex(p => !p.Backup);
        if (regular < 0 && paths.Count > 0) paths[0] = paths[0] with { Backup = false };
        if (regular <= 0) return paths;
        var initial = paths[regular];
        paths.RemoveAt(regular);
        paths.Insert(0, initial);
        return paths;
    }

    private static ScenarioPath ReadPath(ConfigReader p)
    {
        var name = p.Text("name");
        var rate = Rate(p, "rate", required: true) ?? 0;
        var delay = p.OptionalText("delay") is null ? TimeSpan.Zero : p.Duration("delay", TimeSpan.Zero, TimeSpan.FromSeconds(10));
        var jitter = p.OptionalText("jitter") is null ? TimeSpan.Zero : p.Duration("jitter", TimeSpan.Zero, TimeSpan.FromSeconds(10));
        var loss = Percent(p, "loss") ?? 0;
        long? queue = p.OptionalText("queue") is null ? null : p.ByteSize("queue", 1500, 1 << 30);
        var limit = p.OptionalInt("limit", 1, 1_000_000);
        var backup = p.OptionalText("backup") is not null && p.Bool("backup");
        p.RejectUnknownKeys();
        return new ScenarioPath(name, rate, delay, jitter, loss, queue, backup) { QueuePackets = limit };
    }

    private static ScenarioTraffic ReadTraffic(ConfigReader t)
    {
        var direction = t.OptionalEnum("direction", Directions) ?? TrafficDirection.Upload;
        long? bytes = t.OptionalText("bytes") is null ? null : t.ByteSize("bytes", 1, int.MaxValue);
        TimeSpan? duration = t.OptionalText("duration") is null ? null : t.Duration("duration", TimeSpan.FromMilliseconds(100), MaxTime);
        var rate = Rate(t, "rate", required: false);
        long? downloadBytes = t.OptionalText("download-bytes") is null ? null : t.ByteSize("download-bytes", 1, int.MaxValue);
        if (downloadBytes is not null && (direction != TrafficDirection.Both || bytes is null))
            t.Fail("download-bytes", "is for direction = both with bytes (what the server sends instead of bytes)");
        if (bytes is not null && duration is not null) t.Fail("duration", "give bytes or duration, not both");
        else if (bytes is null && duration is null && !t.Failed("bytes") && !t.Failed("duration"))
            t.Fail("bytes", "has no value; give bytes (bulk) or duration (with an optional constant rate)");
        t.RejectUnknownKeys();
        return new ScenarioTraffic(direction, bytes, duration, rate) { DownloadBytes = downloadBytes };
    }

    private static ScenarioFault ReadFault(ConfigReader f, IReadOnlyList<ScenarioPath> paths, ScenarioTraffic traffic)
    {
        var at = f.Duration("at", TimeSpan.Zero, traffic.Duration ?? MaxTime, maxName: traffic.Duration is null ? "the maximum" : "the traffic's duration");
        var path = f.Text("path");
        if (path != "" && paths.Count > 0 && paths.All(p => p.Name != path))
            f.Fail("path", $"'{path}' is not a path; paths: {string.Join(", ", paths.Select(p => p.Name))}");
        var action = f.Enum("action", Actions);
        if (action != FaultAction.Set)
        {
            f.RejectUnknownKeys();
            return new ScenarioFault(at, path, action);
        }
        var rate = Rate(f, "rate", required: false);
        TimeSpan? delay = f.OptionalText("delay") is null ? null : f.Duration("delay", TimeSpan.Zero, TimeSpan.FromSeconds(10));
        var loss = Percent(f, "loss");
        bool? backup = f.OptionalText("backup") is null ? null : f.Bool("backup");
        if (rate is null && delay is null && loss is null && backup is null && !f.Failed("rate") && !f.Failed("delay") && !f.Failed("loss") && !f.Failed("backup"))
            f.Fail("action", "set needs at least one of rate, delay, loss, backup");
        if (backup is not null && paths.Count > 0 && paths[0].Name == path)
            f.Fail("backup", $"'{path}' carries the initial subflow; backup can be set on the other paths");
        f.RejectUnknownKeys();
        return new ScenarioFault(at, path, action, rate, delay, loss, backup);
    }

    private static double? Rate(ConfigReader r, string key, bool required)
    {
        var text = required ? r.Text(key) : r.OptionalText(key);
        if (text is null || (required && r.Failed(key))) return null;
        if (ScenarioUnits.TryParseRate(text, out var rate, out var problem)) return rate;
        r.Fail(key, problem);
        return null;
    }

    private static double? Percent(ConfigReader r, string key)
    {
        if (r.OptionalText(key) is not { } text) return null;
        if (ScenarioUnits.TryParsePercent(text, out var loss, out var problem)) return loss;
        r.Fail(key, problem);
        return null;
    }
}
