using System.CommandLine;
using System.Net;

namespace MptcpActors.Cli.Netcat;

/// <summary><c>mptcp listen</c> and <c>mptcp connect</c>: netcat-style transfers over the engine (CLI.md).</summary>
public static class NetcatCommands
{
    public static Command Listen()
    {
        var o = new EngineOptions();
        var port = new Option<int>("--port") { HelpName = "PORT", Description = "TCP port to listen on (default 5000)" };
        var keepOpen = new Option<bool>("--keep-open") { Description = "accept many connections, concurrently, and never exit" };
        var echo = new Option<bool>("--echo") { Description = "send back everything received instead of using stdin/stdout" };
        var c = new Command("listen", "Accept a connection (or many, with --keep-open) and pass data between it and stdin/stdout") { port, keepOpen, echo };
        o.AddTo(c);
        o.AddClusterTo(c);
        c.SetAction(p =>
        {
            if (EngineLaunch.TryPrepare(p, o, out var prepared) is var bad && prepared is null) return bad;
            var settings = prepared.Command;
            var listenPort = EngineLaunch.Chosen(p, port, settings.ListenPort);
            if (listenPort is < 1 or > 65535) return CliErrors.Usage(Console.Error, $"--port: {listenPort} is not a TCP port (1-65535)");
            if (EngineLaunch.TryStart(p, o, prepared, "listen", out var run) is var code && run is null) return code;
            using var engine = run.Engine;
            var session = new NetcatSession(engine, EngineLaunch.Chosen(p, echo, settings.ListenEcho), EngineLaunch.Chosen(p, keepOpen, settings.KeepOpen),
                prepared.Stats)
            {
                Listening = run.Sim ? bound => SimulatedNetwork.PeerConnects(engine, bound) : null,
            };
            return session.Listen(listenPort);
        });
        return c;
    }

    public static Command Connect()
    {
        var o = new EngineOptions();
        var host = new Argument<string>("HOST") { Description = "address to connect to" };
        var port = new Argument<int>("PORT") { Description = "TCP port" };
        var source = new Option<string?>("--source") { HelpName = "ADDR", Description = "local address of the initial subflow (an --iface address; default: the first --iface that reaches HOST)" };
        var echo = new Option<bool>("--echo") { Description = "send back everything received instead of using stdin/stdout" };
        var c = new Command("connect", "Open a connection and pass data between it and stdin/stdout") { host, port, source, echo };
        o.AddTo(c);
        c.SetAction(p =>
        {
            var stderr = Console.Error;
            var remotePort = p.GetValue(port);
            if (remotePort is < 1 or > 65535) return CliErrors.Usage(stderr, $"PORT: {remotePort} is not a TCP port (1-65535)");
            if (!IPAddress.TryParse(p.GetValue(host), out var remote)) return CliErrors.Usage(stderr, $"HOST: '{p.GetValue(host)}' is not an IP address");
            if (EngineLaunch.TryPrepare(p, o, out var prepared) is var bad && prepared is null) return bad;
            var settings = prepared.Command;
            var sourceText = EngineLaunch.Chosen(p, source, settings.Source);
            var sourceName = p.GetResult(source) is { Implicit: false } ? "--source" : $"{CommandSettings.RootPath}.connect.source";
            IPAddress? local = null;
            if (sourceText is not null && !IPAddress.TryParse(sourceText, out local)) return CliErrors.Usage(stderr, $"{sourceName}: '{sourceText}' is not an IP address");
            if (EngineLaunch.TryStart(p, o, prepared, "connect", out var run) is var code && run is null) return code;
            using var engine = run.Engine;
            if (local is not null && !run.Interfaces.Any(i => i.Address.Equals(local)))
                return CliErrors.Usage(stderr, $"{sourceName}: {local} is not the address of any --iface");
            if (local is not null && local.AddressFamily != remote.AddressFamily)
                return CliErrors.Usage(stderr, $"{sourceName}: {local} is not in the address family of {remote}");
            if (run.Sim)
            {
                if (!run.Interfaces.Any(i => SimulatedNetwork.PeerAddress(i).Equals(remote)))
                    return CliErrors.Usage(stderr, $"HOST: with --sim the peer's addresses are {string.Join(", ", run.Interfaces.Select(SimulatedNetwork.PeerAddress))}");
                SimulatedNetwork.PeerListens(engine, remotePort);
            }
            var session = new NetcatSession(engine, EngineLaunch.Chosen(p, echo, settings.ConnectEcho), keepOpen: false, prepared.Stats);
            return session.Connect(new IPEndPoint(remote, remotePort), local);
        });
        return c;
    }
}
