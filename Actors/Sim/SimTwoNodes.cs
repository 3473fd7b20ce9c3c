using Akka.Actor;
using Akka.Configuration;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Interface;
using MptcpActors.Actors.Metrics;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Capture;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Sim;

/// <summary>One path between the two nodes: its name, each end's address on it, the prefix, and the link's behaviour.</summary>
public sealed record SimPath(string Name, IpAddressBytes LocalAddress, IpAddressBytes PeerAddress, int PrefixLength, LinkParameters Link);

/// <summary>One of a simulated host's links: its name, the host's address on it, the prefix, and the far end (the gateway).</summary>
public sealed record SimHostEnd(string Link, IpAddressBytes Own, int PrefixLength, IpAddressBytes Gateway);

/// <summary>
/// Two engine nodes, "local" and "peer", joined by simulated paths run in real time by a <see cref="SimNetworkActor"/>:
/// each node has one InterfaceActor per path and an MptcpManager over them. Each path is a router's link: the far
/// end's address on it is the gateway, and every interface takes segments for all of its node's addresses, so a
/// subflow from one path's address may go to any of the peer's addresses.
/// </summary>
public sealed class SimTwoNodes
{
    public SimTwoNodes(IActorRefFactory system, IReadOnlyList<SimPath> paths, MptcpSettings localSettings, MptcpSettings peerSettings,
        ulong seed = 1, PcapWriter? capture = null, MptcpMetrics? localMetrics = null, MptcpMetrics? peerMetrics = null, bool resolveNeighbors = false)
    {
        _resolveNeighbors = resolveNeighbors;
        Paths = paths;
        Network = new SimNetwork(seed);
        var macs = new Dictionary<IpAddressBytes, byte[]>();
        foreach (var p in paths)
        {
            var link = Network.Link(p.Name, "local", "peer", p.Link);
            if (capture is not null) new LinkCapture(capture).Attach(link);
            macs[p.LocalAddress] = Network.Host("local").Port(p.Name).MacAddress.ToArray();
            macs[p.PeerAddress] = Network.Host("peer").Port(p.Name).MacAddress.ToArray();
        }
        Sim = system.ActorOf(SimNetworkActor.Props(Network), $"sim-{Guid.NewGuid():N}");
        LocalRoutes = Node(system, "local", paths.Select(p => (p, p.LocalAddress, p.PeerAddress)).ToList(), localSettings, macs);
        PeerRoutes = Node(system, "peer", paths.Select(p => (p, p.PeerAddress, p.LocalAddress)).ToList(), peerSettings, macs);
        Local = system.ActorOf(MptcpManager.Props(localSettings, LocalRoutes, localMetrics), $"local-mptcp-{Guid.NewGuid():N}");
        Peer = system.ActorOf(MptcpManager.Props(peerSettings, PeerRoutes, peerMetrics), $"peer-mptcp-{Guid.NewGuid():N}");
    }

    /// <summary>
    /// An actor system for two simulated nodes inside a command or benchmark whose output is its own: Akka logs nothing
    /// (not to stdout either), dead letters included.
    /// </summary>
    public static Config QuietSystemConfig { get; } =
        ConfigurationFactory.ParseString("akka.loglevel = OFF\nakka.stdout-loglevel = OFF\nakka.log-dead-letters = off");

    private readonly bool _resolveNeighbors;

    public IReadOnlyList<SimPath> Paths { get; }
    /// <summary>The simulated network; only <see cref="Sim"/> may touch it once running (<see cref="SimNetworkActor.ChangeNetwork"/>).</summary>
    public SimNetwork Network { get; }
    public IActorRef Sim { get; }
    public IActorRef Local { get; }
    public IActorRef Peer { get; }
    public IReadOnlyList<InterfaceRoute> LocalRoutes { get; }
    public IReadOnlyList<InterfaceRoute> PeerRoutes { get; }

    private IReadOnlyList<InterfaceRoute> Node(IActorRefFactory system, string host, List<(SimPath Path, IpAddressBytes Own, IpAddressBytes Far)> ends,
        MptcpSettings settings, Dictionary<IpAddressBytes, byte[]> macs) =>
        SimHostInterfaces(system, Sim, host, ends.Select(e => new SimHostEnd(e.Path.Name, e.Own, e.Path.PrefixLength, e.Far)).ToList(), settings, macs,
            _resolveNeighbors);

    /// <summary>
    /// A simulated host's InterfaceActors, one per link it has on <paramref name="sim"/>'s network (port "host/link"):
    /// each link's far end is its gateway, and each interface takes segments for all of the host's addresses.
    /// </summary>
    public static IReadOnlyList<InterfaceRoute> SimHostInterfaces(IActorRefFactory system, IActorRef sim, string host, IReadOnlyList<SimHostEnd> ends,
        MptcpSettings settings, IReadOnlyDictionary<IpAddressBytes, byte[]> macs, bool resolveNeighbors = false)
    {
        var options = settings.TcpCoreOptions();
        var isn = IsnGenerator.CreateRandom();
        var addresses = ends.Select(e => e.Own).ToList();
        return ends.Select(e =>
        {
            var port = $"{host}/{e.Link}";
            var setup = new InterfaceSetup($"{host}-{e.Link}", new DeviceRef(sim, port), macs[e.Own], e.Own, e.PrefixLength,
                e.Gateway, options, isn, resolveNeighbors ? null : ip => macs.GetValueOrDefault(ip))
            {
                NodeAddresses = addresses.Where(a => a.Length == e.Own.Length).ToList(),
                DirectDevice = new SimPortDevice(sim, port),
            };
            var actor = system.ActorOf(InterfaceActor.Props(setup), $"{setup.Name}-{Guid.NewGuid():N}");
            // Named after its link, as the node knows it (the actor's name also carries the host's).
            return new InterfaceRoute(e.Link, e.Own, e.PrefixLength, true, actor);
        }).ToList();
    }
}
