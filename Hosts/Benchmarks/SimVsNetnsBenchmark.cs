using System.Globalization;
using MptcpActors.Cli.Failover;
using MptcpActors.Cli.Failover.Netns;

namespace MptcpActors.Benchmarks;

/// <summary>
/// <c>--sim-vs-netns [--builtin A,B,...] [--no-kernel] [--report DIR]</c> (root): each built-in failover scenario run on the simulator
/// and on namespaces in the same run, and how far apart they land (issue 9: within 20 %). Like for like, the engine on
/// both ends of the namespaces as on the simulator; beside it, the engine on the data's sending side against the
/// kernel (the client when data goes both ways: the kernel then sends the download). A scenario of bytes compares the
/// last byte's time, one of a duration the bytes delivered; the ratio is netns / sim. With a report directory, each
/// run's report.json goes to DIR/NAME/{sim,netns,kernel}/. Real time on a shared machine:
/// this is a benchmark, not a test.
/// </summary>
public static class SimVsNetnsBenchmark
{
    private const double Agreement = 0.20;

    public static int Run(string[] args)
    {
        var i = Array.IndexOf(args, "--builtin");
        var names = i >= 0 && i + 1 < args.Length ? args[i + 1].Split(',') : BuiltinScenarios.All.Select(b => b.Name).ToArray();
        var withKernel = !args.Contains("--no-kernel");
        i = Array.IndexOf(args, "--report");
        var reports = i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var work = Directory.CreateTempSubdirectory("sim-vs-netns-");
        Console.WriteLine("built-in: measure (bytes: last byte in s; duration: MB delivered); sim | netns engine<->engine (ratio)" +
                          (withKernel ? " | netns engine<->kernel, engine side (ratio)" : ""));
        var agreed = 0;
        try
        {
            foreach (var name in names)
            {
                if (BuiltinScenarios.Find(name) is not { } builtin)
                {
                    Console.Error.WriteLine($"no built-in '{name}'");
                    return 2;
                }
                var scenario = ScenarioParser.Parse(builtin.Hocon);
                var sim = SimFailoverRun.Run(scenario);
                Keep(reports, scenario, "sim", sim);
                var engines = NetnsFailoverRun.Run(scenario, NetnsFailoverRun.Ends.For("both"), work.FullName, null);
                Keep(reports, scenario, "netns", engines);
                var line = $"{name,-42} {Measure(scenario),-14} {Value(scenario, sim)} | {Value(scenario, engines)} ({Ratio(scenario, sim, engines)})";
                if (withKernel)
                {
                    var side = scenario.Traffic.Direction == TrafficDirection.Download ? "server" : "client";
                    var kernel = NetnsFailoverRun.Run(scenario, NetnsFailoverRun.Ends.For(side), work.FullName, null);
                    Keep(reports, scenario, "kernel", kernel);
                    line += $" | {Value(scenario, kernel)}, {side} ({Ratio(scenario, sim, kernel)})";
                }
                if (Math.Abs(Metric(scenario, engines) / Metric(scenario, sim) - 1) <= Agreement) agreed++;
                Console.WriteLine(line);
                Console.WriteLine($"    engine<->engine: {engines.Emulator}");
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
        Console.WriteLine($"{agreed} of {names.Length} built-ins: engine<->engine on namespaces within {Agreement:P0} of the simulator");
        return 0;
    }

    private static void Keep(string? reports, Scenario scenario, string on, FailoverOutcome outcome)
    {
        if (reports is null) return;
        var dir = Directory.CreateDirectory(Path.Combine(reports, scenario.Name, on)).FullName;
        FailoverReport.Write(dir, FailoverReport.ToJson(scenario, on == "sim" ? "sim" : "netns", outcome, null));
    }

    private static string Measure(Scenario s) => s.Traffic.Duration is null ? "last byte s" : "MB delivered";

    private static double Metric(Scenario s, FailoverOutcome o) => s.Traffic.Duration is null ? o.DurationS : o.Bytes / 1e6;

    private static string Value(Scenario s, FailoverOutcome o) =>
        (o.Completed ? "" : "FAILED ") + Metric(s, o).ToString("F2", CultureInfo.InvariantCulture);

    private static string Ratio(Scenario s, FailoverOutcome sim, FailoverOutcome netns) =>
        (Metric(s, netns) / Metric(s, sim)).ToString("F2", CultureInfo.InvariantCulture);
}
