using System.Net;
using Akka.Actor;
using Akka.Configuration;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Metrics;
using MptcpActors.Actors.Embedding;
using MptcpActors.Actors.Sim;
using MptcpActors.Transport.Capture;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Cli.Netcat;

/// <summary>
/// <c>--sim</c> for listen and connect: the engine runs on the embedded simulated network (in real time, no root, no
/// interfaces) against a second engine node, the peer, which sends back whatever it receives. Each --iface
/// NAME=ADDR/PREFIX is a path whose far end (the peer) has the gateway address, or the next address of the subnet;
/// without --iface there are two: "wifi" (10.0.1.1 ↔ 10.0.1.2, 50 Mbit/s, 10 ms) and "lte" (10.0.2.1 ↔ 10.0.2.2,
/// 20 Mbit/s, 30 ms).
/// </summary>
public static class SimulatedNetwork
{
    public static IReadOnlyList<InterfaceSpec> DefaultPaths { get; } =
    [
        InterfaceSpec.Parse("wifi=10.0.1.1/24,gw=10.0.1.2"),
        InterfaceSpec.Parse("lte=10.0.2.1/24,gw=10.0.2.2"),
    ];

    private static readonly LinkParameters Wifi = new(RateBps: 50e6, Delay: TimeSpan.FromMilliseconds(5), QueueLimitPackets: 200);
    private static readonly LinkParameters Lte = new(RateBps: 20e6, Delay: TimeSpan.FromMilliseconds(15), QueueLimitPackets: 200);

    /// <summary>The peer's address on a path: the gateway if given, else the next address of the subnet.</summary>
    public static IPAddress PeerAddress(InterfaceSpec spec) => MptcpExt.SimulatedPeerAddress(spec.Address, spec.Gateway);

    /// <summary>The engine (local node) and its echoing peer on the simulated paths; --pcap captures every link.</summary>
    public static Engine Start(IReadOnlyList<InterfaceSpec> specs, MptcpSettings settings, Config config, string? pcap)
    {
        var system = ActorSystem.Create("mptcp", config);
        var writer = pcap is null ? null : PcapWriter.Create(pcap);
        if (writer is not null) system.RegisterOnTermination(writer.Dispose);
        var paths = specs.Select((s, i) => new SimPath(s.Name, s.AddressBytes, IpAddressBytes.From(PeerAddress(s)), s.PrefixLength, i == 0 ? Wifi : Lte)).ToList();
        // Each node counts on its own meter: what `mptcp info` lists is the local node's, not the peer's as well.
        var local = new MptcpMetrics();
        var peer = new MptcpMetrics();
        system.RegisterOnTermination(() =>
        {
            local.Dispose();
            peer.Dispose();
        });
        var nodes = new SimTwoNodes(system, paths, settings, MptcpExt.SimulatedPeerSettings(settings), capture: writer, localMetrics: local, peerMetrics: peer);
        return new Engine(system, nodes.LocalRoutes, nodes.Local, local) { SimPeer = nodes.Peer };
    }

    /// <summary>The peer's side of <c>connect --sim</c>: it listens on the port and echoes.</summary>
    public static void PeerListens(Engine engine, int port)
    {
        var listener = engine.System.ActorOf(Props.Create(() => new EchoListener()));
        engine.SimPeer!.Ask(new TcpMsg.Bind(listener, new IPEndPoint(IPAddress.Any, port)), TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
    }

    /// <summary>The peer's side of <c>listen --sim</c>: it connects to the local node's first address and echoes.</summary>
    public static void PeerConnects(Engine engine, int port)
    {
        var echo = engine.System.ActorOf(Props.Create(() => new ConnectionHandler(ActorRefs.Nobody, true, null, null)));
        engine.SimPeer!.Tell(new TcpMsg.Connect(new IPEndPoint(engine.Routes[0].Address.ToIPAddress(), port)), echo);
    }

    private sealed class EchoListener : ReceiveActor
    {
        public EchoListener() => Receive<TcpMsg.Connected>(c =>
            Context.ActorOf(Props.Create(() => new ConnectionHandler(ActorRefs.Nobody, true, null, null))).Forward(c));
    }
}
