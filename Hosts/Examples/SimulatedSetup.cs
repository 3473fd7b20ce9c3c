using System.Net;
using Akka.Actor;
using Akka.Configuration;
using MptcpActors.Actors.Embedding;
using MptcpActors.Actors.Streams;

namespace MptcpActors.Examples;

/// <summary>
/// What the examples run on without root: two simulated paths (Wi-Fi-like and LTE-like) to a second engine node, the
/// simulated peer at their gateways, which echoes; the client opens a second subflow from its LTE address.
/// </summary>
public static class SimulatedSetup
{
    public const int EchoPort = 5000;

    public static readonly IPEndPoint Server = new(IPAddress.Parse("10.0.1.2"), EchoPort);

    public static Config Config => ConfigurationFactory.ParseString("""
        mptcp.interfaces = [
          { name = wifi, address = 10.0.1.1/24, gateway = 10.0.1.2, transport = sim }
          { name = lte,  address = 10.0.2.1/24, gateway = 10.0.2.2, transport = sim }
        ]
        mptcp.path-manager.endpoints = [ { address = 10.0.2.1, flags = [subflow] } ]
        """);

    /// <summary>The simulated peer node echoes on <see cref="EchoPort"/> (it is an engine node like ours: same APIs).</summary>
    public static Task StartEcho(ActorSystem system) =>
        StreamsExample.Echo(new MptcpStreams(Mptcp.Get(system).SimulatedPeer
            ?? throw new InvalidOperationException("no simulated peer: the interfaces are not transport = sim")), system, EchoPort);
}
