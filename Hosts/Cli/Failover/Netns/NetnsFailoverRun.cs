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

    /// <summary>
    /// The two ends of a run: who runs the client and who the server, and who opens the extra subflows. Either the
    /// client opens one from each other path's address to the server's first address (subflow endpoints, as
    /// simult_flows.sh), or the server announces its other paths' addresses and the client joins them (signal
    /// endpoints): the engine as a server replies to a join from the interface of the address it was sent to, so a
    /// join must come to that path's own address.
    /// </summary>
    public sealed record Ends(bool EngineClient, bool EngineServer, bool ServerSignals)
    {
        /// <summary>
        /// <c>--engine-side client | server | both</c>: a kernel client (engine server) joins the addresses the server
        /// announces, as the kernel-to-engine interop runs do; an engine client opens its subflows to the server's first
        /// address, as on the simulator. Not both ways at once: a client that opens its own and also follows the
        /// announcements has used up its subflow limit and cannot rejoin a path that comes back.
        /// </summary>
        public static Ends For(string engineSide) => engineSide switch
        {
            "client" => new Ends(true, false, false),
            "server" => new Ends(false, true, true),
            "both" => new Ends(true, true, false),
            _ => throw new ArgumentOutOfRangeException(nameof(engineSide), engineSide, "client, server or both"),
        };
    }

    public static FailoverOutcome Run(Scenario scenario, Ends ends, string workDir, Action<TimeSpan, long>? progress)
    {
        // Ctrl-C or a kill ends the process: the namespaces (and what runs in them) go first. Watched from before the
        // first namespace is made: a Ctrl-C while they are being made removes them once they are all there.
        NetnsTopology? topology = null;
        var interrupted = false;
        ConsoleCancelEventHandler cancel = (_, _) =>
        {
            Volatile.Write(ref interrupted, true);
            Volatile.Read(ref topology)?.Dispose();
        };
        EventHandler exit = (_, _) => Volatile.Read(ref topology)?.Dispose();
        Console.CancelKeyPress += cancel;
        AppDomain.CurrentDomain.ProcessExit += exit;
        try
        {
            using var made = new NetnsTopology(scenario.Paths, kernelClient: !ends.EngineClient, kernelServer: !ends.EngineServer);
            Volatile.Write(ref topology, made);
            if (Volatile.Read(ref interrupted))
            {
                made.Dispose();
                throw new InvalidOperationException("interrupted while the namespaces were being made; they are removed");
            }
            return RunIn(made, scenario, ends, workDir, progress);
        }
        finally
        {
            Console.CancelKeyPress -= cancel;
            AppDomain.CurrentDomain.ProcessExit -= exit;
        }
    }

    private static FailoverOutcome RunIn(NetnsTopology topology, Scenario scenario, Ends ends, string workDir, Action<TimeSpan, long>? progress)
    {
        var paths = topology.Paths;
        var limit = (int)Math.Max(2, paths.Count - 1);
        string Backup(NetnsPath p) => scenario.Paths[p.Index].Backup ? " backup" : "";
        if (!ends.EngineClient)
        {
            var s = new List<string> { $"ip -n {topology.ClientNs} mptcp limits set subflows {limit} add_addr_accepted {limit}" };
            if (!ends.ServerSignals)
                s.AddRange(paths.Skip(1).Select(p => $"ip -n {topology.ClientNs} mptcp endpoint add {p.ClientIp} dev {p.ClientIf} id {p.Index + 1} subflow{Backup(p)}"));
            Shell.Run(string.Join('\n', s));
        }
        if (!ends.EngineServer)
        {
            var s = new List<string> { $"ip -n {topology.ServerNs} mptcp limits set subflows {limit} add_addr_accepted {limit}" };
            if (ends.ServerSignals)
                s.AddRange(paths.Skip(1).Select(p => $"ip -n {topology.ServerNs} mptcp endpoint add {p.ServerIp} dev {p.ServerIf} id {p.Index + 1} signal{Backup(p)}"));
            Shell.Run(string.Join('\n', s));
        }

        using var emulator = new PathEmulator(topology.RouterNs, paths.Select(p => (p, scenario.Paths[p.Index].Link)).ToList(), scenario.Seed, SimFailoverRun.Bucket);
        var traffic = scenario.Traffic;
        var seed = (int)(scenario.Seed % int.MaxValue);
        var serverPlan = SendPlan.For(traffic, server: true, seed + 1);
        var clientPlan = SendPlan.For(traffic, server: false, seed);
        using var server = Start(topology, ends, false, scenario, serverPlan, clientPlan, workDir, () => emulator.StartTimestamp);
        if (ends.EngineServer) Thread.Sleep(TimeSpan.FromSeconds(3)); // the engine's listener starts with its process
        using var client = Start(topology, ends, true, scenario, clientPlan, serverPlan, workDir, () => emulator.StartTimestamp);

        var wall = Stopwatch.StartNew();
        var runLimit = SimFailoverRun.Limit(scenario);
        var pending = new Queue<ScenarioFault>(scenario.Faults);
        while (!(client.Exited && server.Exited) && wall.Elapsed < runLimit + TimeSpan.FromSeconds(10))
        {
            var zero = emulator.StartTimestamp;
            var now = zero == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(zero);
            while (zero != 0 && pending.TryPeek(out var f) && f.At <= now) Apply(topology, emulator, pending.Dequeue(), ends);
            progress?.Invoke(now, 0);
            Thread.Sleep(1);
        }
        client.WaitForExit(TimeSpan.FromSeconds(5));
        server.WaitForExit(TimeSpan.FromSeconds(5));
        var start = emulator.StartTimestamp;
        var (clientResult, clientError) = client.Result(start);
        var (serverResult, serverError) = server.Result(start);
        emulator.Dispose(); // stops it, so its links and trace can be read
        var series = SimFailoverRun.Series(scenario, emulator.Network, emulator.Trace);
        var results = new[] { clientResult, serverResult }.OfType<EndResult>().ToList();
        string PathOf(Actors.Stack.TcpFlowKey key) =>
            paths.FirstOrDefault(p => p.ClientIp == key.LocalAddress.ToString() || p.ClientIp == key.RemoteAddress.ToString())?.Name ?? key.ToString();
        return FailoverAnalysis.Build(scenario, results, series, PathOf, clientError ?? serverError) with { Emulator = emulator.Lateness.ToString() };
    }

    private static IRunEnd Start(NetnsTopology topology, Ends ends, bool isClient, Scenario scenario, SendPlan? plan, SendPlan? peerPlan, string workDir,
        Func<long> started)
    {
        var ns = isClient ? topology.ClientNs : topology.ServerNs;
        return (isClient ? ends.EngineClient : ends.EngineServer)
            ? new EngineEnd(ns, isClient, topology.Paths, scenario, Port, plan, peerPlan, workDir, signal: ends.ServerSignals, started)
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
                // The link first, then the carrier: a host asks for its neighbours the moment its carrier returns, and
                // that ARP request, dropped by a link still down, was retried only a second or more later (the
                // simulator does both at once).
                emulator.Change(n => n.GetLink(fault.Path).CarrierUp()).Wait(TimeSpan.FromSeconds(5));
                Carrier(topology, path, "up");
                break;
            case FaultAction.Blackhole:
                emulator.Change(n => n.GetLink(fault.Path).Blackhole());
                break;
            case FaultAction.Restore:
                emulator.Change(n => n.GetLink(fault.Path).Restore());
                break;
            case FaultAction.Set:
                emulator.Change(n =>
                {
                    var link = n.GetLink(fault.Path);
                    link.SetParameters(SimFailoverRun.Changed(link.AToB.Parameters, fault), SimFailoverRun.Changed(link.BToA.Parameters, fault));
                });
                // The kernel's endpoint flag (MP_PRIO to the peer); the engine's command line has no run-time switch.
                if (fault.Backup is { } backup && !(ends.ServerSignals ? ends.EngineServer : ends.EngineClient))
                    Shell.Run($"ip -n {(ends.ServerSignals ? topology.ServerNs : topology.ClientNs)} mptcp endpoint change id {path.Index + 1} {(backup ? "backup" : "nobackup")}");
                break;
        }
    }

    /// <summary>The router's ends of the path lose or regain carrier, so both hosts see their link go down or up.</summary>
    private static void Carrier(NetnsTopology topology, NetnsPath path, string state) =>
        Shell.Run($"ip -n {topology.RouterNs} link set dev {path.RouterClientIf} {state}; ip -n {topology.RouterNs} link set dev {path.RouterServerIf} {state}");
}
