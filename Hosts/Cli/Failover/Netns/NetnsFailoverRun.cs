using System.Diagnostics;

namespace MptcpActors.Cli.Failover.Netns;

/// <summary>
/// Runs a scenario on real namespaces (<see cref="NetnsTopology"/>): the engine on one end and the kernel's MPTCP on
/// the other, the paths and faults applied by the router's <see cref="PathEmulator"/>; with the kernel comparison,
/// again kernel ↔ kernel on the same paths. Time 0 is the first frame through the router (the client's first
/// packet); the faults happen at their times after it.
/// </summary>
public static class NetnsFailoverRun
{
    public const int Port = 5201;

    /// <summary>The two ends of a run: who runs the client and who the server.</summary>
    public sealed record Ends(bool EngineClient, bool EngineServer);

    public static FailoverOutcome Run(Scenario scenario, Ends ends, string workDir, Action<TimeSpan, long>? progress)
    {
        using var topology = new NetnsTopology(scenario.Paths, kernelClient: !ends.EngineClient, kernelServer: !ends.EngineServer);
        ConsoleCancelEventHandler cancel = (_, _) => topology.Dispose();
        Console.CancelKeyPress += cancel;
        try
        {
            return RunIn(topology, scenario, ends, workDir, progress);
        }
        finally
        {
            Console.CancelKeyPress -= cancel;
        }
    }

    private static FailoverOutcome RunIn(NetnsTopology topology, Scenario scenario, Ends ends, string workDir, Action<TimeSpan, long>? progress)
    {
        var paths = topology.Paths;
        var limit = (int)Math.Max(2, paths.Count - 1);
        if (!ends.EngineClient)
        {
            var s = new List<string> { $"ip -n {topology.ClientNs} mptcp limits set subflows {limit} add_addr_accepted {limit}" };
            s.AddRange(paths.Skip(1).Select(p =>
                $"ip -n {topology.ClientNs} mptcp endpoint add {p.ClientIp} dev {p.ClientIf} id {p.Index + 1} subflow{(scenario.Paths[p.Index].Backup ? " backup" : "")}"));
            Shell.Run(string.Join('\n', s));
        }
        if (!ends.EngineServer) Shell.Run($"ip -n {topology.ServerNs} mptcp limits set subflows {limit} add_addr_accepted {limit}");

        using var emulator = new PathEmulator(topology.RouterNs, paths.Select(p => (p, scenario.Paths[p.Index].Link)).ToList(), scenario.Seed, SimFailoverRun.Bucket);
        var traffic = scenario.Traffic;
        var seed = (int)(scenario.Seed % int.MaxValue);
        var serverPlan = SendPlan.For(traffic, traffic.Downloads, seed + 1);
        var clientPlan = SendPlan.For(traffic, traffic.Uploads, seed);
        using var server = Start(topology, ends.EngineServer, false, scenario, serverPlan, workDir);
        if (ends.EngineServer) Thread.Sleep(TimeSpan.FromSeconds(3)); // the engine's listener starts with its process
        using var client = Start(topology, ends.EngineClient, true, scenario, clientPlan, workDir);

        var wall = Stopwatch.StartNew();
        var runLimit = SimFailoverRun.Limit(scenario);
        var pending = new Queue<ScenarioFault>(scenario.Faults);
        while (!(client.Exited && server.Exited) && wall.Elapsed < runLimit + TimeSpan.FromSeconds(10))
        {
            var zero = emulator.FirstFrameTimestamp;
            var now = zero == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(zero);
            while (zero != 0 && pending.TryPeek(out var f) && f.At <= now) Apply(topology, emulator, pending.Dequeue(), ends);
            progress?.Invoke(now, 0);
            Thread.Sleep(1);
        }
        client.WaitForExit(TimeSpan.FromSeconds(5));
        server.WaitForExit(TimeSpan.FromSeconds(5));
        var start = emulator.FirstFrameTimestamp;
        var (clientResult, clientError) = client.Result(start);
        var (serverResult, serverError) = server.Result(start);
        emulator.Dispose(); // stops it, so its links and trace can be read
        var offset = (int)Math.Round(Stopwatch.GetElapsedTime(emulator.StartTimestamp, start) / SimFailoverRun.Bucket);
        var series = SimFailoverRun.Series(scenario, emulator.Network, emulator.Trace)
            .Select(s => new PathSeries(s.Path, s.TS.Skip(offset).Select(t => Math.Round(t - offset * SimFailoverRun.Bucket.TotalSeconds, 3)).ToArray(), s.Mbps.Skip(offset).ToArray()))
            .ToList();
        var results = new[] { clientResult, serverResult }.OfType<EndResult>().ToList();
        string PathOf(Actors.Stack.TcpFlowKey key) =>
            paths.FirstOrDefault(p => p.ClientIp == key.LocalAddress.ToString() || p.ClientIp == key.RemoteAddress.ToString())?.Name ?? key.ToString();
        return FailoverAnalysis.Build(scenario, results, series, PathOf, clientError ?? serverError);
    }

    private static IRunEnd Start(NetnsTopology topology, bool engine, bool isClient, Scenario scenario, SendPlan? plan, string workDir)
    {
        var ns = isClient ? topology.ClientNs : topology.ServerNs;
        return engine
            ? new EngineEnd(ns, isClient, topology.Paths, scenario, Port, plan, workDir)
            : new KernelEnd(ns, isClient, topology.Paths[0].ServerIp, Port, plan);
    }

    private static void Apply(NetnsTopology topology, PathEmulator emulator, ScenarioFault fault, Ends ends)
    {
        var path = topology.Paths.First(p => p.Name == fault.Path);
        switch (fault.Action)
        {
            case FaultAction.Down:
                emulator.Change(n => n.GetLink(fault.Path).Down());
                Carrier(topology, path, "down");
                break;
            case FaultAction.Up:
                Carrier(topology, path, "up");
                emulator.Change(n => n.GetLink(fault.Path).Up());
                break;
            case FaultAction.Blackhole:
                emulator.Change(n => n.GetLink(fault.Path).Blackhole());
                break;
            case FaultAction.Restore:
                emulator.Change(n => n.GetLink(fault.Path).Up());
                break;
            case FaultAction.Set:
                emulator.Change(n =>
                {
                    var link = n.GetLink(fault.Path);
                    link.SetParameters(SimFailoverRun.Changed(link.AToB.Parameters, fault), SimFailoverRun.Changed(link.BToA.Parameters, fault));
                });
                // The kernel client's endpoint flag (MP_PRIO to the peer); the engine's command line has no run-time switch.
                if (fault.Backup is { } backup && !ends.EngineClient)
                    Shell.Run($"ip -n {topology.ClientNs} mptcp endpoint change id {path.Index + 1} {(backup ? "backup" : "nobackup")}");
                break;
        }
    }

    /// <summary>The router's ends of the path lose or regain carrier, so both hosts see their link go down or up.</summary>
    private static void Carrier(NetnsTopology topology, NetnsPath path, string state) =>
        Shell.Run($"ip -n {topology.RouterNs} link set dev {path.RouterClientIf} {state}; ip -n {topology.RouterNs} link set dev {path.RouterServerIf} {state}");
}
