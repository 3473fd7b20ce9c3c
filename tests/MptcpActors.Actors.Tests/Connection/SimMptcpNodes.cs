using System.Net;
using Akka.Actor;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Sim;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Tests.Connection;

/// <summary>
/// Two engine nodes joined by N simulated paths (path i: 10.7.i.1 client, 10.7.i.2 server, named "p{i}"), each
/// configured from HOCON: the engine's <see cref="SimTwoNodes"/> with the client as its local node.
/// </summary>
public sealed class SimMptcpNodes
{
    private readonly SimTwoNodes _nodes;

    public SimMptcpNodes(ActorSystem system, string clientConfig, string serverConfig, params LinkParameters[] paths)
    {
        var simPaths = paths.Select((link, i) =>
            new SimPath($"p{i}", IpAddressBytes.From(ClientIp(i)), IpAddressBytes.From(ServerIp(i)), 24, link)).ToList();
        _nodes = new SimTwoNodes(system, simPaths, MptcpSettings.FromHocon(clientConfig), MptcpSettings.FromHocon(serverConfig), seed: 11);
    }

    /// <summary>A clean path: 50 Mbit/s, 5 ms each way, 200 packets of queue.</summary>
    public static LinkParameters FastPath { get; } = new(RateBps: 50e6, Delay: TimeSpan.FromMilliseconds(5), QueueLimitPackets: 200);

    public static IPAddress ClientIp(int path) => IPAddress.Parse($"10.7.{path}.1");
    public static IPAddress ServerIp(int path) => IPAddress.Parse($"10.7.{path}.2");

    public SimNetwork Net => _nodes.Network;
    /// <summary>The actor that owns <see cref="Net"/>: change links through it (<see cref="SimNetworkActor.ChangeNetwork"/>).</summary>
    public IActorRef Sim => _nodes.Sim;
    public IActorRef Client => _nodes.Local;
    public IActorRef Server => _nodes.Peer;
}
