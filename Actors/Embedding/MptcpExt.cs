using System.Net;
using Akka.Actor;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Interface;
using MptcpActors.Actors.Metrics;
using MptcpActors.Actors.Sim;
using MptcpActors.Actors.Stack;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Devices.Linux;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Embedding;

/// <summary>
/// One engine node in an actor system, started from its <c>mptcp</c> configuration: an interface actor per entry of
/// <c>mptcp.interfaces</c> and the <see cref="MptcpManager"/> over them, which takes Akka.IO's Connect / Bind / Unbind
/// like <c>Tcp.Get(system).Manager</c>. Interfaces are all <c>raw</c> (AF_PACKET sockets on Linux interfaces the
/// kernel has no address on, root) or all <c>sim</c>: the embedded simulated network, one path per interface to a
/// second engine node, <see cref="SimulatedPeer"/>, at the interface's gateway (or the next address of its subnet).
/// The node stops with the system: connections are aborted (MP_FASTCLOSE) in CoordinatedShutdown's service-stop
/// phase, then the devices close.
/// </summary>
public sealed class MptcpExt : IExtension
{
    /// <summary>A simulated path unless <see cref="MptcpSetup.SimulatedLink"/> says otherwise: 50 Mbit/s, 5 ms each way.</summary>
    public static readonly LinkParameters DefaultSimulatedLink = new(RateBps: 50e6, Delay: TimeSpan.FromMilliseconds(5), QueueLimitPackets: 200);

    public MptcpExt(ExtendedActorSystem system)
    {
        Settings = MptcpSettings.Create(system);
        var setup = system.Settings.Setup.Get<MptcpSetup>().GetOrElse(new MptcpSetup());
        var transport = CommonTransport(Settings);
        Metrics = new MptcpMetrics();
        system.RegisterOnTermination(Metrics.Dispose);
        switch (transport)
        {
            case InterfaceTransport.Sim:
                var nodes = new SimTwoNodes(system, Settings.Interfaces.Select(i => SimulatedPath(i, setup)).ToList(), Settings, SimulatedPeerSettings(Settings),
                    localMetrics: Metrics);
                Interfaces = nodes.LocalRoutes;
                Manager = nodes.Local;
                SimulatedPeer = nodes.Peer;
                SimulatedNetwork = nodes.Sim;
                break;
            case InterfaceTransport.Raw:
                Interfaces = RawInterfaces(system, Settings, setup.OpenDevice ?? Settings.RawSocket.Open);
                Manager = system.SystemActorOf(MptcpManager.Props(Settings, Interfaces, Metrics, setup.TokenRegistry?.Invoke(system)), "mptcp");
                break;
            default:
                Interfaces = [];
                Manager = system.SystemActorOf(MptcpManager.Props(Settings, Interfaces, Metrics, setup.TokenRegistry?.Invoke(system)), "mptcp");
                break;
        }
        Streams = new Streams.MptcpStreams(Manager);
    }

    /// <summary>The node's configuration, validated.</summary>
    public MptcpSettings Settings { get; }

    /// <summary>Where Connect, Bind and Unbind go (Akka.IO's TCP manager protocol; the replies are Akka.IO's too).</summary>
    public IActorRef Manager { get; }

    /// <summary>The node's interfaces in configuration order.</summary>
    public IReadOnlyList<InterfaceRoute> Interfaces { get; }

    /// <summary>This node's counters and gauges (meter <see cref="MptcpMetrics.MeterName"/>).</summary>
    public MptcpMetrics Metrics { get; }

    /// <summary>With <c>sim</c> interfaces: the manager of the engine node at the far end of every simulated path.</summary>
    public IActorRef? SimulatedPeer { get; }

    /// <summary>With <c>sim</c> interfaces: the actor that runs the simulated network (<see cref="SimNetworkActor.ChangeNetwork"/> changes it).</summary>
    public IActorRef? SimulatedNetwork { get; }

    /// <summary>Akka.Streams over this node: outgoing connection flows and a source of incoming connections.</summary>
    public Streams.MptcpStreams Streams { get; }

    /// <summary>The address the simulated peer has on a path: the interface's gateway, else the next address of its subnet.</summary>
    public static IPAddress SimulatedPeerAddress(IPAddress address, IPAddress? gateway)
    {
        if (gateway is not null) return gateway;
        var b = address.GetAddressBytes();
        for (var k = b.Length - 1; k >= 0 && ++b[k] == 0; k--) { }
        return new IPAddress(b);
    }

    private static SimPath SimulatedPath(InterfaceSettings i, MptcpSetup setup) =>
        new(i.Name, IpAddressBytes.From(i.Address.Address), IpAddressBytes.From(SimulatedPeerAddress(i.Address.Address, i.Gateway)), i.Address.PrefixLength,
            setup.SimulatedLink?.Invoke(i) ?? DefaultSimulatedLink);

    /// <summary>The simulated peer takes every join and follows every announcement, so this node's own policy decides what happens.</summary>
    public static MptcpSettings SimulatedPeerSettings(MptcpSettings s) =>
        s with { PathManager = s.PathManager with { Limits = new PathManagerLimits(8, 8), Endpoints = [] } };

    /// <summary>One backend for all interfaces; endpoints only on addresses the node owns (else they would silently do nothing).</summary>
    private static InterfaceTransport? CommonTransport(MptcpSettings s)
    {
        var errors = new List<MptcpConfigurationError>();
        for (var i = 0; i < s.Interfaces.Count; i++)
        {
            var t = s.Interfaces[i].Transport;
            if (t == InterfaceTransport.Tun)
                errors.Add(new($"mptcp.interfaces[{i}].transport", "tun is not supported by the engine yet (raw or sim)"));
            else if (t != s.Interfaces[0].Transport)
                errors.Add(new($"mptcp.interfaces[{i}].transport", $"{SettingNames.InterfaceTransports.NameOf(t)} differs from mptcp.interfaces[0]'s; one node uses one backend"));
        }
        if (s.Interfaces.Count > 0)
            for (var i = 0; i < s.PathManager.Endpoints.Count; i++)
                if (!s.Interfaces.Any(f => f.Address.Address.Equals(s.PathManager.Endpoints[i].Address)))
                    errors.Add(new($"mptcp.path-manager.endpoints[{i}].address", $"{s.PathManager.Endpoints[i].Address} is not the address of any of mptcp.interfaces"));
        if (errors.Count > 0) throw new MptcpConfigurationException(errors);
        return s.Interfaces.Count == 0 ? null : s.Interfaces[0].Transport;
    }

    private static IReadOnlyList<InterfaceRoute> RawInterfaces(ExtendedActorSystem system, MptcpSettings settings, Func<string, IFrameDevice> open)
    {
        var present = LinuxInterfaces.List().ToDictionary(l => l.Name);
        var missing = settings.Interfaces.Select((iface, k) => (iface, k)).Where(x => !present.ContainsKey(x.iface.Name))
            .Select(x => new MptcpConfigurationError($"mptcp.interfaces[{x.k}].name", $"no network interface named '{x.iface.Name}' on this host")).ToList();
        if (missing.Count > 0) throw new MptcpConfigurationException(missing);
        var devices = new Dictionary<string, IFrameDevice>();
        try
        {
            foreach (var i in settings.Interfaces) devices[i.Name] = open(i.Name);
        }
        catch
        {
            foreach (var d in devices.Values) (d as IDisposable)?.Dispose();
            throw;
        }
        var deviceActor = system.SystemActorOf(DeviceActor.Props(devices), "mptcp-devices");
        var raw = settings.Interfaces.Select(i => new RawInterface(i.Name, IpAddressBytes.From(i.Address.Address), i.Address.PrefixLength,
            i.Gateway is { } gw ? IpAddressBytes.From(gw) : null, present[i.Name].HardwareAddress.GetAddressBytes(), devices[i.Name])).ToList();
        return RawInterface.Start(raw, settings.TcpCoreOptions(), deviceActor, (props, name) => system.SystemActorOf(props, $"mptcp-{name}"));
    }
}
