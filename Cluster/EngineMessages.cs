using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Mptcp;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Subflow;
using MptcpActors.Actors.Tcp;
using MptcpActors.Actors.Tcp.Congestion;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Cluster;

/// <summary>
/// The engine's messages that cross between cluster nodes (a join routed to its connection's node, a remote
/// subflow and its connection), bound to Hyperion one by one, and every type Hyperion may meet inside them: the
/// deserializer is restricted to exactly these (<see cref="EngineTypeFilter"/>), so a node never instantiates
/// anything else a peer names.
/// </summary>
public static class EngineMessages
{
    /// <summary>Messages sent between nodes, each bound to Hyperion by name.</summary>
    public static readonly IReadOnlyList<Type> CrossNode =
    [
        typeof(JoinRequest), typeof(AcceptSubflow), typeof(RefuseSubflow),
        typeof(SubflowUp), typeof(SubflowData), typeof(SubflowReport), typeof(SubflowDown), typeof(SubflowSendRefused),
        typeof(SubflowSend), typeof(DataLevelAck), typeof(SendDataFin), typeof(SendAddAddr), typeof(SendRemoveAddr), typeof(SendPrio),
        typeof(CloseSubflow), typeof(AbortSubflow), typeof(PeerCongestion),
        typeof(TokenEnvelope), typeof(RegisterConnection), typeof(LookupConnection), typeof(ConnectionLocation),
        typeof(GetConnectionInfo), typeof(ConnectionInfo), typeof(NodeSignalEndpoints), typeof(ListConnections), typeof(ConnectionList),
    ];

    /// <summary>What those messages hold that Hyperion names in its stream: the rest of the allowed types.</summary>
    public static readonly IReadOnlyList<Type> Contents =
    [
        typeof(IncomingSyn), typeof(MpJoinOption), typeof(MpJoinStage), typeof(Hmac160), typeof(TcpFlowKey), typeof(IpAddressBytes),
        typeof(MptcpSubflowSetup), typeof(JoinParameters), typeof(CongestionControlKind), typeof(CongestionControlKind?),
        typeof(DataChunk), typeof(DataChunk[]), typeof(MptcpSignal), typeof(MptcpSignal[]),
        typeof(SubflowFinished), typeof(ChecksumFailureCounts), typeof(PathManagerCounters), typeof(TcpCloseReason), typeof(MpTcpRstReason), typeof(MpTcpRstReason?),
        typeof(SignalAddress), typeof(SignalAddress[]), typeof(List<Akka.Actor.IActorRef>), typeof(IReadOnlyList<Akka.Actor.IActorRef>),
        typeof(SubflowInfo), typeof(List<SubflowInfo>), typeof(IReadOnlyList<SubflowInfo>), typeof(ushort?), typeof(ulong?), typeof(uint?),
        // Actor references travel as Akka's surrogates (path and uid), resolved by the receiving node's provider.
        Type.GetType("Akka.Actor.ActorRefBase+Surrogate, Akka", throwOnError: true)!,
        Type.GetType("Akka.Actor.Nobody+NobodySurrogate, Akka", throwOnError: true)!,
        .. typeof(MptcpSignal).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(MptcpSignal)) && !t.IsAbstract),
    ];

    /// <summary>The HOCON that binds <see cref="CrossNode"/> to <see cref="EngineSerializer"/> (Hyperion restricted to these types and <see cref="Contents"/>).</summary>
    public static string Hocon()
    {
        static string Name(Type t) => $"\"{t.FullName}, {t.Assembly.GetName().Name}\"";
        var bindings = string.Join("\n", CrossNode.Select(t => $"{Name(t)} = hyperion"));
        return $$"""
            akka.actor {
              serializers.hyperion = "{{typeof(EngineSerializer).FullName}}, {{typeof(EngineSerializer).Assembly.GetName().Name}}"
              serialization-bindings {
            {{bindings}}
              }
            }
            """;
    }
}
