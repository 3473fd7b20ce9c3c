using MptcpActors.Actors.Configuration;
using MptcpActors.Transport.Sim;

namespace MptcpActors.Cli.Failover;

/// <summary>A failover scenario (CLI.md "Failover scenarios"): paths, traffic, the MPTCP choices and a timeline of faults.</summary>
public sealed record Scenario(string Name, ulong Seed, IReadOnlyList<ScenarioPath> Paths, ScenarioTraffic Traffic, Scheduler Scheduler,
    CongestionControl CongestionControl, IReadOnlyList<ScenarioFault> Faults)
{
    public ScenarioPath Path(string name) => Paths.First(p => p.Name == name);
}

/// <summary>One path: its link (rate, delay, jitter, loss, queue) and whether the client uses it as a backup.</summary>
public sealed record ScenarioPath(string Name, double RateBps, TimeSpan Delay, TimeSpan Jitter, double Loss, long? QueueBytes, bool Backup)
{
    /// <summary>netem's default queue (1000 packets) when the scenario gives none, as the Linux selftests' paths have it.</summary>
    public const int DefaultQueuePackets = 1000;

    /// <summary>The queue's limit in packets, netem's <c>limit</c> (the selftests set it per path); with neither limit, netem's default.</summary>
    public int? QueuePackets { get; init; }

    public LinkParameters Link => new(RateBps: RateBps, Delay: Delay, Jitter: Jitter, LossProbability: Loss,
        QueueLimitPackets: QueuePackets ?? (QueueBytes is null ? DefaultQueuePackets : null), QueueLimitBytes: QueueBytes);
}

public enum TrafficDirection
{
    /// <summary>Client to server.</summary>
    Upload,
    /// <summary>Server to client.</summary>
    Download,
    /// <summary>Both at once, each end sending what the traffic says.</summary>
    Both,
}

/// <summary>What each sending end sends: a byte count, for a duration, or at a constant rate (bounded by one of the two).</summary>
public sealed record ScenarioTraffic(TrafficDirection Direction, long? Bytes, TimeSpan? Duration, double? RateBps)
{
    public bool Uploads => Direction is TrafficDirection.Upload or TrafficDirection.Both;
    public bool Downloads => Direction is TrafficDirection.Download or TrafficDirection.Both;

    /// <summary>
    /// What the server sends when both ends do, if not <see cref="Bytes"/> (Linux's simult_flows.sh sends 16 MiB one
    /// way while 80 KiB go the other).
    /// </summary>
    public long? DownloadBytes { get; init; }

    /// <summary>The larger of the two directions' byte counts (null when the traffic runs for a duration).</summary>
    public long? MostBytes => Bytes is { } b ? Math.Max(b, Downloads ? DownloadBytes ?? b : b) : null;
}

public enum FaultAction
{
    Down,
    Up,
    Blackhole,
    Restore,
    Set,
}

/// <summary>One event of the timeline. For <see cref="FaultAction.Set"/>, the values given (others stay as they are).</summary>
public sealed record ScenarioFault(TimeSpan At, string Path, FaultAction Action, double? RateBps = null, TimeSpan? Delay = null, double? Loss = null,
    bool? Backup = null)
{
    public string Describe() => Action switch
    {
        FaultAction.Set => "set " + string.Join(" ", new[]
        {
            RateBps is { } r ? $"rate={ScenarioUnits.FormatRate(r)}" : null,
            Delay is { } d ? $"delay={d.TotalMilliseconds:0.###}ms" : null,
            Loss is { } l ? $"loss={l * 100:0.###}%" : null,
            Backup is { } b ? $"backup={(b ? "true" : "false")}" : null,
        }.Where(s => s is not null)),
        _ => Action.ToString().ToLowerInvariant(),
    };
}
