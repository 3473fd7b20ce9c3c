using System.CommandLine;
using System.Net;
using Akka.Actor;
using Akka.Configuration;
using MptcpActors.Actors.Configuration;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Devices.Linux;
using MptcpActors.Transport.Wire.Mptcp;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Cli.Netcat;

/// <summary><c>mptcp listen</c> and <c>mptcp connect</c>: netcat-style transfers over the engine (CLI.md).</summary>
public static class NetcatCommands
{
    /// <summary>How a device is opened by interface name; the raw-socket backend by default, replaceable in tests.</summary>
    // A kernel peer on a veth sends GSO frames up to 64 KiB whatever the MTU: receive slots take them from the start.
    public static Func<string, RawSocketSettings, IFrameDevice> OpenDevice { get; set; } = (name, raw) => new AfPacketDevice(name, new AfPacketDeviceOptions
    {
        ReceiveFrameSize = 65554,
        ReceiveRing = raw.Receive == RawSocketReceive.Ring,
        SegmentationOffload = raw.SegmentationOffload,
    });

    public static Command Listen()
    {
        var o = new NetcatOptions();
        var port = new Option<int>("--port") { Description = "TCP port to listen on", DefaultValueFactory = _ => 5000 };
        var c = new Command("listen", "Accept a connection (or many, with --keep-open) and pass data between it and stdin/stdout") { port };
        o.AddTo(c);
        c.SetAction(p => Run(p, o, listenPort: p.GetValue(port), host: null, remotePort: 0));
        return c;
    }

    public static Command Connect()
    {
        var o = new NetcatOptions();
        var host = new Argument<string>("HOST") { Description = "address to connect to" };
        var port = new Argument<int>("PORT") { Description = "TCP port" };
        var c = new Command("connect", "Open a connection and pass data between it and stdin/stdout") { host, port };
        o.AddTo(c);
        c.SetAction(p => Run(p, o, listenPort: 0, host: p.GetValue(host), remotePort: p.GetValue(port)));
        return c;
    }

    private static int Run(ParseResult p, NetcatOptions o, int listenPort, string? host, int remotePort)
    {
        var stderr = Console.Error;
        var listening = host is null;
        if (listening && listenPort is < 1 or > 65535) return CliErrors.Usage(stderr, $"--port: {listenPort} is not a TCP port (1-65535)");
        if (!listening && remotePort is < 1 or > 65535) return CliErrors.Usage(stderr, $"PORT: {remotePort} is not a TCP port (1-65535)");
        IPAddress? remote = null;
        if (!listening && !IPAddress.TryParse(host, out remote)) return CliErrors.Usage(stderr, $"HOST: '{host}' is not an IP address");
        var sim = p.GetValue(o.Sim);
        var ifaces = new List<InterfaceSpec>();
        foreach (var text in p.GetValue(o.Iface) ?? [])
        {
            try { ifaces.Add(InterfaceSpec.Parse(text)); }
            catch (FormatException e) { return CliErrors.Usage(stderr, $"--iface: {e.Message}"); }
        }
        if (ifaces.Count == 0 && sim) ifaces.AddRange(SimulatedNetwork.DefaultPaths);
        if (ifaces.Count == 0) return CliErrors.Usage(stderr, "--iface: at least one NAME=ADDR/PREFIX is needed (or --sim)");
        // One device and one interface actor per name: a second address on the same interface is not supported yet.
        if (ifaces.GroupBy(i => i.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            return CliErrors.Usage(stderr, $"--iface: interface '{twice.Key}' is given more than once (one address per interface for now)");
        Config config;
        MptcpSettings settings;
        try
        {
            config = BuildConfig(p, o, sim ? ifaces : null);
            settings = MptcpSettings.Create(config);
        }
        catch (MptcpConfigurationException e) when (e.Key.StartsWith("mptcp.path-manager.endpoints", StringComparison.Ordinal) && p.GetValue(o.Endpoint) is { Length: > 0 })
        {
            return CliErrors.Usage(stderr, $"--endpoint: {e.Message}");
        }
        catch (MptcpConfigurationException e) { return CliErrors.Usage(stderr, e.Message); }
        catch (Exception e) when (e is ConfigurationException or FormatException or IOException) { return CliErrors.Usage(stderr, $"--config: {e.Message}"); }
        // An endpoint opens or announces subflows from its address: one the engine does not own would silently do nothing.
        if (settings.PathManager.Endpoints.FirstOrDefault(ep => !ifaces.Any(i => i.Address.Equals(ep.Address))) is { } stray)
            return CliErrors.Usage(stderr, $"--endpoint: {stray.Address} is not the address of any --iface");

        Engine engine;
        try
        {
            engine = sim
                ? SimulatedNetwork.Start(ifaces, settings, config, p.GetValue(o.Pcap)?.FullName)
                : Engine.Start(ifaces, settings, config, p.GetValue(o.Pcap)?.FullName, name => OpenDevice(name, settings.RawSocket));
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or RawSocketException)
        {
            return CliErrors.Failure(stderr, e.Message);
        }
        using (engine)
        {
            var session = new NetcatSession(engine, p.GetValue(o.Echo), p.GetValue(o.KeepOpen), p.GetValue(o.Stats)?.FullName)
            {
                Listening = sim ? port => SimulatedNetwork.PeerConnects(engine, port) : null,
            };
            if (sim && !listening)
            {
                if (!ifaces.Any(i => SimulatedNetwork.PeerAddress(i).Equals(remote)))
                    return CliErrors.Usage(stderr, $"HOST: with --sim the peer's addresses are {string.Join(", ", ifaces.Select(SimulatedNetwork.PeerAddress))}");
                SimulatedNetwork.PeerListens(engine, remotePort);
            }
            return listening ? session.Listen(listenPort) : session.Connect(new IPEndPoint(remote!, remotePort));
        }
    }

    /// <summary>Flags over --config over the embedded defaults (CLI.md: the flag wins).</summary>
    private static Config BuildConfig(ParseResult p, NetcatOptions o, IReadOnlyList<InterfaceSpec>? simPaths)
    {
        var lines = new List<string>
        {
            "akka.loglevel = OFF", "akka.stdout-loglevel = OFF", "akka.log-dead-letters = off", "akka.log-dead-letters-during-shutdown = off",
        };
        var endpoints = p.GetValue(o.Endpoint) ?? [];
        // On the simulated network every further path is a subflow endpoint unless --endpoint says otherwise: the
        // connection uses all paths, which is what the simulated paths are there to show.
        if (simPaths is not null && endpoints.Length == 0) endpoints = simPaths.Skip(1).Select(i => $"{i.Address},subflow").ToArray();
        lines.AddRange(NetcatConfig.FlagLines(p.GetValue(o.Plain), p.GetValue(o.Checksum), p.GetValue(o.Scheduler), p.GetValue(o.Limits), endpoints));
        var flags = ConfigurationFactory.ParseString(string.Join("\n", lines));
        var file = p.GetValue(o.Config) is { } f ? ConfigurationFactory.ParseString(File.ReadAllText(f.FullName)) : Config.Empty;
        return MptcpConfig.WithFallback(flags.WithFallback(file));
    }
}
