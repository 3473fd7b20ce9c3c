using System.Net;
using Akka.Actor;
using Akka.Configuration;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Metrics;
using MptcpActors.Actors.Interface;
using MptcpActors.Transport.Capture;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Sim;

namespace MptcpActors.Cli.Netcat;

/// <summary>
/// The engine as the command runs it: an actor system, one device actor, one interface actor per --iface, and the node's
/// MptcpManager over all of them (connections and listeners go through it; with mptcp.enabled = off it hands them to
/// the interfaces as plain TCP).
/// </summary>
public sealed class Engine : IDisposable
{
    internal Engine(ActorSystem system, IReadOnlyList<InterfaceRoute> routes, IActorRef manager, MptcpMetrics metrics)
    {
        System = system;
        Routes = routes;
        Manager = manager;
        Metrics = metrics;
    }

    /// <summary>This node's counters (its own meter: a --sim peer's are kept apart), what <c>mptcp info</c> lists.</summary>
    public MptcpMetrics Metrics { get; }

    public ActorSystem System { get; }

    /// <summary>The interfaces in --iface order, as the manager routes over them.</summary>
    public IReadOnlyList<InterfaceRoute> Routes { get; }

    /// <summary>Where Connect and Bind go (Akka.IO's TCP manager protocol).</summary>
    public IActorRef Manager { get; }

    /// <summary>With --sim: the MptcpManager of the simulated peer node (see <see cref="SimulatedNetwork"/>).</summary>
    public IActorRef? SimPeer { get; init; }

    /// <summary>
    /// The engine on raw sockets; with <paramref name="cluster"/> as one node of a service: the system joins the
    /// cluster (itself when no seed is named) and its connections' tokens go to the cluster's shard region.
    /// </summary>
    public static Engine Start(IReadOnlyList<InterfaceSpec> specs, MptcpSettings settings, Config config, string? pcap, Func<string, IFrameDevice> open,
        Cluster.ClusterOptions? cluster = null)
    {
        var system = cluster is null
            ? ActorSystem.Create(Cluster.ClusterOptions.SystemName, config)
            : ActorSystem.Create(Cluster.ClusterOptions.SystemName, Cluster.MptcpCluster.SystemSetup(cluster, Cluster.MptcpCluster.Config(cluster).WithFallback(config)));
        var devices = new Dictionary<string, IFrameDevice>();
        PcapWriter? writer = pcap is null ? null : PcapWriter.Create(pcap);
        try
        {
            foreach (var s in specs)
            {
                var device = open(s.Name);
                devices[s.Name] = writer is null ? device : new PcapTap(device, writer, SystemDeviceClock.Instance);
            }
        }
        catch
        {
            foreach (var d in devices.Values) (d as IDisposable)?.Dispose();
            writer?.Dispose();
            system.Terminate().Wait(TimeSpan.FromSeconds(5));
            throw;
        }
        var deviceActor = system.ActorOf(DeviceActor.Props(devices), "devices");
        if (writer is not null) system.RegisterOnTermination(writer.Dispose);
        var raw = specs.Select(s => new RawInterface(s.Name, s.AddressBytes, s.PrefixLength, s.GatewayBytes, LinuxInterface.Mac(s.Name), devices[s.Name])).ToList();
        var routes = RawInterface.Start(raw, settings.TcpCoreOptions(), deviceActor, (props, name) => system.ActorOf(props, name));
        ITokenRegistry? registry = null;
        if (cluster is not null)
        {
            if (cluster.Seeds.Count == 0) Akka.Cluster.Cluster.Get(system).Join(Akka.Cluster.Cluster.Get(system).SelfAddress);
            try
            {
                registry = Cluster.MptcpCluster.StartAsync(system).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is TimeoutException or AskTimeoutException)
            {
                system.Terminate().Wait(TimeSpan.FromSeconds(10));
                throw new TimeoutException($"--cluster-seed: did not join the cluster ({e.Message})", e);
            }
        }
        var metrics = new MptcpMetrics();
        system.RegisterOnTermination(metrics.Dispose);
        var manager = system.ActorOf(MptcpManager.Props(settings, routes, metrics, registry: registry), "mptcp");
        if (registry is not null) Cluster.MptcpCluster.ShareSignalEndpoints(system, manager);
        return new Engine(system, routes, manager, metrics);
    }

    /// <summary>The MSS to announce on a link: the configured one, capped by what the link's MTU carries for the address family (1460 / 1440 at 1500).</summary>
    public static int MssFor(int configured, int mtu, InterfaceSpec spec) => RawInterface.MssFor(configured, mtu, spec.AddressBytes.IsIpv6);


    /// <summary>Listens on <paramref name="port"/> of every interface for <paramref name="handler"/>; false if the engine refused or did not answer.</summary>
    public bool TryBind(IActorRef handler, int port)
    {
        try
        {
            var bound = Manager.Ask(new Akka.IO.Tcp.Bind(handler, new IPEndPoint(IPAddress.Any, port)), TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            return bound is Akka.IO.Tcp.Bound;
        }
        catch (AskTimeoutException)
        {
            return false;
        }
    }

    /// <summary>The control socket <c>mptcp info</c> reads this process through; removed before the engine stops.</summary>
    public IDisposable? Control { get; set; }

    /// <summary>--monitor, --pm-control and the carrier watch of real interfaces (<see cref="PathControl.PathControlRun"/>).</summary>
    public IDisposable? PathControl { get; set; }

    public void Dispose()
    {
        PathControl?.Dispose();
        Control?.Dispose();
        System.Terminate().Wait(TimeSpan.FromSeconds(10));
    }
}

/// <summary>What /sys/class/net tells of a Linux interface.</summary>
public static class LinuxInterface
{
    public static bool Exists(string name) => File.Exists($"/sys/class/net/{name}/address");

    public static byte[] Mac(string name)
    {
        var path = $"/sys/class/net/{name}/address";
        if (!File.Exists(path)) throw new ArgumentException($"--iface: no network interface named '{name}'");
        return Convert.FromHexString(File.ReadAllText(path).Trim().Replace(":", ""));
    }
}
