using Akka.IO;
using MptcpActors.Actors.Mptcp.Scheduling;
using MptcpActors.Actors.Tcp.Congestion;

namespace MptcpActors.Actors.Connection;

/// <summary>
/// Per-connection choices, passed in Akka.IO's Connect (or Bind) options list like any socket option; they override
/// the node's <c>mptcp.scheduler</c> and <c>mptcp.congestion-control</c> for that connection (Bind: for every
/// connection it accepts).
/// </summary>
public static class MptcpSocketOptions
{
    /// <summary>The packet scheduler (default, roundrobin, redundant).</summary>
    public sealed class Scheduler(SchedulerKind kind) : Inet.SocketOption
    {
        public SchedulerKind Kind { get; } = kind;
    }

    /// <summary>The congestion control of every subflow: uncoupled CUBIC/NewReno, or coupled LIA/OLIA (RFC 6356).</summary>
    public sealed class CongestionControl(CongestionControlKind kind) : Inet.SocketOption
    {
        public CongestionControlKind Kind { get; } = kind;
    }
}
