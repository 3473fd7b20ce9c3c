using System.Net;
using Akka.Actor;
using MptcpActors.Actors.Interface;
using MptcpActors.Actors.Sim;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Tests.Subflow;

/// <summary>Two hosts, one simulated link run in real time by a SimNetworkActor, an InterfaceActor on each end.</summary>
public sealed class SimActors
{
    public static readonly IPAddress ClientIp = IPAddress.Parse("10.9.0.1");
    public static readonly IPAddress ServerIp = IPAddress.Parse("10.9.0.2");

    /// <param name="staticNeighbors">false: the interfaces resolve each other with ARP over the simulated link.</param>
    public SimActors(ActorSystem system, LinkParameters? link = null, TcpCoreOptions? options = null, bool staticNeighbors = true)
    {
        Net = new SimNetwork(7);
        Net.Link("path", "client", "server", link ?? new LinkParameters(RateBps: 100e6, Delay: TimeSpan.FromMilliseconds(2), QueueLimitPackets: 1000));
        var sim = system.ActorOf(SimNetworkActor.Props(Net), $"sim-{Guid.NewGuid():N}");
        var clientMac = Net.Host("client").Port("path").MacAddress.ToArray();
        var serverMac = Net.Host("server").Port("path").MacAddress.ToArray();
        var o = options ?? new TcpCoreOptions { TimeWaitNs = 100_000_000 };
        Func<IpAddressBytes, byte[]?>? StaticNeighbor = staticNeighbors ? ip => ip == IpAddressBytes.From(ServerIp) ? serverMac : clientMac : null;
        Client = system.ActorOf(InterfaceActor.Props(new InterfaceSetup("client", new DeviceRef(sim, "client/path"), clientMac,
            IpAddressBytes.From(ClientIp), 24, null, o, IsnGenerator.CreateRandom(), StaticNeighbor)));
        Server = system.ActorOf(InterfaceActor.Props(new InterfaceSetup("server", new DeviceRef(sim, "server/path"), serverMac,
            IpAddressBytes.From(ServerIp), 24, null, o, IsnGenerator.CreateRandom(), StaticNeighbor)));
    }

    public SimNetwork Net { get; }
    public IActorRef Client { get; }
    public IActorRef Server { get; }
}

/// <summary>Sends back whatever it receives; closes when the peer does.</summary>
public sealed class EchoHandler : ReceiveActor
{
    public EchoHandler()
    {
        Receive<Akka.IO.Tcp.Connected>(_ => Sender.Tell(new Akka.IO.Tcp.Register(Self)));
        Receive<Akka.IO.Tcp.Received>(r => Sender.Tell(Akka.IO.Tcp.Write.Create(r.Data)));
        Receive<Akka.IO.Tcp.ConnectionClosed>(_ => { });
    }
}
