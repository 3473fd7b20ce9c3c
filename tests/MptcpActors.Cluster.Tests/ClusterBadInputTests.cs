using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Serialization;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Stack;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Cluster.Tests;

/// <summary>
/// What a cluster node does with bad input from other nodes: a node of another system name, a message in another
/// serializer or naming a type outside the engine's, an oversized message (the engine's own batches never are), a
/// join for a token whose home node left, and a node coming back on the same address after a crash.
/// </summary>
public class ClusterBadInputTests(Xunit.Abstractions.ITestOutputHelper output) : TestKit("akka.loglevel = INFO", output)
{
    private static readonly TimeSpan Wait = ClusterTransfer.Wait;
    private static readonly TcpFlowKey Key = new(new IpAddressBytes([10, 9, 1, 2]), 8080, new IpAddressBytes([10, 9, 1, 1]), 40000);

    /// <summary>An actor system made for the test, stopped with it, its log events copied to <see cref="Logs"/>.</summary>
    private sealed class TestNode : IDisposable
    {
        public TestNode(string name, Config config, TestProbe logs)
        {
            System = ActorSystem.Create(name, config);
            System.EventStream.Subscribe(System.ActorOf(Props.Create(() => new Forward(logs.Ref))), typeof(LogEvent));
        }

        public ActorSystem System { get; }

        public Address Address => ((ExtendedActorSystem)System).Provider.DefaultAddress;

        public void Dispose() => System.Terminate().Wait(TimeSpan.FromSeconds(30));
    }

    private sealed class Forward : ReceiveActor
    {
        public Forward(IActorRef to) => ReceiveAny(to.Tell);
    }

    private static Config ClusterNode(string extra = "") =>
        ConfigurationFactory.ParseString("akka.cluster.seed-node-timeout = 2s\nakka.cluster.retry-unsuccessful-join-after = 2s\n" + extra)
            .WithFallback(MptcpCluster.Config(new ClusterOptions("127.0.0.1", 0, [])));

    /// <summary>
    /// A process that is no node of the service but reaches its cluster port: plain remoting, Hyperion without the
    /// engine's allow-list, a serializer the service does not know, and a larger frame limit.
    /// </summary>
    private static Config Stranger() => ConfigurationFactory.ParseString($$"""
        akka.actor {
          provider = remote
          serializers {
            hyperion = "Akka.Serialization.HyperionSerializer, Akka.Serialization.Hyperion"
            other-protocol = "{{typeof(OtherProtocolSerializer).AssemblyQualifiedName}}"
          }
          serialization-bindings {
            "{{typeof(NotAnEngineMessage).AssemblyQualifiedName}}" = hyperion
            "{{typeof(SubflowSend).AssemblyQualifiedName}}" = hyperion
            "{{typeof(OtherProtocolMessage).AssemblyQualifiedName}}" = other-protocol
          }
        }
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0, maximum-frame-size = 1000000b }
        """);

    public sealed record NotAnEngineMessage(int Value);

    public sealed record OtherProtocolMessage(string Text);

    /// <summary>A serializer with an id the service has never heard of, as a node of another protocol would use.</summary>
    public sealed class OtherProtocolSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
    {
        public override int Identifier => 4711;
        public override string Manifest(object o) => "other";
        public override byte[] ToBinary(object obj) => System.Text.Encoding.UTF8.GetBytes(((OtherProtocolMessage)obj).Text);
        public override object FromBinary(byte[] bytes, string manifest) => new OtherProtocolMessage(System.Text.Encoding.UTF8.GetString(bytes));
    }

    /// <summary>A log line with <paramref name="text"/> in its message or its cause (remoting logs the exception it dropped a message for).</summary>
    private static bool Logged(object m, string text) => m is LogEvent e && e.ToString().Contains(text, StringComparison.Ordinal);

    /// <summary>An inbox on <paramref name="node"/> passing on whatever reaches it: what remoting delivered.</summary>
    private ActorSelection Inbox(TestNode node, TestNode from, IActorRef to)
    {
        node.System.ActorOf(Props.Create(() => new Forward(to)), "inbox");
        return from.System.ActorSelection(new RootActorPath(node.Address) / "user" / "inbox");
    }

    [Fact]
    public void A_node_of_another_system_name_is_refused_with_a_log_line_and_never_becomes_a_member()
    {
        var logs = CreateTestProbe();
        using var service = new TestNode(ClusterOptions.SystemName, ClusterNode(), logs);
        using var other = new TestNode("other", ClusterNode(), logs);
        SimCluster.AkkaCluster(service.System).Join(service.Address);
        SimCluster.AwaitUp(service.System, 1);

        // Akka.Cluster checks the name on both sides (the joining node's own check is the one that fires here).
        SimCluster.AkkaCluster(other.System).Join(service.Address);
        logs.FishForMessage(m => Logged(m, "wrong ActorSystem name"), Wait);
        Assert.Single(SimCluster.AkkaCluster(service.System).State.Members);
        Assert.Empty(SimCluster.AkkaCluster(other.System).State.Members);
    }

    [Fact]
    public void A_message_in_an_unknown_serializer_or_naming_a_type_outside_the_engine_is_dropped_with_a_log_line_and_the_link_goes_on()
    {
        var logs = CreateTestProbe();
        var delivered = CreateTestProbe();
        using var service = new TestNode(ClusterOptions.SystemName, ClusterNode(), logs);
        using var stranger = new TestNode(ClusterOptions.SystemName, Stranger(), CreateTestProbe());
        var inbox = Inbox(service, stranger, delivered.Ref);

        inbox.Tell(new NotAnEngineMessage(1));
        inbox.Tell(new OtherProtocolMessage("hello"));
        inbox.Tell(new SubflowSend(7, [1, 2, 3]));

        // Messages of one link arrive in order: the engine message is the first one delivered, the others were dropped.
        Assert.Equal(7UL, delivered.ExpectMsg<SubflowSend>(Wait).Dsn);
        logs.FishForMessage(m => Logged(m, "Unsafe Type"), Wait);
        logs.FishForMessage(m => Logged(m, "Serializer Id [4711]"), Wait);
        delivered.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void An_oversized_message_is_dropped_by_the_sender_with_a_log_line_and_the_next_one_arrives()
    {
        var logs = CreateTestProbe();
        var delivered = CreateTestProbe();
        using var service = new TestNode(ClusterOptions.SystemName, ClusterNode(), CreateTestProbe());
        using var sender = new TestNode(ClusterOptions.SystemName, ClusterNode(), logs);
        var inbox = Inbox(service, sender, delivered.Ref);

        inbox.Tell(new SubflowSend(1, new byte[ClusterOptions.MaximumFrameSizeBytes + 1]));
        inbox.Tell(new SubflowSend(2, [1]));

        Assert.Equal(2UL, delivered.ExpectMsg<SubflowSend>(Wait).Dsn);
        logs.FishForMessage(m => Logged(m, "oversized"), Wait);
    }

    [Fact]
    public void An_oversized_frame_from_a_node_with_a_larger_limit_is_refused_by_the_receiver_with_a_log_line()
    {
        var logs = CreateTestProbe();
        var delivered = CreateTestProbe();
        using var service = new TestNode(ClusterOptions.SystemName, ClusterNode(), logs);
        using var stranger = new TestNode(ClusterOptions.SystemName, Stranger(), CreateTestProbe());
        var inbox = Inbox(service, stranger, delivered.Ref);

        inbox.Tell(new SubflowSend(1, new byte[ClusterOptions.MaximumFrameSizeBytes + 1]));
        logs.FishForMessage(m => Logged(m, "frame length exceeds 256000"), Wait);
        // The link is dropped with its frame; the stranger's next message comes on a new one (once its address is no longer gated).
        AwaitAssert(() =>
        {
            inbox.Tell(new SubflowSend(2, [1]));
            Assert.Equal(2UL, delivered.ExpectMsg<SubflowSend>(TimeSpan.FromSeconds(2)).Dsn);
        }, Wait, TimeSpan.FromMilliseconds(100));
    }

    /// <summary>
    /// The batches a subflow builds (<see cref="SubflowData.MaxCost"/>, <see cref="SubflowData.ChunkCost"/>) at their
    /// worst: every byte its own chunk (1-byte DSS mappings), 64 KB mappings, and random mixes; each fits a frame
    /// with room for remoting's envelope, and the worst one crosses between two nodes.
    /// </summary>
    [Fact]
    public void The_largest_data_batches_a_subflow_sends_stay_under_the_frame_limit_and_cross_nodes()
    {
        var logs = CreateTestProbe();
        var delivered = CreateTestProbe();
        using var service = new TestNode(ClusterOptions.SystemName, ClusterNode(), CreateTestProbe());
        using var sender = new TestNode(ClusterOptions.SystemName, ClusterNode(), logs);
        var serializer = sender.System.Serialization.FindSerializerForType(typeof(SubflowData));
        Assert.IsType<EngineSerializer>(serializer);

        var random = new Random(10);
        var batches = new List<SubflowData> { Batch(() => 1), Batch(() => ushort.MaxValue), Batch(() => random.Next(2) == 0 ? 1 : ushort.MaxValue) };
        for (var i = 0; i < 20; i++) batches.Add(Batch(() => random.Next(1, ushort.MaxValue + 1)));
        var largest = batches.MaxBy(b => serializer.ToBinary(b).Length)!;
        const int envelope = 4096; // recipient and sender paths, serializer id and manifest around the message
        foreach (var b in batches)
            Assert.True(serializer.ToBinary(b).Length + envelope <= ClusterOptions.MaximumFrameSizeBytes,
                $"a batch of {b.Chunks.Length} chunks is {serializer.ToBinary(b).Length} bytes");

        Inbox(service, sender, delivered.Ref).Tell(largest);
        Assert.Equal(largest.Chunks.Length, delivered.ExpectMsg<SubflowData>(Wait).Chunks.Length);
    }

    /// <summary>
    /// A report of a remote subflow carries at most <see cref="SubflowReport.MaxSignals"/> signals plus those of the
    /// one message that reached the cap; even four times that many of the longest kind fit a frame many times over.
    /// </summary>
    [Fact]
    public void A_report_with_the_most_signals_a_subflow_sends_stays_far_under_the_frame_limit()
    {
        var signals = Enumerable.Range(0, 4 * SubflowReport.MaxSignals).Select(i => i % 2 == 0
            ? (MptcpActors.Actors.Mptcp.MptcpSignal)new MptcpActors.Actors.Mptcp.InvalidSignal($"ADD_ADDR id {i % 256} with a wrong HMAC")
            : new MptcpActors.Actors.Mptcp.AddAddrReceived((byte)i, new IpAddressBytes(new byte[16]), 65535, false)).ToArray();
        var report = new SubflowReport(1, 2, 3, 4, 1448, 0, false, true, 5, 6, 77, 88, null, signals);
        var size = new EngineSerializer((ExtendedActorSystem)Sys).ToBinary(report).Length;
        Assert.True(size * 8 < ClusterOptions.MaximumFrameSizeBytes, $"a report of {signals.Length} signals is {size} bytes");
    }

    /// <summary>A batch built by the subflow's rule: chunks of the given sizes until its cost reaches <see cref="SubflowData.MaxCost"/>.</summary>
    private static SubflowData Batch(Func<int> chunkSize)
    {
        var chunks = new List<DataChunk>();
        var cost = 0;
        ulong dsn = 1UL << 40;
        while (cost < SubflowData.MaxCost)
        {
            var n = chunkSize();
            chunks.Add(new DataChunk(dsn, new byte[n]));
            dsn += (ulong)n;
            cost += SubflowData.Cost(n);
        }
        return new SubflowData([.. chunks]);
    }

    [Fact]
    public async Task A_join_for_a_token_whose_home_node_left_is_refused_with_a_log_line_and_the_remaining_nodes_tokens_there_are_registered_again()
    {
        var logs = CreateTestProbe();
        using var a = new TestNode(ClusterOptions.SystemName, ClusterNode(), logs);
        using var b = new TestNode(ClusterOptions.SystemName, ClusterNode(), CreateTestProbe());
        SimCluster.AkkaCluster(a.System).Join(a.Address);
        SimCluster.AwaitUp(a.System, 1);
        SimCluster.AkkaCluster(b.System).Join(a.Address);
        SimCluster.AwaitUp(a.System, 2);
        var registryA = await MptcpCluster.StartAsync(a.System);
        var registryB = await MptcpCluster.StartAsync(b.System);

        // A connection on each node (a stand-in actor), each token in a shard its node allocates by registering first.
        var sink = CreateTestProbe().Ref;
        var onA = a.System.ActorOf(Props.Create(() => new Forward(sink)), "connection-a");
        var onB = b.System.ActorOf(Props.Create(() => new Forward(sink)), "connection-b");
        const uint tokenA = 0x1000_0001, tokenB = 0x2000_0002;
        Assert.NotEqual(registryA.Shards.ShardOf(tokenA), registryA.Shards.ShardOf(tokenB));
        registryA.Register(tokenA, onA);
        registryB.Register(tokenB, onB);
        // Asked on B first: the registration went ahead of the lookup to B's own shard.
        Assert.Equal(onB, (await Lookup(registryB, tokenB)).Connection);
        var found = (await Lookup(registryA, tokenB)).Connection!.Path;
        Assert.Equal((b.Address, onB.Path.ToStringWithoutAddress()), (found.Address, found.ToStringWithoutAddress()));
        Assert.Equal(onA, (await Lookup(registryA, tokenA)).Connection);
        // The affinity race: a token of A in B's shard (A's registry would not hand it out once it knows the shard is B's).
        var shardB = registryA.Shards.ShardOf(tokenB);
        var raced = tokenB + (uint)registryA.Shards.Count;
        Assert.Equal(shardB, registryA.Shards.ShardOf(raced));
        registryA.Register(raced, onA);
        Assert.Equal(onA.Path.ToStringWithoutAddress(), (await Lookup(registryA, raced)).Connection?.Path.ToStringWithoutAddress());
        AwaitCondition(() => registryA.Affinity.Foreign.Contains(shardB), Wait);

        // B leaves; its shard's entries stop with it (handed off), the shard is allocated anew on demand.
        SimCluster.AkkaCluster(b.System).Leave(b.Address);
        SimCluster.AwaitUp(a.System, 1);

        var refused = CreateTestProbe();
        var join = new MpJoinOption(MpJoinStage.Syn, 0, AddressId: 2, Token: tokenB, Nonce: 42);
        registryA.Region.Tell(new TokenEnvelope(tokenB, new JoinRequest(new IncomingSyn(Key, [1, 2, 3], refused.Ref), join)));
        Assert.Equal(Key, refused.ExpectMsg<RefuseSubflow>(Wait).Key);
        // The refusal, and A's token whose entry was on B registered again by A's affinity refresher, in either order.
        var expected = new List<string> { $"unknown token {tokenB:x8} refused", "lost their node: this node's tokens in them registered again" };
        while (expected.Count > 0) logs.FishForMessage(m => expected.RemoveAll(text => Logged(m, text)) > 0, Wait, $"no log line yet: {string.Join(" | ", expected)}");
        Assert.Equal(onA, (await Lookup(registryA, tokenA)).Connection);
        await AwaitAssertAsync(async () => Assert.Equal(onA, (await Lookup(registryA, raced)).Connection), Wait, TimeSpan.FromMilliseconds(500));
    }

    private static Task<ConnectionLocation> Lookup(ShardedTokenRegistry registry, uint token) =>
        registry.Region.Ask<ConnectionLocation>(new TokenEnvelope(token, LookupConnection.Instance), Wait);

    [Fact]
    public async Task A_node_restarted_on_its_address_after_a_crash_replaces_its_old_incarnation_and_carries_subflows_again()
    {
        var logs = CreateTestProbe();
        Sys.EventStream.Subscribe(logs.Ref, typeof(LogEvent));
        using var cluster = new SimCluster(Sys, new LinkParameters(RateBps: 20e6, Delay: TimeSpan.FromMilliseconds(5), QueueLimitPackets: 200),
            "akka.coordinated-shutdown.run-by-actor-system-terminate = off");
        var before = SimCluster.AkkaCluster(cluster.B).SelfUniqueAddress;
        await cluster.B.Terminate().WaitAsync(Wait);

        cluster.RestartB();
        var after = SimCluster.AkkaCluster(cluster.B).SelfUniqueAddress;
        Assert.Equal(before.Address, after.Address);
        logs.FishForMessage(m => Logged(m, "New incarnation of existing member"), Wait);
        var members = SimCluster.AkkaCluster(cluster.A).State.Members;
        Assert.Contains(members, m => m.UniqueAddress.Equals(after));
        Assert.DoesNotContain(members, m => m.UniqueAddress.Equals(before));

        ClusterTransfer.AssertTransferAcrossNodes(this, cluster, 1 << 20, 21);
    }
}
