namespace MptcpActors.Actors.Mptcp.Scheduling;

public enum SchedulerKind
{
    /// <summary>Lowest RTT with room, waiting for a full fast subflow when a slow one would block the receiver (BLEST).</summary>
    Default,
    RoundRobin,
    /// <summary>Every chunk on every usable subflow: latency over bandwidth.</summary>
    Redundant,
}
