using Akka.Actor;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Mptcp;
using MptcpActors.Actors.PathManagement;
using MptcpActors.Transport.Wire.Mptcp;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Actors.Connection;

/// <summary>
/// How a ConnectionActor begins. Active open: the application's Connect and who sent it, the interface and remote
/// endpoint of the initial subflow. Passive open: the SYN that reached an MPTCP listener and the Bind handler that
/// gets Connected.
/// </summary>
public sealed record ConnectionStart(ulong LocalKey, MptcpSettings Settings, MptcpConnectionOptions Options, IReadOnlyList<InterfaceRoute> Interfaces)
{
    /// <summary>Where the connection and its subflows count their events (the node's).</summary>
    public Metrics.MptcpMetrics Metrics { get; init; } = MptcpActors.Actors.Metrics.MptcpMetrics.Shared;
    public IActorRef? Commander { get; init; }
    public TcpMsg.Connect? Connect { get; init; }
    public InterfaceRoute? Interface { get; init; }
    public IpAddressBytes RemoteAddress { get; init; }
    public ushort RemotePort { get; init; }
    public IncomingSyn? Syn { get; init; }
    public IActorRef? BindHandler { get; init; }
    /// <summary>The congestion control of this connection's subflows (mptcp.congestion-control, or the Connect's <see cref="MptcpSocketOptions"/>).</summary>
    public Tcp.Congestion.CongestionControlKind CongestionControl { get; init; }
    public bool Client => Syn is null;
    /// <summary>Akka.IO's pull mode (Connect or Bind asked for it): one Received per ResumeReading.</summary>
    public bool PullMode { get; init; }
    /// <summary>The node's cluster membership watcher, told of subflows on other nodes (<see cref="WatchSubflowNode"/>); null on a lone node.</summary>
    public IActorRef? NodeWatcher { get; init; }
    /// <summary>The node's path manager: events go to it, commands and new views come from it.</summary>
    public IActorRef? PathManager { get; init; }
    /// <summary>Endpoints and limits as the node's path manager had them when the connection began.</summary>
    public PathManagerView PathView { get; init; } = PathManagerView.From(Settings);
}

/// <summary>To a connection, from the node's MPTCP manager: a SYN with MP_JOIN carrying this connection's token.</summary>
public sealed record JoinRequest(IncomingSyn Syn, MpJoinOption Join);
