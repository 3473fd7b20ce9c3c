using System.Net;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.TestKit.Xunit2;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Tests.Connection;
using MptcpActors.Transport.Sim;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Cluster.Tests;

/// <summary>
/// One MPTCP connection spread over two cluster nodes (<see cref="SimCluster"/>): its initial subflow and the
/// connection on node A, its join on node B; lookups through the shard region, data both ways, and node B lost.
/// </summary>
public class ClusterConnectionTests(Xunit.Abstractions.ITestOutputHelper output) : TestKit("akka.loglevel = INFO", output)
{
    private static readonly TimeSpan Wait = ClusterTransfer.Wait;
    private static readonly LinkParameters Link = new(RateBps: 20e6, Delay: TimeSpan.FromMilliseconds(5), QueueLimitPackets: 200);

    [Fact]
    public async Task A_join_on_a_non_owner_node_reaches_its_connection_and_data_flows_both_ways_across_nodes()
    {
        using var cluster = new SimCluster(Sys, Link);
        var up = TransferHandler.RandomBytes(12 << 20, 1);
        var down = TransferHandler.RandomBytes(12 << 20, 2);

        var (clientReport, serverReport) = ClusterTransfer.Start(this, cluster, up, down);
        var info = ClusterTransfer.AwaitServerConnection(this, cluster, ClusterTransfer.JoinedOnB);

        // The token's entry lives on A, beside its connection (token-affine key), and B's region finds it there.
        var shard = cluster.RegistryA.Shards.ShardOf(info.LocalToken);
        cluster.RegistryA.Region.Tell(GetShardRegionState.Instance, TestActor);
        var state = ExpectMsg<CurrentShardRegionState>(Wait);
        Assert.Contains(state.Shards, s => s.ShardId == shard);
        // Asked from B's own system: a reply crosses back by remoting only to an actor of a cluster node.
        var location = await cluster.RegistryB.Region.Ask<ConnectionLocation>(new TokenEnvelope(info.LocalToken, LookupConnection.Instance), Wait);
        Assert.Equal(SimCluster.AkkaCluster(cluster.A).SelfAddress, location.Connection!.Path.Address);
        var unknown = await cluster.RegistryB.Region.Ask<ConnectionLocation>(new TokenEnvelope(info.LocalToken ^ 1, LookupConnection.Instance), Wait);
        Assert.Null(unknown.Connection);

        var c = clientReport.ExpectMsg<TransferResult>(Wait);
        var s = serverReport.ExpectMsg<TransferResult>(Wait);
        ClusterTransfer.AssertIntact(up, s.Received);
        ClusterTransfer.AssertIntact(down, c.Received);
        var onB = Assert.Single(s.Finished!.Subflows, ClusterTransfer.OnB);
        Assert.True(onB.BytesReceived > 256 * 1024, $"the subflow on B received only {onB.BytesReceived} bytes");
        Assert.True(onB.BytesSent > 256 * 1024, $"the subflow on B sent only {onB.BytesSent} bytes");
        Assert.Equal(s.Finished.LocalToken, c.Finished!.RemoteToken);
    }

    [Fact]
    public void When_the_node_carrying_a_subflow_crashes_its_data_is_reinjected_and_the_transfer_completes_intact() =>
        // B dies without leaving: no coordinated shutdown, its path silent (a SIGKILLed machine sends nothing more).
        LoseNodeB("akka.coordinated-shutdown.run-by-actor-system-terminate = off", crash: true);

    [Fact]
    public void When_the_node_carrying_a_subflow_leaves_its_data_is_reinjected_and_the_transfer_completes_intact() =>
        // B leaves the cluster (coordinated shutdown): its subflow resets without MP_FASTCLOSE, the connection goes on.
        LoseNodeB("", crash: false);

    private void LoseNodeB(string nodeConfig, bool crash)
    {
        using var cluster = new SimCluster(Sys, Link, nodeConfig);
        var up = TransferHandler.RandomBytes(6 << 20, 3);
        var down = TransferHandler.RandomBytes(6 << 20, 4);

        var (clientReport, serverReport) = ClusterTransfer.Start(this, cluster, up, down);
        ClusterTransfer.AwaitServerConnection(this, cluster, i => ClusterTransfer.JoinedOnB(i) && i.BytesSent > 1 << 20);
        if (crash) cluster.Sim.Tell(new Actors.Sim.SimNetworkActor.ChangeNetwork(net => net.GetLink("p1").Blackhole()));
        cluster.B.Terminate();

        var c = clientReport.ExpectMsg<TransferResult>(Wait);
        var s = serverReport.ExpectMsg<TransferResult>(Wait);
        ClusterTransfer.AssertIntact(up, s.Received);
        ClusterTransfer.AssertIntact(down, c.Received);
        var onB = Assert.Single(s.Finished!.Subflows, ClusterTransfer.OnB);
        Assert.Equal(Actors.Tcp.TcpCloseReason.Aborted, onB.Reason);
        Assert.True(s.Finished.BytesReinjected > 0, "node A reinjected nothing of what B's subflow carried");
    }

    [Fact]
    public void When_the_owner_node_is_lost_its_connection_ends_with_mp_fastclose_from_the_surviving_node()
    {
        using var cluster = new SimCluster(Sys, Link, "akka.coordinated-shutdown.run-by-actor-system-terminate = off");
        var up = TransferHandler.RandomBytes(64 << 20, 5);

        var (clientReport, _) = ClusterTransfer.Start(this, cluster, up, []);
        ClusterTransfer.AwaitServerConnection(this, cluster, ClusterTransfer.JoinedOnB);
        var addressA = SimCluster.AkkaCluster(cluster.A).SelfAddress;
        cluster.Sim.Tell(new Actors.Sim.SimNetworkActor.ChangeNetwork(net => net.GetLink("p0").Blackhole()));
        cluster.A.Terminate();
        // The operator (or the split-brain resolver, after its stable-after) downs the lost owner.
        AwaitCondition(() => SimCluster.AkkaCluster(cluster.B).State.Unreachable.Any(m => m.Address.Equals(addressA)), Wait);
        SimCluster.AkkaCluster(cluster.B).Down(addressA);

        var c = clientReport.ExpectMsg<TransferResult>(Wait);
        var closed = Assert.IsType<TcpMsg.ErrorClosed>(c.Closed);
        Assert.Contains("MP_FASTCLOSE", closed.Cause);
    }
}
