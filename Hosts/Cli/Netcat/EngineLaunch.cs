using System.CommandLine;
using Akka.Configuration;
using MptcpActors.Actors.Configuration;
using MptcpActors.Cli.Info;
using MptcpActors.Transport.Devices;

namespace MptcpActors.Cli.Netcat;

/// <summary>
/// Starts the engine the way every engine command does (listen, connect, proxy): the interfaces of --iface (else
/// <c>mptcp.interfaces</c> of --config, else with --sim the default simulated paths), the settings of the flags over
/// --config over the embedded defaults, then the engine on raw sockets or on the simulated network, with its control
/// endpoint for <c>mptcp info</c>. Every refusal is CLI.md's one-line error and exit code.
/// </summary>
public static class EngineLaunch
{
    /// <summary>How a device is opened by interface name and mptcp.raw-socket; the raw-socket backend by default, replaceable in tests.</summary>
    public static Func<string, RawSocketSettings, IFrameDevice> OpenDevice { get; set; } = (name, raw) => raw.Open(name);

    /// <summary>The engine started, with what it runs on; or the exit code of why not (the error line is written).</summary>
    public sealed record Started(Engine Engine, IReadOnlyList<InterfaceSpec> Interfaces, MptcpSettings Settings, bool Sim);

    /// <summary>
    /// The --config file (empty without one), its <c>mptcp-cli</c> section, and the files the run writes (--stats,
    /// --pcap, flag or config), read and checked before anything starts.
    /// </summary>
    public sealed record Prepared(Config File, CommandSettings Command, string? Stats, string? Pcap);

    /// <summary>The flag's value when it was given, else the one from --config (CLI.md: the flag wins).</summary>
    public static T Chosen<T>(ParseResult p, Option<T> flag, T fromConfig) => p.GetResult(flag) is { Implicit: false } ? p.GetValue(flag)! : fromConfig;

    public static int TryPrepare(ParseResult p, EngineOptions o, out Prepared? prepared)
    {
        prepared = null;
        try
        {
            var file = p.GetValue(o.Config) is { } f ? ConfigurationFactory.ParseString(File.ReadAllText(f.FullName)) : Config.Empty;
            var command = CommandSettings.Read(file);
            var stats = p.GetValue(o.Stats)?.FullName ?? command.Stats;
            var pcap = p.GetValue(o.Pcap)?.FullName ?? command.Pcap;
            // A file the run cannot write would only fail at its end, after the transfer.
            foreach (var (name, path) in new[] { ("--stats", stats), ("--pcap", pcap) })
                if (path is not null && Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir && !Directory.Exists(dir))
                    return CliErrors.Usage(Console.Error, $"{name}: no directory {dir}");
            prepared = new Prepared(file, command, stats, pcap);
            return CliErrors.Ok;
        }
        catch (MptcpConfigurationException e) { return CliErrors.Usage(Console.Error, e.Message); }
        catch (Exception e) when (e is ConfigurationException or FormatException or IOException or UnauthorizedAccessException)
        {
            return CliErrors.Usage(Console.Error, $"--config: {e.Message}");
        }
    }

    public static int TryStart(ParseResult p, EngineOptions o, Prepared prepared, string command, out Started? started)
    {
        started = null;
        var stderr = Console.Error;
        var sim = Chosen(p, o.Sim, prepared.Command.Sim);
        var pcap = prepared.Pcap;
        var ifaces = new List<InterfaceSpec>();
        foreach (var text in p.GetValue(o.Iface) ?? [])
        {
            try { ifaces.Add(InterfaceSpec.Parse(text)); }
            catch (FormatException e) { return CliErrors.Usage(stderr, $"--iface: {e.Message}"); }
        }
        var flagEndpoints = p.GetValue(o.Endpoint) is { Length: > 0 };
        // Where each interface was named, for an error that points at it: the flag, or the key of --config.
        var origin = ifaces.Select(_ => "--iface").ToList();
        Config config;
        MptcpSettings settings;
        try
        {
            (config, settings) = Settings(p, o, prepared.File, []);
            if (ifaces.Count == 0)
            {
                ifaces.AddRange(settings.Interfaces.Select(InterfaceSpec.From));
                origin.AddRange(settings.Interfaces.Select((_, i) => $"mptcp.interfaces[{i}].name"));
            }
            if (ifaces.Count == 0 && sim) ifaces.AddRange(SimulatedNetwork.DefaultPaths);
            // On the simulated network every further path is an endpoint unless endpoints are given — a subflow endpoint
            // for connect, a signal endpoint (announced; the peer joins it) for listen and proxy: the connection uses all
            // paths, which is what the simulated paths are there to show.
            var flag = command == "connect" ? "subflow" : "signal";
            if (sim && settings.PathManager.Endpoints.Count == 0)
                (config, settings) = Settings(p, o, prepared.File, ifaces.Skip(1).Select(i => $"{i.Address},{flag}").ToList());
        }
        catch (MptcpConfigurationException e) when (e.Key.StartsWith("mptcp.path-manager.endpoints", StringComparison.Ordinal) && flagEndpoints)
        {
            return CliErrors.Usage(stderr, $"--endpoint: {e.Message}");
        }
        catch (MptcpConfigurationException e) { return CliErrors.Usage(stderr, e.Message); }
        catch (ConfigurationException e) { return CliErrors.Usage(stderr, $"--config: {e.Message}"); }
        if (ifaces.Count == 0) return CliErrors.Usage(stderr, "--iface: at least one NAME=ADDR/PREFIX is needed (or --sim, or mptcp.interfaces in --config)");
        // One device and one interface actor per name: a second address on the same interface is not supported yet.
        if (ifaces.GroupBy(i => i.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            return CliErrors.Usage(stderr, $"--iface: interface '{twice.Key}' is given more than once (one address per interface for now)");
        // An endpoint opens or announces subflows from its address: one the engine does not own would silently do nothing.
        if (settings.PathManager.Endpoints.FirstOrDefault(ep => !ifaces.Any(i => i.Address.Equals(ep.Address))) is { } stray)
            return CliErrors.Usage(stderr, $"--endpoint: {stray.Address} is not the address of any --iface");
        if (!sim && ifaces.Select((i, n) => (i.Name, n)).FirstOrDefault(x => !LinuxInterface.Exists(x.Name)) is ({ } missing, var at))
            return CliErrors.Usage(stderr, $"{origin[at]}: no network interface named '{missing}'");

        if (ClusterFlags(p, o, sim, out var cluster) is { } clusterError) return CliErrors.Usage(stderr, clusterError);

        StderrLogging.Start();
        Engine engine;
        try
        {
            engine = sim
                ? SimulatedNetwork.Start(ifaces, settings, config, pcap)
                : Engine.Start(ifaces, settings, config, pcap, name => OpenDevice(name, settings.RawSocket), cluster);
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or TimeoutException)
        {
            return CliErrors.Failure(stderr, e.Message);
        }
        try
        {
            engine.Control = ControlEndpoint.Start(engine, command);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
        {
            engine.Dispose();
            return CliErrors.Failure(stderr, $"cannot open the control socket for mptcp info: {e.Message}");
        }
        try
        {
            engine.PathControl = PathControl.PathControlRun.Start(engine, settings, p.GetValue(o.Monitor), p.GetValue(o.PmControl)?.FullName,
                sim ? [] : ifaces.Select(i => i.Name).ToList());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
        {
            engine.Dispose();
            return CliErrors.Failure(stderr, $"--pm-control: {e.Message}");
        }
        started = new Started(engine, ifaces, settings, sim);
        return CliErrors.Ok;
    }

    /// <summary>The node's cluster membership from --cluster-host/--cluster-port/--cluster-seed (null without --cluster-host), or why not.</summary>
    private static string? ClusterFlags(ParseResult p, EngineOptions o, bool sim, out Cluster.ClusterOptions? cluster)
    {
        cluster = null;
        var seeds = p.GetValue(o.ClusterSeed) ?? [];
        if (p.GetValue(o.ClusterHost) is not { } host)
            return seeds.Length > 0 || p.GetResult(o.ClusterPort) is { Implicit: false } || p.GetValue(o.ClusterTlsCert) is not null
                ? "--cluster-host: needed with --cluster-port, --cluster-seed and --cluster-tls-cert" : null;
        if (sim) return "--cluster-host: a cluster node runs on real interfaces, not --sim";
        if (!System.Net.IPAddress.TryParse(host, out _)) return $"--cluster-host: '{host}' is not an IP address";
        var port = p.GetValue(o.ClusterPort);
        if (port is < 1 or > 65535) return $"--cluster-port: {port} is not a TCP port (1-65535)";
        foreach (var seed in seeds)
            if (!System.Net.IPEndPoint.TryParse(seed, out var ep) || ep.Port == 0) return $"--cluster-seed: '{seed}' is not HOST:PORT";
        if (ClusterTlsFlags(p, o, out var tls) is { } tlsError) return tlsError;
        cluster = new Cluster.ClusterOptions(host, port, seeds) { Tls = tls };
        return null;
    }

    /// <summary>The cluster link's TLS from --cluster-tls-cert/--cluster-tls-password-env/--cluster-tls-ca (null without a certificate), or why not.</summary>
    private static string? ClusterTlsFlags(ParseResult p, EngineOptions o, out Cluster.ClusterTls? tls)
    {
        tls = null;
        var variable = p.GetValue(o.ClusterTlsPasswordEnv);
        var authority = p.GetValue(o.ClusterTlsCa);
        if (p.GetValue(o.ClusterTlsCert) is not { } certificate)
            return variable is not null || authority is not null ? "--cluster-tls-cert: needed with --cluster-tls-password-env and --cluster-tls-ca" : null;
        string? password = null;
        if (variable is not null && (password = Environment.GetEnvironmentVariable(variable)) is null)
            return $"--cluster-tls-password-env: the environment variable '{variable}' is not set";
        try
        {
            tls = Cluster.ClusterTls.Load(certificate.FullName, password, authority?.FullName);
            return null;
        }
        catch (Cluster.ClusterTlsException e)
        {
            return $"--cluster-tls-cert: {e.Message}";
        }
    }

    /// <summary>Flags over --config over the embedded defaults (CLI.md: the flag wins).</summary>
    private static (Config, MptcpSettings) Settings(ParseResult p, EngineOptions o, Config file, IReadOnlyList<string> defaultEndpoints)
    {
        var endpoints = p.GetValue(o.Endpoint) is { Length: > 0 } given ? given : defaultEndpoints;
        var lines = NetcatConfig.FlagLines(p.GetValue(o.Plain), p.GetValue(o.Checksum), p.GetValue(o.Scheduler), p.GetValue(o.Limits), endpoints);
        var flags = ConfigurationFactory.ParseString(string.Join("\n", lines));
        // The logging defaults sit under the file, so its akka.loglevel is honoured (logs go to stderr either way).
        var config = MptcpConfig.WithFallback(StderrLogging.Forced.WithFallback(flags).WithFallback(file).WithFallback(StderrLogging.Defaults));
        return (config, MptcpSettings.Create(config));
    }
}
