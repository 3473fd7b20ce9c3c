using System.Net;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Configuration;
using Microsoft.Extensions.Configuration;
using MptcpActors.Examples;

// mptcp-examples [messages|streams|stream|hosted|all] [--config FILE.hocon --to HOST:PORT]
// Without --to: on the simulated network against an echoing engine node (no root). With --to: the engine's interfaces
// from FILE (mptcp.interfaces, transport = raw: root) towards any server that echoes (e.g. `mptcp listen --echo`,
// or a kernel `ncat -l --keep-open --exec /bin/cat`).
var ways = new[] { "messages", "streams", "stream", "hosted" };
var chosen = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "all";
string? Flag(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
var simulated = Flag("--to") is null;
// The hosted example takes its interfaces from appsettings.json (simulated ones), so it runs on the simulator only.
if (chosen != "all" && !ways.Contains(chosen) || simulated != (Flag("--config") is null) || chosen == "hosted" && !simulated)
{
    Console.Error.WriteLine($"usage: mptcp-examples [{string.Join('|', ways)}|all] [--config FILE.hocon --to HOST:PORT] (hosted: without --to)");
    return 2;
}
var server = simulated ? SimulatedSetup.Server : IPEndPoint.Parse(Flag("--to")!);
// Akka logs warnings and errors only, so what the examples print stands out.
var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING")
    .WithFallback(simulated ? SimulatedSetup.Config : ConfigurationFactory.ParseString(File.ReadAllText(Flag("--config")!)));
var data = RandomNumberGenerator.GetBytes(4 << 20);
var failed = 0;
foreach (var way in chosen != "all" ? [chosen] : simulated ? ways : ways[..^1])
{
    byte[] back;
    if (way == "hosted")
    {
        // The host reads appsettings.json, beside the program.
        var settings = new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build();
        using var host = HostedExample.Build(settings);
        back = await HostedExample.Exchange(host, server, data, simulated ? SimulatedSetup.StartEcho : null);
    }
    else
    {
        using var system = ActorSystem.Create("example", config);
        if (simulated) await SimulatedSetup.StartEcho(system);
        back = way switch
        {
            "messages" => await MessagesExample.Exchange(system, server, data),
            "streams" => await StreamsExample.Exchange(system, server, data),
            _ => await StreamExample.Exchange(system, server, data),
        };
        await system.Terminate();
    }
    var ok = SHA256.HashData(back).AsSpan().SequenceEqual(SHA256.HashData(data));
    if (!ok) failed++;
    Console.WriteLine($"{way,-8} sent {data.Length} bytes to {server}, {back.Length} came back, SHA-256 {(ok ? "equal" : "DIFFERENT")}");
}
return failed == 0 ? 0 : 1;
