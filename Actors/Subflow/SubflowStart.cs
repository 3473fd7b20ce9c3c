using Akka.Actor;
using Akka.IO;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Tcp;

namespace MptcpActors.Actors.Subflow;

/// <summary>How a subflow actor begins: an active open for a commander, or a passive open from a SYN for a listener.</summary>
public sealed record SubflowStart(TcpFlowKey Key, IActorRef Interface, TcpCoreOptions Options, uint Iss, uint TimestampOffset)
{
    /// <summary>Active open: who sent the Connect, and the command (answered with CommandFailed on refusal).</summary>
    public IActorRef? Commander { get; init; }
    public Akka.IO.Tcp.Connect? Connect { get; init; }
    /// <summary>Passive open: the SYN that reached the listener, and the Bind handler that gets Connected.</summary>
    public byte[]? Syn { get; init; }
    public IActorRef? Listener { get; init; }
    /// <summary>
    /// A subflow of an MPTCP connection: the connection actor that owns it (and gets its data and events instead of an
    /// application handler) and how its MPTCP layer starts. Null for plain TCP.
    /// </summary>
    public IActorRef? Owner { get; init; }
    public Connection.MptcpSubflowSetup? Mptcp { get; init; }
    /// <summary>When set, the subflow frames and sends its segments itself (see <see cref="Interface.LinkContext"/>).</summary>
    public Interface.LinkContext? Link { get; init; }
}
