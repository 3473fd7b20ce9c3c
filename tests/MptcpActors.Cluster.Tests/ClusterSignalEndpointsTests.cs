using System.Net;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.PathManagement;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Cluster.Tests;

/// <summary>
/// Cluster-wide signal endpoints between two nodes: the node's path manager (a probe here) gets the other node's
/// addresses with ids of its own, the other node gets this node's, and a node removed from the cluster takes its
/// addresses with it.
/// </summary>
public class ClusterSignalEndpointsTests() : TestKit(Config, ClusterOptions.SystemName)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    private static readonly Config Config = ConfigurationFactory.ParseString("akka.loglevel = INFO")
        .WithFallback(MptcpCluster.Config(new ClusterOptions("127.0.0.1", 0, [])));

    private static SignalAddress Address(string a, ushort? port = null) => new(IpAddressBytes.From(IPAddress.Parse(a)), port);

    [Fact]
    public void Another_nodes_signal_addresses_reach_the_path_manager_with_ids_this_node_does_not_use_until_that_node_is_removed()
    {
        var self = Akka.Cluster.Cluster.Get(Sys);
        self.Join(self.SelfAddress);
        AwaitCondition(() => self.SelfMember.Status == MemberStatus.Up, Wait);
        var manager = CreateTestProbe();
        var shared = Sys.ActorOf(ClusterSignalEndpoints.Props(manager), ClusterSignalEndpoints.Name);
        // Registration with the path manager, which answers with the node's own table: a signal endpoint with id 255.
        manager.ExpectMsg<ServiceEndpoints>(e => e.Endpoints.Count == 0, Wait);
        shared.Tell(new EndpointsChanged([new EndpointSettings(IPAddress.Parse("10.9.0.2"), null, 255, null, EndpointFlags.Signal),
            new EndpointSettings(IPAddress.Parse("10.9.0.3"), null, 1, null, EndpointFlags.Subflow)], new PathManagerLimits(2, 2), new HashSet<string>()), manager);

        var other = Akka.Actor.ActorSystem.Create(ClusterOptions.SystemName, Config);
        try
        {
            Akka.Cluster.Cluster.Get(other).Join(self.SelfAddress);
            AwaitCondition(() => self.State.Members.Count(m => m.Status == MemberStatus.Up) == 2, Wait);
            var otherNode = CreateTestProbe(other);
            other.ActorSelection(new RootActorPath(self.SelfAddress) / "user" / ClusterSignalEndpoints.Name)
                .Tell(new NodeSignalEndpoints([Address("10.9.1.2"), Address("10.9.1.2", 6000)]), otherNode.Ref);

            // The other node hears this node's signal addresses (not its subflow-only endpoint)...
            otherNode.FishForMessage<NodeSignalEndpoints>(n => n.Addresses.SequenceEqual([Address("10.9.0.2")]), Wait);
            // ...and this node's path manager the other node's, with ids from 255 down, skipping this node's own.
            var view = manager.FishForMessage<ServiceEndpoints>(e => e.Endpoints.Count == 2, Wait);
            Assert.Equal([(254, "10.9.1.2", (int?)null), (253, "10.9.1.2", 6000)],
                view.Endpoints.Select(e => (e.Id, e.Address.ToString(), e.Port)).ToList());
            Assert.All(view.Endpoints, e => Assert.Equal(EndpointFlags.Signal, e.Flags));

            // Removed from the cluster: its addresses are withdrawn.
            Akka.Cluster.Cluster.Get(other).Leave(Akka.Cluster.Cluster.Get(other).SelfAddress);
            manager.FishForMessage<ServiceEndpoints>(e => e.Endpoints.Count == 0, Wait);
        }
        finally
        {
            Shutdown(other, Wait);
        }
    }
}
