using Akka.Actor;
using MptcpActors.Actors.Stack;

namespace MptcpActors.Actors.Subflow;

/// <summary>
/// To an interface: its plain TCP connections (subflow actors of no MPTCP connection: <c>mptcp.enabled = off</c>, or a
/// Bind/Connect made on the interface itself), answered with <see cref="TcpConnectionList"/>. <c>ss</c> lists TCP
/// sockets beside MPTCP ones; this is how <c>mptcp info</c> finds them.
/// </summary>
public sealed record ListTcpConnections
{
    public static readonly ListTcpConnections Instance = new();
}

/// <summary>The interface's plain TCP connection actors; ask each with <c>GetConnectionInfo</c> for a <see cref="TcpConnectionInfo"/>.</summary>
public sealed record TcpConnectionList(IReadOnlyList<IActorRef> Connections);

/// <summary>
/// A plain TCP connection as <c>ss -ti</c> shows one: its 4-tuple, state (named as <c>ss</c> names them), who opened it,
/// bytes each way, retransmitted bytes and the congestion state.
/// </summary>
public sealed record TcpConnectionInfo(TcpFlowKey Key, string State, bool Client, long BytesSent, long BytesReceived, long BytesRetransmitted,
    double SmoothedRttMs, long CongestionWindow, long BytesInFlight);
