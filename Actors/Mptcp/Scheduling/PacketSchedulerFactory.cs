using MptcpActors.Actors.Configuration;

namespace MptcpActors.Actors.Mptcp.Scheduling;

public static class PacketSchedulerFactory
{
    /// <summary>A new scheduler for one connection (round-robin keeps its position per instance).</summary>
    public static IPacketScheduler Create(SchedulerKind kind) => kind switch
    {
        SchedulerKind.Default => new DefaultScheduler(),
        SchedulerKind.RoundRobin => new RoundRobinScheduler(),
        SchedulerKind.Redundant => new RedundantScheduler(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown scheduler"),
    };

    /// <summary>
    /// The kind a scheduler name denotes, in any letter case; the names are the <c>mptcp.scheduler</c> setting's, so
    /// the two never disagree.
    /// </summary>
    public static SchedulerKind Parse(string name) =>
        SettingNames.Schedulers.TryParse(name.ToLowerInvariant(), out var setting)
            ? setting.ToKind()
            // No parameter name: the message is shown to people as it is (CLI errors), not to a debugger.
            : throw new ArgumentException($"unknown scheduler \"{name}\"; valid: {SettingNames.Schedulers}");

    /// <summary>The kind the <c>scheduler</c> setting names.</summary>
    public static SchedulerKind ToKind(this Scheduler setting) => setting switch
    {
        Scheduler.Default => SchedulerKind.Default,
        Scheduler.RoundRobin => SchedulerKind.RoundRobin,
        Scheduler.Redundant => SchedulerKind.Redundant,
        _ => throw new ArgumentOutOfRangeException(nameof(setting), setting, "unknown scheduler"),
    };
}
