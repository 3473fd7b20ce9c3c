using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.TestKit.Xunit2;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Stack;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Cluster.Tests;

/// <summary>
/// A token's registry entry on its own (no sharding around it): a join that comes before the connection's registration
/// waits for it, one for a token nobody registers is refused, the node's sharding never passivates an idle entry
/// and keeps its coordinator's state in memory.
/// </summary>
public class ConnectionEntryTests() : TestKit(MptcpCluster.Config(new ClusterOptions("127.0.0.1", 0, [])))
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private static readonly TcpFlowKey Key = new(new IpAddressBytes([10, 9, 1, 2]), 8080, new IpAddressBytes([10, 9, 1, 1]), 40000);

    private static JoinRequest Join(IActorRef iface) =>
        new(new IncomingSyn(Key, [1, 2, 3], iface), new MpJoinOption(MpJoinStage.Syn, 0, AddressId: 3, Token: 0xdeadbeef, Nonce: 42));

    [Fact]
    public void A_join_arriving_before_the_registration_goes_to_the_connection_once_it_registers()
    {
        var iface = CreateTestProbe();
        var connection = CreateTestProbe();
        var entry = Sys.ActorOf(ConnectionEntry.Props("deadbeef"));
        var join = Join(iface);
        entry.Tell(join);
        entry.Tell(new RegisterConnection(connection));
        Assert.Same(join, connection.ExpectMsg<JoinRequest>(Wait));
        iface.ExpectNoMsg(ConnectionEntry.RegistrationGrace * 2);
        // Registered: the next join goes straight on.
        entry.Tell(Join(iface));
        connection.ExpectMsg<JoinRequest>(Wait);
    }

    [Fact]
    public void A_join_for_a_token_nobody_registers_is_refused_and_the_entry_stops()
    {
        var iface = CreateTestProbe();
        var entry = Sys.ActorOf(ConnectionEntry.Props("deadbeef"));
        Watch(entry);
        entry.Tell(Join(iface));
        var refused = iface.ExpectMsg<RefuseSubflow>(Wait);
        Assert.Equal(Key, refused.Key);
        ExpectTerminated(entry, Wait);
    }

    [Fact]
    public void Idle_entries_are_never_passivated()
    {
        // Sharding passivates entities idle for 120 s by default: an entry whose connection takes no join for that long.
        Assert.Equal(TimeSpan.Zero, ClusterSharding.Get(Sys).Settings.PassivateIdleEntityAfter);
    }

    [Fact]
    public void The_coordinators_state_is_kept_in_memory_never_in_files_a_later_cluster_would_recover()
    {
        var settings = ClusterSharding.Get(Sys).Settings;
        // Sharding's default is the local snapshot store: files in the working directory.
        Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(settings.SnapshotPluginId);
        Assert.Contains("MemorySnapshotStore", Sys.Settings.Config.GetString(settings.SnapshotPluginId + ".class"));
        Assert.Equal("akka.persistence.journal.inmem", settings.JournalPluginId);
    }
}
