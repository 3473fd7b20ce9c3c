using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using MptcpActors.Cli.Netcat;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Cli.Proxy;

/// <summary>
/// <c>mptcp proxy --listen PORT --to HOST:PORT</c>: the concentrator of hybrid access. It accepts MPTCP (and plain TCP)
/// connections on the engine's interfaces and relays each to a plain TCP server through the host's own sockets, both
/// ways, with backpressure and half close; many at once, until SIGINT / SIGTERM.
/// </summary>
public static class ProxyCommand
{
    public static Command Create()
    {
        var o = new EngineOptions();
        var listen = new Option<int?>("--listen") { HelpName = "PORT", Description = "TCP port to accept connections on, on every engine interface (required, here or in --config)" };
        var to = new Option<string?>("--to") { HelpName = "HOST:PORT", Description = "the plain TCP server each connection is relayed to ([v6]:PORT for IPv6; required, here or in --config)" };
        var c = new Command("proxy", "Accept MPTCP and plain TCP connections and relay each to a TCP server through the host's sockets") { listen, to };
        o.AddTo(c);
        o.AddClusterTo(c);
        c.SetAction(p =>
        {
            var stderr = Console.Error;
            if (EngineLaunch.TryPrepare(p, o, out var prepared) is var bad && prepared is null) return bad;
            var settings = prepared.Command;
            if (EngineLaunch.Chosen(p, listen, settings.ProxyListen) is not { } port)
                return CliErrors.Usage(stderr, $"--listen: a port is required (or {CommandSettings.RootPath}.proxy.listen in --config)");
            if (port is < 1 or > 65535) return CliErrors.Usage(stderr, $"--listen: {port} is not a TCP port (1-65535)");
            if (EngineLaunch.Chosen(p, to, settings.ProxyTo) is not { } toText)
                return CliErrors.Usage(stderr, $"--to: HOST:PORT is required (or {CommandSettings.RootPath}.proxy.to in --config)");
            var toName = p.GetResult(to) is { Implicit: false } ? "--to" : $"{CommandSettings.RootPath}.proxy.to";
            if (!TryParseTarget(toText, out var target, out var problem)) return CliErrors.Usage(stderr, $"{toName}: {problem}");
            if (EngineLaunch.TryStart(p, o, prepared, "proxy", out var run) is var code && run is null) return code;
            using var engine = run.Engine;
            var stats = prepared.Stats is { } path ? new ProxyStats(path) : null;
            var listener = engine.System.ActorOf(Props.Create(() => new ProxyListener(target!, stats)), "proxy");
            if (!engine.TryBind(listener, port)) return CliErrors.Failure(stderr, $"--listen: cannot listen on {port}");
            if (run.Sim) SimulatedNetwork.PeerConnects(engine, port);
            StopSignal.Requested.GetAwaiter().GetResult();
            return CliErrors.Ok;
        });
        return c;
    }

    /// <summary>HOST:PORT, [IPv6]:PORT, or a name the host resolves (its first address).</summary>
    public static bool TryParseTarget(string text, out IPEndPoint? target, out string problem)
    {
        target = null;
        problem = "";
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            problem = $"'{text}': expected HOST:PORT";
            return false;
        }
        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        else if (host.Contains(':'))
        {
            problem = $"'{text}': an IPv6 address is written [ADDR]:PORT";
            return false;
        }
        if (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            problem = $"'{text[(colon + 1)..]}' is not a TCP port (1-65535)";
            return false;
        }
        if (!IPAddress.TryParse(host, out var address))
        {
            try { address = Dns.GetHostAddresses(host).FirstOrDefault(); }
            catch (SocketException) { address = null; }
            if (address is null)
            {
                problem = $"cannot resolve '{host}'";
                return false;
            }
        }
        target = new IPEndPoint(address, port);
        return true;
    }
}
