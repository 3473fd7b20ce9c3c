using CsCheck;
using MptcpActors.Actors.Configuration;
using MptcpActors.Cli.Failover;

namespace MptcpActors.Cli.Tests.ScenarioFuzz;

/// <summary>
/// Random valid scenarios within CLI.md's format, small enough to run on the simulator in a second or two: 1 to 4
/// paths (1–200 Mbit/s, 0–300 ms, jitter, 0–5 % loss, a queue in bytes or packets, backup flags), traffic of every
/// kind and direction, every scheduler and congestion control, and a timeline of faults that mixes single ones, pairs
/// that undo each other, overlapping ones on one path, several at one instant, and every path out at once then back.
/// </summary>
public static class ScenarioGenerators
{
    private static readonly string[] Names = ["wifi", "lte", "dsl", "sat"];

    private sealed record RawPath(int RateKbit, int DelayMs, int JitterMs, int LossPerMille, int QueueKind, int QueueKiB, int Limit, bool Backup);

    private sealed record RawFault(int Kind, int T1, int T2, int Path, int SetMask, int RateKbit, int DelayMs, int LossPerMille);

    private static readonly Gen<RawPath> Path =
        Gen.Select(Gen.Int[1_000, 200_000], Gen.Int[0, 300], Gen.Int[0, 1].SelectMany(j => j == 0 ? Gen.Const(0) : Gen.Int[1, 50]),
                Gen.Int[0, 1].SelectMany(l => l == 0 ? Gen.Const(0) : Gen.Int[1, 50]))
            .SelectMany(a => Gen.Select(Gen.Int[0, 2], Gen.Int[16, 1024], Gen.Int[10, 1000], Gen.Int[0, 3])
                .Select(b => new RawPath(a.Item1, a.Item2, a.Item3, a.Item4, b.Item1, b.Item2, b.Item3, b.Item4 == 0)));

    private static readonly Gen<RawFault> Fault =
        Gen.Select(Gen.Int[0, 9], Gen.Int[0, 1000], Gen.Int[0, 1000], Gen.Int[0, 3])
            .SelectMany(a => Gen.Select(Gen.Int[0, 15], Gen.Int[1_000, 200_000], Gen.Int[0, 300], Gen.Int[0, 50])
                .Select(b => new RawFault(a.Item1, a.Item2, a.Item3, a.Item4, b.Item1, b.Item2, b.Item3, b.Item4)));

    private static readonly Gen<ScenarioTraffic> Traffic =
        Gen.Select(Gen.Enum<TrafficDirection>(), Gen.Int[0, 3], Gen.Int[16, 1024], Gen.Int[300, 3000], Gen.Int[100, 20_000], Gen.Int[0, 512])
            .Select(t =>
            {
                var (direction, kind, kib, ms, rateKbit, downKiB) = t;
                var downloadBytes = direction == TrafficDirection.Both && kind is 0 or 3 && downKiB > 0 ? downKiB * 1024L : (long?)null;
                return kind switch
                {
                    // bulk bytes; bulk for a (short: 1 s at most, the paths may sum to 800 Mbit/s) duration; constant
                    // rate for a duration; constant rate for a byte count
                    0 => new ScenarioTraffic(direction, kib * 1024L, null, null) { DownloadBytes = downloadBytes },
                    1 => new ScenarioTraffic(direction, null, TimeSpan.FromMilliseconds(Math.Min(ms, 1000)), null),
                    2 => new ScenarioTraffic(direction, null, TimeSpan.FromMilliseconds(ms), rateKbit * 1000.0),
                    _ => new ScenarioTraffic(direction, Math.Min(kib, 512) * 1024L, null, rateKbit * 1000.0) { DownloadBytes = downloadBytes },
                };
            });

    public static readonly Gen<Scenario> Valid =
        Gen.Select(Path.Array[1, 4], Traffic, Gen.Enum<Scheduler>(), Gen.Enum<CongestionControl>(), Fault.Array[0, 5], Gen.Int[1, 1000])
            .Select(t =>
            {
                var (raw, traffic, scheduler, cc, rawFaults, seed) = t;
                var paths = raw.Select((p, i) => new ScenarioPath(Names[i], p.RateKbit * 1000.0, TimeSpan.FromMilliseconds(p.DelayMs),
                    TimeSpan.FromMilliseconds(p.JitterMs), p.LossPerMille / 1000.0, p.QueueKind == 1 ? p.QueueKiB * 1024L : null,
                    // the first path carries the initial subflow, which is never a backup
                    i > 0 && p.Backup) { QueuePackets = p.QueueKind == 2 ? p.Limit : null }).ToList();
                var horizon = Horizon(paths, traffic);
                var faults = rawFaults.SelectMany(f => Faults(f, paths, horizon)).OrderBy(f => f.At).ToList();
                return new Scenario($"fuzz-{seed}", (ulong)seed, paths, traffic, scheduler, cc, faults);
            });

    /// <summary>When faults may happen: the traffic's duration, or about the bulk transfer's time (half a second to 4 s).</summary>
    private static TimeSpan Horizon(IReadOnlyList<ScenarioPath> paths, ScenarioTraffic traffic)
    {
        if (traffic.Duration is { } d) return d;
        var seconds = traffic.MostBytes!.Value * 8.0 / Math.Min(traffic.RateBps ?? double.MaxValue, paths.Sum(p => p.RateBps));
        return TimeSpan.FromMilliseconds(Math.Round(Math.Clamp(seconds * 1.5, 0.5, 4) * 1000));
    }

    private static IEnumerable<ScenarioFault> Faults(RawFault f, IReadOnlyList<ScenarioPath> paths, TimeSpan horizon)
    {
        TimeSpan At(int permille) => TimeSpan.FromMilliseconds(Math.Round(horizon.TotalMilliseconds * permille / 1000));
        var (t1, t2) = (At(Math.Min(f.T1, f.T2)), At(Math.Max(f.T1, f.T2)));
        var p = paths[f.Path % paths.Count].Name;
        switch (f.Kind)
        {
            case 0: return [new(t1, p, FaultAction.Down)];
            case 1: return [new(t1, p, FaultAction.Up)];
            case 2: return [new(t1, p, FaultAction.Blackhole)];
            case 3: return [new(t1, p, FaultAction.Restore)];
            case 4: return [Set(t1, f, paths)];
            case 5: return [new(t1, p, FaultAction.Down), new(t2, p, FaultAction.Up)];
            case 6: return [new(t1, p, FaultAction.Blackhole), new(t2, p, FaultAction.Restore)];
            case 7:
                // several at one instant, on consecutive paths
                return [new(t1, p, FaultAction.Down), new(t1, paths[(f.Path + 1) % paths.Count].Name, FaultAction.Blackhole),
                    Set(t1, f with { Path = f.Path + 2 }, paths)];
            case 8:
                // every path out at once, then every one back
                var blackhole = f.SetMask % 2 == 0;
                return paths.Select(q => new ScenarioFault(t1, q.Name, blackhole ? FaultAction.Blackhole : FaultAction.Down))
                    .Concat(paths.Select(q => new ScenarioFault(t2, q.Name, blackhole ? FaultAction.Restore : FaultAction.Up)));
            default:
                // overlapping on one path: blackholed, downed inside the blackhole, up, then restored
                TimeSpan Between(double share) => TimeSpan.FromMilliseconds(Math.Round((t1 + (t2 - t1) * share).TotalMilliseconds));
                return [new(t1, p, FaultAction.Blackhole), new(Between(0.25), p, FaultAction.Down), new(Between(0.5), p, FaultAction.Up),
                    new(t2, p, FaultAction.Restore)];
        }
    }

    private static ScenarioFault Set(TimeSpan at, RawFault f, IReadOnlyList<ScenarioPath> paths)
    {
        var index = f.Path % paths.Count;
        var mask = f.SetMask & (index == 0 ? 7 : 15); // the first path's backup flag cannot be set
        if (mask == 0) mask = 1;
        return new ScenarioFault(at, paths[index].Name, FaultAction.Set,
            RateBps: (mask & 1) != 0 ? f.RateKbit * 1000.0 : null,
            Delay: (mask & 2) != 0 ? TimeSpan.FromMilliseconds(f.DelayMs) : null,
            Loss: (mask & 4) != 0 ? f.LossPerMille / 1000.0 : null,
            Backup: (mask & 8) != 0 ? f.RateKbit % 2 == 0 : null);
    }
}
