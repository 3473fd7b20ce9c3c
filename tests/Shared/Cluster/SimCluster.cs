using System.Net;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Sim;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Cluster.Tests;

/// <summary>
/// A two-node MPTCP service and a client on one simulated network: the client ("client", engine node in the caller's
/// own system) has path p0 (10.9.0.1) to node A (10.9.0.2) and path p1 (10.9.1.1) to node B (10.9.1.2). A and B are
/// separate ActorSystems forming an Akka.Cluster over loopback remoting (ports 0), each with its interface, its
/// MptcpManager over the sharded token registry, and the same listening port. B's address is a signal endpoint of B
/// alone; A announces it all the same (cluster-wide signal endpoints), so the client's join lands on B while the
/// connection lives on A.
/// With <c>oneNode</c> path p1 ends at node A as well (A holds both addresses and signals B's) and B is a member
/// carrying no path: the same connection with both subflows on its owner, the baseline of the cluster benchmark.
/// No test framework in here: the cluster tests and Hosts/Benchmarks both build on it.
/// </summary>
public sealed class SimCluster : IDisposable
{
    public static readonly IPAddress ClientA = IPAddress.Parse("10.9.0.1");
    public static readonly IPAddress AddressA = IPAddress.Parse("10.9.0.2");
    public static readonly IPAddress ClientB = IPAddress.Parse("10.9.1.1");
    public static readonly IPAddress AddressB = IPAddress.Parse("10.9.1.2");

    private const string Service = "mptcp.path-manager.limits { subflows = 2 }";

    private const string ServiceSignallingB = """
        mptcp.path-manager {
          limits { subflows = 2 }
          endpoints = [ { address = 10.9.1.2, flags = [signal] } ]
        }
        """;

    private const string Client = "mptcp.path-manager.limits { subflows = 2, add-addr-accepted = 2 }";

    public SimCluster(ActorSystem clientSystem, LinkParameters link, string nodeConfig = "", bool oneNode = false, ClusterTls? tls = null)
    {
        _clientSystem = clientSystem;
        _oneNode = oneNode;
        var hostB = oneNode ? "a" : "b";
        Network = new SimNetwork(7);
        Network.Link("p0", "client", "a", link);
        Network.Link("p1", "client", hostB, link);
        _macs = new Dictionary<IpAddressBytes, byte[]>
        {
            [Ip(ClientA)] = Network.Host("client").Port("p0").MacAddress.ToArray(),
            [Ip(AddressA)] = Network.Host("a").Port("p0").MacAddress.ToArray(),
            [Ip(ClientB)] = Network.Host("client").Port("p1").MacAddress.ToArray(),
            [Ip(AddressB)] = Network.Host(hostB).Port("p1").MacAddress.ToArray(),
        };
        Sim = clientSystem.ActorOf(SimNetworkActor.Props(Network), "sim");
        var clientRoutes = SimTwoNodes.SimHostInterfaces(clientSystem, Sim, "client",
            [new SimHostEnd("p0", Ip(ClientA), 24, Ip(AddressA)), new SimHostEnd("p1", Ip(ClientB), 24, Ip(AddressB))], Settings(Client), _macs);
        ClientManager = clientSystem.ActorOf(MptcpManager.Props(Settings(Client), clientRoutes), "client-mptcp");

        // The caller's node configuration last, so it may override the log level as well.
        _config = ConfigurationFactory.ParseString("akka.loglevel = INFO\n" + nodeConfig);
        _tls = tls;
        A = Node(0);
        AkkaCluster(A).Join(AkkaCluster(A).SelfAddress);
        AwaitUp(A, 1);
        RegistryA = MptcpCluster.StartAsync(A).GetAwaiter().GetResult();
        var serviceA = oneNode ? ServiceSignallingB : Service;
        SimHostEnd[] endsA = oneNode
            ? [new SimHostEnd("p0", Ip(AddressA), 24, Ip(ClientA)), new SimHostEnd("p1", Ip(AddressB), 24, Ip(ClientB))]
            : [new SimHostEnd("p0", Ip(AddressA), 24, Ip(ClientA))];
        ManagerA = A.ActorOf(MptcpManager.Props(Settings(serviceA), SimTwoNodes.SimHostInterfaces(A, Sim, "a", endsA, Settings(serviceA), _macs),
            registry: RegistryA), "mptcp");
        MptcpCluster.ShareSignalEndpoints(A, ManagerA);
        (B, RegistryB, ManagerB) = StartB(0);
    }

    private readonly ActorSystem _clientSystem;
    private readonly bool _oneNode;
    private readonly Dictionary<IpAddressBytes, byte[]> _macs;
    private readonly Config _config;
    private readonly ClusterTls? _tls;

    /// <summary>A cluster node's actor system on loopback remoting (<paramref name="port"/> 0: any), its log in the client system's.</summary>
    private ActorSystem Node(int port)
    {
        var options = new ClusterOptions("127.0.0.1", port, []) { Tls = _tls };
        var node = ActorSystem.Create(ClusterOptions.SystemName, MptcpCluster.SystemSetup(options, _config.WithFallback(MptcpCluster.Config(options))));
        var logger = node.ActorOf(Props.Create(() => new LogToCaller(_clientSystem)));
        node.EventStream.Subscribe(logger, typeof(Akka.Event.LogEvent));
        return node;
    }

    /// <summary>Node B joined to A, its registry and its manager (with path p1 unless one-node).</summary>
    private (ActorSystem, ShardedTokenRegistry, IActorRef) StartB(int port)
    {
        var b = Node(port);
        AkkaCluster(b).Join(AkkaCluster(A).SelfAddress);
        AwaitUp(b, 2);
        AwaitUp(A, 2);
        var registry = MptcpCluster.StartAsync(b).GetAwaiter().GetResult();
        SimHostEnd[] endsB = _oneNode ? [] : [new SimHostEnd("p1", Ip(AddressB), 24, Ip(ClientB))];
        var manager = b.ActorOf(MptcpManager.Props(Settings(ServiceSignallingB), SimTwoNodes.SimHostInterfaces(b, Sim, "b", endsB,
            Settings(ServiceSignallingB), _macs), registry: registry), "mptcp");
        MptcpCluster.ShareSignalEndpoints(b, manager);
        return (b, registry, manager);
    }

    /// <summary>Waits until <paramref name="node"/> sees <paramref name="count"/> members Up (and no other member), 60 s at most.</summary>
    public static void AwaitUp(ActorSystem node, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (AkkaCluster(node).State.Members.Count(m => m.Status == MemberStatus.Up) != count || AkkaCluster(node).State.Members.Count != count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{AkkaCluster(node).SelfAddress} did not see {count} members Up within 60 s: {string.Join(", ", AkkaCluster(node).State.Members)}");
            Thread.Sleep(100);
        }
    }

    /// <summary>
    /// Node B comes back after a crash (its system stopped without leaving): a new incarnation on the same address
    /// joins A (which removes the old one first), with its own registry and manager on path p1.
    /// </summary>
    public void RestartB()
    {
        var port = AkkaCluster(B).SelfAddress.Port!.Value;
        if (!B.WhenTerminated.IsCompleted) B.Terminate().Wait(TimeSpan.FromSeconds(30));
        Sim.Tell(new SimNetworkActor.ChangeNetwork(net => net.Host("b").Port("p1").Detach()));
        (B, RegistryB, ManagerB) = StartB(port);
    }

    /// <summary>A node's log events into the caller's log (a test's output shows them beside the client's).</summary>
    private sealed class LogToCaller : ReceiveActor
    {
        public LogToCaller(ActorSystem caller) =>
            Receive<Akka.Event.LogEvent>(e => caller.EventStream.Publish(e));
    }

    public SimNetwork Network { get; }
    public IActorRef Sim { get; }
    public IActorRef ClientManager { get; }
    public ActorSystem A { get; }
    public ActorSystem B { get; private set; }
    public ShardedTokenRegistry RegistryA { get; }
    public ShardedTokenRegistry RegistryB { get; private set; }
    public IActorRef ManagerA { get; }
    public IActorRef ManagerB { get; private set; }

    public static Akka.Cluster.Cluster AkkaCluster(ActorSystem system) => Akka.Cluster.Cluster.Get(system);

    /// <summary>The connections of a node's manager, asked for their <see cref="ConnectionInfo"/>.</summary>
    public static ActorSelection Connections(ActorSystem node, IActorRef manager) => node.ActorSelection(manager.Path.Child("connection-*"));

    private static IpAddressBytes Ip(IPAddress a) => IpAddressBytes.From(a);

    private static MptcpSettings Settings(string hocon) => MptcpSettings.Create(MptcpConfig.WithFallback(ConfigurationFactory.ParseString(hocon)));

    public void Dispose()
    {
        foreach (var node in new[] { A, B })
            if (!node.WhenTerminated.IsCompleted) node.Terminate().Wait(TimeSpan.FromSeconds(30));
    }
}
