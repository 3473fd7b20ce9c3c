using System.Net;
using Akka.Actor;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Interface;
using MptcpActors.Actors.Sim;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Tests.Connection;

/// <summary>
/// Two engine nodes joined by N simulated paths (path i: 10.7.i.1 client, 10.7.i.2 server), run in real time by a
/// SimNetworkActor; each node has one interface per path and an MptcpManager configured from HOCON.
/// </summary>
public sealed class SimMptcpNodes
{
    public SimMptcpNodes(ActorSystem system, string clientConfig, string serverConfig, params LinkParameters[] paths)
    {
        Net = new SimNetwork(11);
        var sim = Sim = system.ActorOf(SimNetworkActor.Props(Net), $"sim-{Guid.NewGuid():N}");
        var options = new TcpCoreOptions { TimeWaitNs = 100_000_000 };
        var clientRoutes = new List<InterfaceRoute>();
        var serverRoutes = new List<InterfaceRoute>();
        var macs = new Dictionary<IpAddressBytes, byte[]>();
        for (var i = 0; i < paths.Length; i++)
        {
            var name = $"p{i}";
            Net.Link(name, "client", "server", paths[i]);
            macs[IpAddressBytes.From(ClientIp(i))] = Net.Host("client").Port(name).MacAddress.ToArray();
            macs[IpAddressBytes.From(ServerIp(i))] = Net.Host("server").Port(name).MacAddress.ToArray();
        }
        var clientAddresses = Enumerable.Range(0, paths.Length).Select(i => IpAddressBytes.From(ClientIp(i))).ToList();
        var serverAddresses = Enumerable.Range(0, paths.Length).Select(i => IpAddressBytes.From(ServerIp(i))).ToList();
        for (var i = 0; i < paths.Length; i++)
        {
            // Each path is a router's link: the far side's address on it is the gateway, so a subflow from path i's
            // address may go to any of the peer's addresses (the peer takes segments for all of its addresses).
            var name = $"p{i}";
            clientRoutes.Add(Interface(system, sim, "client", name, ClientIp(i), ServerIp(i), clientAddresses, options, macs));
            serverRoutes.Add(Interface(system, sim, "server", name, ServerIp(i), ClientIp(i), serverAddresses, options, macs));
        }
        Client = system.ActorOf(MptcpManager.Props(Settings(clientConfig), clientRoutes), $"client-mptcp-{Guid.NewGuid():N}");
        Server = system.ActorOf(MptcpManager.Props(Settings(serverConfig), serverRoutes), $"server-mptcp-{Guid.NewGuid():N}");
    }

    public static IPAddress ClientIp(int path) => IPAddress.Parse($"10.7.{path}.1");
    public static IPAddress ServerIp(int path) => IPAddress.Parse($"10.7.{path}.2");

    public SimNetwork Net { get; }
    /// <summary>The actor that owns <see cref="Net"/>: change links through it (<see cref="SimNetworkActor.ChangeNetwork"/>).</summary>
    public IActorRef Sim { get; }
    public IActorRef Client { get; }
    public IActorRef Server { get; }

    private static MptcpSettings Settings(string hocon) => MptcpSettings.Create(MptcpConfig.WithFallback(Akka.Configuration.ConfigurationFactory.ParseString(hocon)));

    private static InterfaceRoute Interface(ActorSystem system, IActorRef sim, string host, string link, IPAddress address, IPAddress gateway,
        List<IpAddressBytes> nodeAddresses, TcpCoreOptions options, Dictionary<IpAddressBytes, byte[]> macs)
    {
        var mac = macs[IpAddressBytes.From(address)];
        var setup = new InterfaceSetup($"{host}-{link}", new DeviceRef(sim, $"{host}/{link}"), mac, IpAddressBytes.From(address), 24,
            IpAddressBytes.From(gateway), options, IsnGenerator.CreateRandom(), ip => macs.GetValueOrDefault(ip)) { NodeAddresses = nodeAddresses };
        var actor = system.ActorOf(InterfaceActor.Props(setup), $"{host}-{link}-{Guid.NewGuid():N}");
        return new InterfaceRoute(setup.Name, setup.Address, 24, true, actor);
    }
}
