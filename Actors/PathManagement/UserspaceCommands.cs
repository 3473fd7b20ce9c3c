using Akka.Actor;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.PathManagement;

// The userspace path manager API (Linux's MPTCP_PM_CMD_* of the generic-netlink family, as mptcpd uses it): a controller
// subscribes, owns the node's connections (the in-engine policy stays out of them) and commands them by token. Every
// command is answered with PathManagerCommandDone or PathManagerCommandFailed (unknown token, address in use, limits ...).

/// <summary>
/// Sends every <see cref="PmEvent"/> of the node to <paramref name="Subscriber"/> until it stops or unsubscribes. With
/// <paramref name="Control"/> it becomes the node's controller: existing and new connections take no in-engine path
/// decisions (no announcements, joins or ADD_ADDR following) and accept joins only while it lives, like Linux's userspace PM.
/// </summary>
public sealed record SubscribePathEvents(IActorRef Subscriber, bool Control = false) : IPathManagerCommand;

public sealed record UnsubscribePathEvents(IActorRef Subscriber) : IPathManagerCommand;

/// <summary>Answer to <see cref="SubscribePathEvents"/>.</summary>
public sealed record PathEventsSubscribed(bool Control);

/// <summary>A command for the connection with this local token.</summary>
public interface IConnectionPathCommand : IPathManagerCommand
{
    uint Token { get; }
}

/// <summary>MPTCP_PM_CMD_ANNOUNCE: ADD_ADDR of a local address (id 1..255, optional port), retransmitted until echoed.</summary>
public sealed record Announce(uint Token, byte AddressId, IpAddressBytes Address, ushort? Port = null) : IConnectionPathCommand;

/// <summary>MPTCP_PM_CMD_REMOVE: REMOVE_ADDR of an address id we announced or use; the subflows from it close.</summary>
public sealed record RemoveAddress(uint Token, byte AddressId) : IConnectionPathCommand;

/// <summary>MPTCP_PM_CMD_SUBFLOW_CREATE: a join from a local address (with its id) to the peer's address and port.</summary>
public sealed record CreateSubflow(uint Token, byte LocalId, IpAddressBytes LocalAddress, IpAddressBytes RemoteAddress, ushort RemotePort,
    bool Backup = false) : IConnectionPathCommand;

/// <summary>MPTCP_PM_CMD_SUBFLOW_DESTROY: the subflow with this 4-tuple is closed.</summary>
public sealed record DestroySubflow(uint Token, IpAddressBytes LocalAddress, ushort LocalPort, IpAddressBytes RemoteAddress, ushort RemotePort)
    : IConnectionPathCommand;

/// <summary>MPTCP_PM_CMD_SET_FLAGS: the subflows from this local address become backup or not (MP_PRIO to the peer).</summary>
public sealed record SetSubflowBackup(uint Token, IpAddressBytes LocalAddress, bool Backup) : IConnectionPathCommand;

/// <summary>The connection's ConnectionInfo (subflows with RTT, backup flags, bytes), for a controller's policy; needs no control.</summary>
public sealed record GetPathInfo(uint Token) : IConnectionPathCommand;

/// <summary>A userspace command was carried out (for subflow create: the SYN is sent; its outcome comes as an event).</summary>
public sealed record PathManagerCommandDone(object Command);
