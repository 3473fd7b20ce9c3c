namespace MptcpActors.Actors.Configuration;

/// <summary>Which subflow carries the next data (<c>mptcp.scheduler</c>, Linux's <c>net.mptcp.scheduler</c>).</summary>
public enum Scheduler
{
    /// <summary>Lowest-RTT subflow with room; backups only when nothing else is usable.</summary>
    Default,

    RoundRobin,

    /// <summary>Every segment on every usable subflow: latency over bandwidth.</summary>
    Redundant,
}
