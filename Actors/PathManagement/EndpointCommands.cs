using System.Net;
using MptcpActors.Actors.Configuration;

namespace MptcpActors.Actors.PathManagement;

// The in-engine path manager's run-time configuration, as `ip mptcp endpoint` / `ip mptcp limits` change Linux's; sent to a
// node's MptcpManager (which hands them to its PathManagerActor). Each is answered by EndpointsChanged or PathManagerCommandFailed.

/// <summary>Marker of the messages a node's path manager takes.</summary>
public interface IPathManagerCommand;

/// <summary><c>ip mptcp endpoint add</c>: Id 0 takes the lowest free id. Signal endpoints are announced on live connections at once.</summary>
public sealed record AddEndpoint(EndpointSettings Endpoint) : IPathManagerCommand;

/// <summary><c>ip mptcp endpoint delete id ID | ADDR</c>: REMOVE_ADDR on live connections, their subflows from it closed.</summary>
public sealed record DeleteEndpoint(int Id, IPAddress? Address = null) : IPathManagerCommand;

/// <summary><c>ip mptcp endpoint change id ID [no]backup [no]fullmesh</c>: a backup change sends MP_PRIO on live subflows.</summary>
public sealed record ChangeEndpoint(int Id, bool Backup, bool Fullmesh = false, IPAddress? Address = null) : IPathManagerCommand;

/// <summary><c>ip mptcp endpoint flush</c>.</summary>
public sealed record FlushEndpoints : IPathManagerCommand
{
    public static readonly FlushEndpoints Instance = new();
}

/// <summary><c>ip mptcp limits set</c>: applies to the decisions live connections take from now on.</summary>
public sealed record SetLimits(PathManagerLimits Limits) : IPathManagerCommand;

/// <summary><c>ip mptcp endpoint show</c> and <c>ip mptcp limits show</c>: answered with EndpointsChanged.</summary>
public sealed record ShowEndpoints : IPathManagerCommand
{
    public static readonly ShowEndpoints Instance = new();
}

/// <summary>
/// An interface of the node went down or came back (carrier, administrative state): down removes its addresses from every
/// connection (REMOVE_ADDR, subflows on it reset, their data resent elsewhere); up announces and joins from them again.
/// </summary>
public sealed record InterfaceStateChanged(string Interface, bool Up) : IPathManagerCommand;

/// <summary>
/// The <c>signal</c> endpoints of the service's other nodes (a cluster), with ids this node's endpoints do not use:
/// announced on this node's connections like its own, so a peer learns every address of the service and joins there.
/// Its sender shares this node's endpoints in turn: it hears <see cref="EndpointsChanged"/> after every change.
/// </summary>
public sealed record ServiceEndpoints(IReadOnlyList<EndpointSettings> Endpoints) : IPathManagerCommand;

/// <summary>The endpoint set and limits after a command (all endpoints, including those on an interface that is down).</summary>
public sealed record EndpointsChanged(IReadOnlyList<EndpointSettings> Endpoints, PathManagerLimits Limits, IReadOnlySet<string> DownInterfaces);

/// <summary>A path manager command that changed nothing, and why (unknown id, address in use, unknown token, limits ...).</summary>
public sealed record PathManagerCommandFailed(object Command, string Reason);
