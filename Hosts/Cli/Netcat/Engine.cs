using Akka.Actor;
using Akka.Configuration;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Interface;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Tcp;
using MptcpActors.Actors.Tcp.Congestion;
using MptcpActors.Transport.Capture;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Cli.Netcat;

/// <summary>The engine as the command runs it: an actor system, one device actor, one interface actor per --iface.</summary>
public sealed class Engine : IDisposable
{
    private Engine(ActorSystem system, List<(InterfaceSpec Spec, IActorRef Actor)> interfaces)
    {
        System = system;
        Interfaces = interfaces;
    }

    public ActorSystem System { get; }
    public IReadOnlyList<(InterfaceSpec Spec, IActorRef Actor)> Interfaces { get; }

    public static Engine Start(IReadOnlyList<InterfaceSpec> specs, MptcpSettings settings, Config config, string? pcap, Func<string, IFrameDevice> open)
    {
        var system = ActorSystem.Create("mptcp", config);
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
        var options = TcpOptionsFrom(settings);
        var isn = IsnGenerator.CreateRandom();
        var interfaces = specs.Select(s => (s, system.ActorOf(InterfaceActor.Props(new InterfaceSetup(s.Name, new DeviceRef(deviceActor, s.Name),
            LinuxInterface.Mac(s.Name), s.AddressBytes, s.PrefixLength, s.GatewayBytes, options with { Mss = MssFor(options.Mss, devices[s.Name].Mtu, s) }, isn)
            { Mptcp = settings.Enabled, Checksum = settings.Checksum, DirectDevice = devices[s.Name] }), $"iface-{s.Name}"))).ToList();
        return new Engine(system, interfaces);
    }

    /// <summary>The MSS to announce on a link: the configured one, capped by what the link's MTU carries for the address family (1460 / 1440 at 1500).</summary>
    public static int MssFor(int configured, int mtu, InterfaceSpec spec) =>
        Math.Min(configured, mtu - (spec.AddressBytes.IsIpv6 ? 40 : 20) - 20);

    /// <summary>The interface a connection to <paramref name="destination"/> leaves through: the one whose subnet holds it, else one with a gateway.</summary>
    public IActorRef? Route(IpAddressBytes destination)
    {
        foreach (var (spec, actor) in Interfaces)
            if (new InterfaceSetup("", null!, [], spec.AddressBytes, spec.PrefixLength, null, new(), null!).InSubnet(destination)) return actor;
        foreach (var (spec, actor) in Interfaces)
            if (spec.Gateway is not null && spec.AddressBytes.Length == destination.Length) return actor;
        return null;
    }

    public static TcpCoreOptions TcpOptionsFrom(MptcpSettings s) => new()
    {
        Mss = s.Tcp.Mss,
        SendBufferSize = s.Tcp.SendBuffer,
        ReceiveBufferSize = s.Tcp.ReceiveBuffer,
        Nagle = s.Tcp.Nagle,
        DelayedAck = s.Tcp.DelayedAck > TimeSpan.Zero,
        DelayedAckNs = Math.Max(1, s.Tcp.DelayedAck.Ticks * 100),
        Sack = s.Tcp.Sack,
        Timestamps = s.Tcp.Timestamps,
        WindowScaling = s.Tcp.WindowScaling,
        InitialRtoNs = s.Tcp.InitialRto.Ticks * 100,
        MinRtoNs = s.Tcp.MinRto.Ticks * 100,
        MaxRtoNs = s.Tcp.MaxRto.Ticks * 100,
        SynRetries = s.Tcp.SynRetries,
        Keepalive = s.Tcp.Keepalive.Enabled,
        KeepaliveIdleNs = s.Tcp.Keepalive.Time.Ticks * 100,
        KeepaliveIntervalNs = s.Tcp.Keepalive.Interval.Ticks * 100,
        KeepaliveProbes = s.Tcp.Keepalive.Probes,
        CongestionControl = s.CongestionControl.ToKind(),
    };

    public void Dispose() => System.Terminate().Wait(TimeSpan.FromSeconds(10));
}

/// <summary>What /sys/class/net tells of a Linux interface.</summary>
public static class LinuxInterface
{
    public static byte[] Mac(string name)
    {
        var path = $"/sys/class/net/{name}/address";
        if (!File.Exists(path)) throw new ArgumentException($"--iface: no network interface named '{name}'");
        return Convert.FromHexString(File.ReadAllText(path).Trim().Replace(":", ""));
    }
}
