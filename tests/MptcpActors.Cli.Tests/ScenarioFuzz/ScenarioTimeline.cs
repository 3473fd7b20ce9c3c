using MptcpActors.Cli.Failover;

namespace MptcpActors.Cli.Tests.ScenarioFuzz;

/// <summary>
/// What a scenario's fault timeline implies for each path, the way the harness applies it: <c>down</c>/<c>up</c> take
/// the carrier away and back, <c>blackhole</c>/<c>restore</c> drop and pass frames again, each pair independent of the
/// other (a path blackholed and then downed and upped again is still blackholed); <c>set backup</c> changes the flag.
/// </summary>
public sealed class ScenarioTimeline(Scenario scenario)
{
    /// <summary>A time a path was out: from its down (or blackhole) to the up (or restore) that ends it, else the end.</summary>
    public sealed record Outage(string Path, double From, double To, bool Blackhole)
    {
        public double Length => To - From;
    }

    public Scenario Scenario { get; } = scenario;

    /// <summary>Every outage, downs and blackholes apart (they may overlap); open ones last until <paramref name="end"/>.</summary>
    public IReadOnlyList<Outage> Outages(double end)
    {
        var outages = new List<Outage>();
        foreach (var p in Scenario.Paths)
            foreach (var blackhole in new[] { false, true })
            {
                var (goes, comes) = blackhole ? (FaultAction.Blackhole, FaultAction.Restore) : (FaultAction.Down, FaultAction.Up);
                double? since = null;
                foreach (var f in Scenario.Faults.Where(f => f.Path == p.Name))
                {
                    if (f.Action == goes) since ??= f.At.TotalSeconds;
                    else if (f.Action == comes && since is { } s)
                    {
                        outages.Add(new Outage(p.Name, s, f.At.TotalSeconds, blackhole));
                        since = null;
                    }
                }
                if (since is { } open) outages.Add(new Outage(p.Name, open, Math.Max(open, end), blackhole));
            }
        return outages;
    }

    /// <summary>Whether the path is out (down or blackholed) once every fault at or before <paramref name="t"/> happened.</summary>
    public bool OutAt(string path, double t) =>
        Outages(double.MaxValue).Any(o => o.Path == path && o.From <= t && t < o.To);

    /// <summary>The path's backup flag at <paramref name="t"/>: the scenario's, then each <c>set backup</c> up to then.</summary>
    public bool BackupAt(string path, double t) =>
        Scenario.Faults.Where(f => f.Path == path && f.Backup is not null && f.At.TotalSeconds <= t).Select(f => f.Backup!.Value)
            .DefaultIfEmpty(Scenario.Path(path).Backup).Last();

    /// <summary>The path's loss probability at <paramref name="t"/>: the scenario's, then each <c>set loss</c> up to then.</summary>
    public double LossAt(string path, double t) =>
        Scenario.Faults.Where(f => f.Path == path && f.Loss is not null && f.At.TotalSeconds <= t).Select(f => f.Loss!.Value)
            .DefaultIfEmpty(Scenario.Path(path).Loss).Last();

    /// <summary>When the last fault happens (0 without faults).</summary>
    public double LastFault => Scenario.Faults.Select(f => f.At.TotalSeconds).DefaultIfEmpty(0).Max();

    /// <summary>The longest one-way delay a path ever has (its own, or a <c>set</c>'s), jitter included.</summary>
    public double MaxDelay(string path) =>
        Scenario.Faults.Where(f => f.Path == path && f.Delay is not null).Select(f => f.Delay!.Value.TotalSeconds)
            .Append(Scenario.Path(path).Delay.TotalSeconds).Max() + Scenario.Path(path).Jitter.TotalSeconds;

    /// <summary>The slowest a path ever is, in bit/s.</summary>
    public double MinRate(string path) =>
        Scenario.Faults.Where(f => f.Path == path && f.RateBps is not null).Select(f => f.RateBps!.Value).Append(Scenario.Path(path).RateBps).Min();

    /// <summary>
    /// How long after a blackhole the path may still deliver: what was already queued or on the wire when it began (a
    /// full queue at the path's slowest rate) plus its longest delay.
    /// </summary>
    public double BlackholeTail(string path)
    {
        var p = Scenario.Path(path);
        var queue = p.QueueBytes ?? (p.QueuePackets ?? ScenarioPath.DefaultQueuePackets) * 1514L;
        if (p.QueueBytes is { } bytes && p.QueuePackets is { } packets) queue = Math.Min(bytes, packets * 1514L);
        return queue * 8 / MinRate(path) + MaxDelay(path);
    }

    /// <summary>
    /// Whether the data must arrive intact: a path is usable once every fault happened, and the first path (which alone
    /// carries the connection's handshake) either is too or stayed usable long enough for the handshake and the joins
    /// from the other paths (ARP, SYN, the joins' handshakes, with a retransmitted SYN's second to spare).
    /// </summary>
    public bool MustArriveIntact
    {
        get
        {
            var end = LastFault;
            if (Scenario.Paths.All(p => OutAt(p.Name, end))) return false;
            var first = Scenario.Paths[0].Name;
            if (!OutAt(first, end)) return true;
            var handshake = 2 + 8 * Scenario.Paths.Max(p => MaxDelay(p.Name));
            return Outages(double.MaxValue).Where(o => o.Path == first).All(o => o.From >= handshake);
        }
    }
}
