using System.CommandLine;
using System.Diagnostics;
using MptcpActors.Actors.Configuration;
using MptcpActors.Cli.Failover.Netns;

namespace MptcpActors.Cli.Failover;

/// <summary>
/// <c>mptcp failover SCENARIO.conf | --builtin NAME | --list</c> (CLI.md "Failover scenarios"): runs a scenario and
/// writes report.json, throughput.svg and summary.md to the report directory; a progress line on stderr meanwhile.
/// Exit 0 when the data arrived intact, 1 when not, 2 for a bad scenario or bad flags.
/// </summary>
public static class FailoverCommand
{
    public static Command Create()
    {
        var file = new Argument<string?>("SCENARIO") { Description = "scenario file (HOCON)", Arity = ArgumentArity.ZeroOrOne };
        var on = new Option<string>("--on") { Description = "sim (simulated network, virtual time) | netns (namespaces, the kernel as peer; root)", DefaultValueFactory = _ => "sim" };
        var engineSide = new Option<string>("--engine-side") { Description = "netns: client | server | both (the engine on both ends, like the simulator)", DefaultValueFactory = _ => "client" };
        var compare = new Option<string?>("--compare") { Description = "netns: kernel (also run kernel<->kernel on the same paths)" };
        var report = new Option<string?>("--report") { Description = "report directory (default ./failover-report/NAME)" };
        var seed = new Option<ulong?>("--seed") { Description = "seed (overrides the scenario's)" };
        var list = new Option<bool>("--list") { Description = "list the built-in scenarios" };
        var builtin = new Option<string?>("--builtin") { Description = "run a built-in scenario" };
        var c = new Command("failover", "Run a failover scenario (paths, traffic, a timeline of faults) and report what happened")
        {
            file, on, engineSide, compare, report, seed, list, builtin,
        };
        c.SetAction(p => Run(p.GetValue(file), p.GetValue(on)!, p.GetValue(engineSide)!, p.GetValue(compare), p.GetValue(report), p.GetValue(seed),
            p.GetValue(list), p.GetValue(builtin)));
        return c;
    }

    private static int Run(string? file, string on, string engineSide, string? compare, string? reportDir, ulong? seed, bool list, string? builtin)
    {
        if (list)
        {
            foreach (var b in BuiltinScenarios.All) Console.WriteLine($"{b.Name,-42} {b.Description}");
            return CliErrors.Ok;
        }
        if ((file is null) == (builtin is null)) return CliErrors.Usage(Console.Error, "give a SCENARIO file or --builtin NAME (--list shows the built-ins)");
        if (on is not ("sim" or "netns")) return CliErrors.Usage(Console.Error, $"--on: '{on}' is not sim or netns");
        if (engineSide is not ("client" or "server" or "both")) return CliErrors.Usage(Console.Error, $"--engine-side: '{engineSide}' is not client, server or both");
        if (compare is not (null or "kernel")) return CliErrors.Usage(Console.Error, $"--compare: '{compare}' is not kernel");
        if (on == "sim" && compare is not null) return CliErrors.Usage(Console.Error, "--compare kernel needs --on netns (the simulator has no kernel)");
        string text;
        if (builtin is not null)
        {
            if (BuiltinScenarios.Find(builtin) is not { } b)
                return CliErrors.Usage(Console.Error, $"--builtin: no scenario '{builtin}'; built-ins: {string.Join(", ", BuiltinScenarios.All.Select(s => s.Name))}");
            text = b.Hocon;
        }
        else
        {
            try { text = File.ReadAllText(file!); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return CliErrors.Usage(Console.Error, $"{file}: {e.Message}"); }
        }
        Scenario scenario;
        try { scenario = ScenarioParser.Parse(text); }
        catch (MptcpConfigurationException e)
        {
            // One line per bad key, the first one first.
            foreach (var error in e.Errors.SkipLast(1)) CliErrors.Usage(Console.Error, error.ToString());
            return CliErrors.Usage(Console.Error, e.Errors[^1].ToString());
        }
        if (seed is { } s) scenario = scenario with { Seed = s };
        var dir = reportDir ?? Path.Combine("failover-report", scenario.Name);
        try { Directory.CreateDirectory(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return CliErrors.Usage(Console.Error, $"--report: {e.Message}"); }

        var wall = Stopwatch.StartNew();
        var progress = new ProgressLine(Console.Error, scenario, on == "sim" ? "simulated" : "elapsed");
        FailoverOutcome outcome;
        FailoverOutcome? kernel = null;
        if (on == "sim")
        {
            outcome = SimFailoverRun.Run(scenario, progress.Update);
        }
        else
        {
            try
            {
                var ends = NetnsFailoverRun.Ends.For(engineSide);
                outcome = NetnsFailoverRun.Run(scenario, ends, Path.GetFullPath(dir), progress.Update);
                // The kernel on both ends, with the extra subflows opened the same way as in the engine's run.
                if (compare is not null) kernel = NetnsFailoverRun.Run(scenario, ends with { EngineClient = false, EngineServer = false }, Path.GetFullPath(dir), progress.Update);
            }
            catch (InvalidOperationException e)
            {
                return CliErrors.Failure(Console.Error, $"--on netns: {e.Message}");
            }
        }
        progress.Finish(wall.Elapsed);
        FailoverReport.Write(dir, FailoverReport.ToJson(scenario, on, outcome, kernel));
        ThroughputSvg.Write(Path.Combine(dir, "throughput.svg"), scenario, outcome, kernel);
        FailoverSummary.Write(Path.Combine(dir, "summary.md"), scenario, on, outcome, kernel);
        Console.WriteLine(Path.GetFullPath(dir));
        return outcome.Completed ? CliErrors.Ok : CliErrors.Failure(Console.Error, outcome.Error ?? "the data did not arrive intact");
    }
}
