using Akka.Actor;
using Akka.Serialization;
using Akka.TestKit.Xunit2;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Mptcp;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Subflow;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Cluster.Tests;

/// <summary>The messages that cross nodes go by Hyperion and come back equal; Hyperion reads nothing else.</summary>
public class EngineMessageSerializationTests() : TestKit(MptcpCluster.Config(new ClusterOptions("127.0.0.1", 0, [])))
{
    private static readonly TcpFlowKey Key = new(new IpAddressBytes([10, 9, 1, 2]), 8080, new IpAddressBytes([10, 9, 1, 1]), 40000);

    private object RoundTrip(object message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<EngineSerializer>(serializer);
        var bytes = serializer.ToBinary(message);
        return serializer.FromBinary(bytes, message.GetType());
    }

    public static TheoryData<string> Samples() => [.. SampleMessages().Keys];

    private static Dictionary<string, object> SampleMessages()
    {
        var join = new MpJoinOption(MpJoinStage.Syn, MpJoinOption.FlagBackup, AddressId: 3, Token: 0xdeadbeef, Nonce: 42);
        var messages = new object[]
        {
            new TokenEnvelope(0xdeadbeef, new JoinRequest(new IncomingSyn(Key, [1, 2, 3], ActorRefs.Nobody), join)),
            new AcceptSubflow(Key, [1, 2, 3], ActorRefs.Nobody, new MptcpSubflowSetup(7, true, new JoinParameters(7, 8, 3, false, true), 99)
                { CongestionControl = Actors.Tcp.Congestion.CongestionControlKind.Olia }),
            new SubflowData([new DataChunk(1000, [1, 2]), new DataChunk(1002, [3])]),
            new SubflowReport(1, 2, 3, 4, 1448, 0, false, true, 5, 6, 77, 88, null,
                [new AddAddrReceived(2, new IpAddressBytes([10, 9, 1, 2]), 8080, false), new RemoveAddrReceived([1]), new FastCloseReceived()]),
            new SubflowDown(new SubflowFinished(Key, 1, 2, 3, 4.5, TcpCloseReason.Reset) { LocalToken = 5 }, MpTcpRstReason.MiddleboxInterference),
            new SubflowSend(123, [9, 8, 7]),
            new SubflowUp(Key, true, null, false, true, 3, 0, false, false),
            new DataLevelAck(1, 2, true),
            new AbortSubflow(true, MpTcpRstReason.Unspecified),
            new TokenEnvelope(1, new RegisterConnection(ActorRefs.Nobody)),
            new ConnectionLocation(1, null),
            new NodeSignalEndpoints([new SignalAddress(new IpAddressBytes([10, 9, 1, 2]), null), new SignalAddress(new IpAddressBytes([10, 9, 1, 3]), 8080)]),
            ListConnections.Instance,
            new ConnectionList(new List<IActorRef> { ActorRefs.Nobody }, true),
            new ConnectionInfo(1, 2, false, true, 3, 4, 5, new List<SubflowInfo> { new(Key, true, false, false, 1.5, 10, 11, 12, 13) { Node = "akka.tcp://mptcp@10.0.0.1:4053" } })
                { State = "ESTAB" },
        };
        return messages.ToDictionary(m => m.GetType().Name + (m is TokenEnvelope e ? "." + e.Message.GetType().Name : ""));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void A_cross_node_message_survives_hyperion(string name)
    {
        var message = SampleMessages()[name];
        if (message is ConnectionLocation l) message = l with { Connection = TestActor };
        var back = RoundTrip(message);
        Assert.Equal(Describe(message), Describe(back));
    }

    // Records with arrays compare arrays by reference: compare their printed form plus every byte they carry.
    private static string Describe(object m) => m switch
    {
        SubflowData d => string.Join(";", d.Chunks.Select(c => $"{c.Dsn}:{Convert.ToHexString(c.Data)}")),
        SubflowSend s => $"{s.Dsn}:{Convert.ToHexString(s.Data)}",
        TokenEnvelope { Message: JoinRequest j } e => $"{e.Token} {j.Join} {j.Syn.Key} {Convert.ToHexString(j.Syn.Syn)}",
        AcceptSubflow a => $"{a.Key} {Convert.ToHexString(a.Syn)} {a.Setup}",
        NodeSignalEndpoints n => string.Join(",", n.Addresses),
        ConnectionList l => $"{l.MptcpEnabled} {string.Join(",", l.Connections)}",
        ConnectionInfo i => (i with { Subflows = [] }) + string.Join(",", i.Subflows),
        SubflowReport r => (r with { Signals = null }) + string.Join(",", r.Signals!.Select(s => s is RemoveAddrReceived rm ? Convert.ToHexString(rm.AddressIds) : s.ToString())),
        _ => m.ToString()!,
    };

    [Fact]
    public void Only_the_engine_messages_are_bound_to_hyperion()
    {
        foreach (var type in EngineMessages.CrossNode)
            Assert.Equal("hyperion", Sys.Settings.Config.GetString($"akka.actor.serialization-bindings.\"{type.FullName}, {type.Assembly.GetName().Name}\""));
        Assert.IsNotType<EngineSerializer>(Sys.Serialization.FindSerializerFor(new NotAnEngineMessage(1)));
    }

    [Fact]
    public void Hyperion_refuses_to_read_a_type_outside_the_engine_messages()
    {
        var engine = Sys.Serialization.FindSerializerFor(new SubflowSend(1, [1]));
        // A peer could name any type in its bytes: an unrestricted Hyperion writes one here, as a hostile node would.
        var bytes = new HyperionSerializer((ExtendedActorSystem)Sys).ToBinary(new NotAnEngineMessage(1));
        var refused = Assert.ThrowsAny<System.Runtime.Serialization.SerializationException>(() => engine.FromBinary(bytes, typeof(object)));
        Assert.Contains("Unsafe Type", refused.Message);
        // Nor does it write one: nothing but the engine's messages leaves through it.
        Assert.Throws<Hyperion.Internal.UserEvilDeserializationException>(() => engine.ToBinary(new NotAnEngineMessage(1)));
    }

    public sealed record NotAnEngineMessage(int Value);
}
