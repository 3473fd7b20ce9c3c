using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Akka.Actor;
using Akka.Configuration;
using Akka.IO;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Sim;
using MptcpActors.Cluster;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Benchmarks;

/// <summary>
/// <c>--cluster-connections N [--data BYTES] [--heap-limit-gb G] [--hold-seconds S] [--log-info]</c> (no root): how many idle MPTCP
/// connections three cluster nodes hold, and what each costs. Three engine nodes of one Akka.Cluster (ActorSystems in
/// this process on loopback remoting, the sharded token registry, cluster-wide signal endpoints) and an engine client
/// (an ActorSystem of its own) on one simulated network run in real time: path i joins the client (10.8.i.1) to node i
/// (10.8.i.2), and every node signals its own address. Connection k goes to node k mod 3; the client accepts one
/// ADD_ADDR and joins it, so each connection's second subflow lands on another node than its owner. After all have
/// two subflows at both ends (and, with --data, the client has sent BYTES on each and the nodes received them all), a
/// few seconds of idle, then full blocking GCs: the live managed heap over the empty cluster's with the client, then
/// again once the client's system is gone (the nodes' connections stay up: nothing more arrives) — the service's own
/// cost per connection; with --hold-seconds, measured once more after the hold (at 100,000 the first, 2 s after the
/// client stopped, still holds work under way). One count per process (run it again for another): its heap starts fresh. Bounded in time and
/// in heap (--heap-limit-gb, default 15): what is not reached is reported, with how far it got.
/// </summary>
public static class ClusterConnectionsBenchmark
{
    /// <summary>The issue's target: 100 k connections over three nodes.</summary>
    private const int Target = 100_000;
    private const int Nodes = 3;
    /// <summary>
    /// Each node listens on several ports: a client address has 28,232 ephemeral ports per remote address and port, fewer
    /// than the 33,334 connections a node gets at the target.
    /// </summary>
    private const int Ports = 4;
    private const ushort FirstPort = 8080;
    private const int Batch = 250;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly LinkParameters Link = new(RateBps: 1e9, Delay: TimeSpan.FromMilliseconds(1), QueueLimitPackets: 10_000);

    public static int Run(string[] args)
    {
        var n = IntArgument.Read(args, "--cluster-connections", 10_000);
        var data = IntArgument.Read(args, "--data", 0);
        var heapLimit = IntArgument.Read(args, "--heap-limit-gb", 15) * 1_000_000_000L;
        var hold = TimeSpan.FromSeconds(IntArgument.Read(args, "--hold-seconds", 0));
        Console.WriteLine(string.Create(Inv, $"cluster-connections: {n:N0} MPTCP connections x 2 subflows over {Nodes} cluster nodes (one process, loopback remoting, " +
            $"simulated paths), the client in the same process{(data > 0 ? $", {data} bytes sent on each" : ", idle")}; {Environment.ProcessorCount} CPUs, " +
            $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1e9:0} GB, workstation GC (concurrent off), .NET {Environment.Version}; heap bound {heapLimit / 1e9:0} GB"));
        var line = Measure(n, data, heapLimit, hold, args.Contains("--log-info"));
        Console.WriteLine(line);
        return line.Contains("NOT reached", StringComparison.Ordinal) ? 1 : 0;
    }

    private static IpAddressBytes Ip(int node, bool client) => IpAddressBytes.From(IPAddress.Parse($"10.8.{node}.{(client ? 1 : 2)}"));

    private static MptcpSettings NodeSettings(int node) => MptcpSettings.FromHocon($$"""
        mptcp.path-manager {
          limits { subflows = 2 }
          endpoints = [ { address = 10.8.{{node}}.2, flags = [signal] } ]
        }
        """);

    /// <summary>The client joins the first address it is told of (another node's: a connection never announces the address it came to).</summary>
    private static readonly MptcpSettings ClientSettings = MptcpSettings.FromHocon("mptcp.path-manager.limits { subflows = 1, add-addr-accepted = 3 }");

    private static string Measure(int n, int data, long heapLimit, TimeSpan hold, bool logInfo)
    {
        var run = Stopwatch.StartNew();
        // 20 ms a connection on top of a minute (100,000: 34 minutes); a minute without progress ends it too. Generous:
        // the machine is shared with other work.
        var limit = TimeSpan.FromSeconds(60) + TimeSpan.FromMilliseconds(20.0 * n);
        var stall = TimeSpan.FromSeconds(60);
        var errors = new IdleMemoryBenchmark.ErrorCount();
        // Errors are counted, not printed (a run out of memory fails thousands of actors alike); --log-info prints the engine's log.
        var quiet = ConfigurationFactory.ParseString((logInfo ? "akka.loglevel = INFO\n" : "akka.loglevel = ERROR\nakka.stdout-loglevel = OFF\nakka.loggers = []\n") +
            "akka.log-dead-letters = off\nakka.log-dead-letters-during-shutdown = off");
        var network = new SimNetwork(13);
        var macs = new Dictionary<IpAddressBytes, byte[]>();
        var links = new List<SimLink>();
        for (var i = 0; i < Nodes; i++)
        {
            links.Add(network.Link($"p{i}", "client", $"n{i}", Link));
            macs[Ip(i, client: true)] = network.Host("client").Port($"p{i}").MacAddress.ToArray();
            macs[Ip(i, client: false)] = network.Host($"n{i}").Port($"p{i}").MacAddress.ToArray();
        }
        var simSystem = ActorSystem.Create("sim", quiet);
        var sim = simSystem.ActorOf(SimNetworkActor.Props(network), "sim");
        // The three nodes share one process: the measurement's full blocking GC of a multi-gigabyte heap stops all of them
        // at once, which their failure detectors would take for unreachable peers (and fail every cross-node subflow,
        // seen at 100,000). Separate machines do not pause together; here a pause of up to a minute is not a failure.
        var nodeConfig = quiet.WithFallback(ConfigurationFactory.ParseString("akka.cluster.failure-detector.acceptable-heartbeat-pause = 60s"))
            .WithFallback(MptcpCluster.Config(new ClusterOptions("127.0.0.1", 0, [])));
        var nodes = Enumerable.Range(0, Nodes).Select(_ => ActorSystem.Create(ClusterOptions.SystemName, nodeConfig)).ToList();
        ActorSystem? clientSystem = null;
        try
        {
            foreach (var system in nodes) CountErrors(system, errors);
            var seed = Akka.Cluster.Cluster.Get(nodes[0]).SelfAddress;
            foreach (var system in nodes) Akka.Cluster.Cluster.Get(system).Join(seed);
            while (nodes.Any(s => Akka.Cluster.Cluster.Get(s).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) < Nodes))
            {
                if (run.Elapsed > TimeSpan.FromSeconds(60)) return "NOT reached: the three nodes were not Up within 60 s";
                Thread.Sleep(100);
            }

            var owned = Enumerable.Range(0, Nodes).Select(_ => new ConcurrentQueue<IActorRef>()).ToList();
            long received = 0;
            Action<int> countReceived = count => Interlocked.Add(ref received, count);
            for (var i = 0; i < Nodes; i++)
            {
                var node = nodes[i];
                var settings = NodeSettings(i);
                var registry = MptcpCluster.StartAsync(node).GetAwaiter().GetResult();
                var routes = SimTwoNodes.SimHostInterfaces(node, sim, $"n{i}", [new SimHostEnd($"p{i}", Ip(i, client: false), 24, Ip(i, client: true))], settings, macs);
                var manager = node.ActorOf(MptcpManager.Props(settings, routes, registry: registry), "mptcp");
                MptcpCluster.ShareSignalEndpoints(node, manager);
                var connections = owned[i];
                var app = node.ActorOf(Props.Create(() => new IdleMemoryBenchmark.ServerEnd(connections, countReceived)), "app");
                for (var p = 0; p < Ports; p++)
                {
                    var bound = manager.Ask<object>(new TcpMsg.Bind(app, new IPEndPoint(IPAddress.Any, FirstPort + p)), TimeSpan.FromSeconds(10)).Result;
                    if (bound is not TcpMsg.Bound) return $"NOT reached: node {i} could not listen: {bound}";
                }
            }
            // Every node's signal endpoint reaches the others' path managers (cluster-wide signal endpoints) before the first connection.
            Thread.Sleep(TimeSpan.FromSeconds(3));
            var empty = IdleMemoryBenchmark.LiveHeap();
            using var self = Process.GetCurrentProcess();
            self.Refresh();
            var emptyWorkingSet = self.WorkingSet64;

            clientSystem = ActorSystem.Create("client", quiet);
            CountErrors(clientSystem, errors);
            var clientRoutes = SimTwoNodes.SimHostInterfaces(clientSystem, sim, "client",
                Enumerable.Range(0, Nodes).Select(i => new SimHostEnd($"p{i}", Ip(i, client: true), 24, Ip(i, client: false))).ToList(), ClientSettings, macs);
            var client = clientSystem.ActorOf(MptcpManager.Props(ClientSettings, clientRoutes), "mptcp");
            var clientConnections = new ConcurrentQueue<IActorRef>();
            var failed = 0;
            var clientEnd = clientSystem.ActorOf(Props.Create(() => new IdleMemoryBenchmark.ClientEnd(clientConnections, () => Interlocked.Increment(ref failed))), "app");

            int Owned() => owned.Sum(q => q.Count);
            string Unreached(string stage) => string.Create(Inv,
                $"{n:N0} connections: NOT reached ({stage}, stopped after {run.Elapsed.TotalSeconds:0} s): {clientConnections.Count:N0} connected at the client, " +
                $"{Owned():N0} at the nodes ({string.Join("/", owned.Select(q => q.Count))}), {failed} connects refused; {errors.Describe()}; " +
                $"managed heap then {GC.GetTotalMemory(false) / 1e9:0.0} GB ({(GC.GetTotalMemory(false) - empty) / 1024.0 / Math.Max(1, clientConnections.Count):0} KiB " +
                $"per connection so far, both ends), working set {Environment.WorkingSet / 1e6:0} MB");
            // Progress, or the reason to stop: time, a stall (a minute without progress), the heap bound.
            string? Wait(string stage, Func<int> done, int goal)
            {
                var progress = Stopwatch.StartNew();
                var seen = -1;
                while (done() < goal)
                {
                    if (done() != seen)
                    {
                        seen = done();
                        progress.Restart();
                    }
                    if (run.Elapsed > limit || progress.Elapsed > stall) return Unreached(stage);
                    if (GC.GetTotalMemory(false) > heapLimit) return Unreached($"{stage}: the heap outgrew {heapLimit / 1e9:0} GB");
                    Thread.Sleep(5);
                }
                return null;
            }

            var opening = Stopwatch.StartNew();
            for (var opened = 0; opened < n;)
            {
                var batch = Math.Min(Batch, n - opened);
                for (var k = opened; k < opened + batch; k++)
                    client.Tell(new TcpMsg.Connect(new IPEndPoint(Ip(k % Nodes, client: false).ToIPAddress(), FirstPort + k / Nodes % Ports)), clientEnd);
                opened += batch;
                // Both ends have it, or the connect failed: then the next batch.
                if (Wait("connecting", () => Math.Min(clientConnections.Count, Owned()) + Volatile.Read(ref failed), opened) is { } stopped) return stopped;
            }
            var connected = opening.Elapsed;
            if (failed > 0) return Unreached("connecting");

            var ends = clientConnections.Concat(owned.SelectMany(q => q)).ToList();
            var twoSubflows = IdleMemoryBenchmark.WaitForTwoSubflows(ends, () => run.Elapsed > limit);
            if (twoSubflows < ends.Count) return Unreached(string.Create(Inv, $"joining: {twoSubflows:N0} of {ends.Count:N0} ends with 2 subflows"));
            var joined = opening.Elapsed;
            ends.Clear();

            if (data > 0)
            {
                // One round of data on every connection, client to node: the buffers it took must go back once idle.
                var payload = ByteString.FromBytes(new byte[data]);
                foreach (var c in clientConnections) c.Tell(TcpMsg.Write.Create(payload));
                var goal = (long)n * data;
                if (Wait("sending", () => (int)(Interlocked.Read(ref received) * n / goal), n) is { } stopped) return stopped;
            }

            // Idle: delayed ACKs sent, timers run out, then the measurement.
            Thread.Sleep(TimeSpan.FromSeconds(5));
            var both = IdleMemoryBenchmark.LiveHeap();
            self.Refresh();
            var workingSet = self.WorkingSet64;
            // Said at once: what follows asks every connection again and stops the client, which a loaded machine may not finish.
            Console.WriteLine(string.Create(Inv, $"  {n:N0} opened in {connected.TotalSeconds:0.0} s, all with two subflows at both ends in {joined.TotalSeconds:0.0} s; " +
                $"managed heap {both / 1e6:0} MB over the empty cluster's {empty / 1e6:0} MB = {(double)(both - empty) / n / 1024:0.0} KiB per connection (both ends); " +
                $"working set {workingSet / 1e6:0} MB (empty {emptyWorkingSet / 1e6:0} MB)"));
            var (perOwner, perSubflowNode, elsewhere, unanswered) = Placement(owned);


            // The client gone, only the service's connections remain. The paths go silent first (blackholed, the carrier
            // stays): the resets of the client's stopping subflows never reach the nodes; and the client's ports let go
            // of its interfaces, so nothing of the client stays reachable from the network.
            var silent = new TaskCompletionSource();
            sim.Tell(new SimNetworkActor.ChangeNetwork(_ =>
            {
                links.ForEach(l =>
                {
                    l.Blackhole();
                    l.A.Detach();
                });
                silent.SetResult();
            }));
            if (!silent.Task.Wait(TimeSpan.FromSeconds(120))) return Unreached("silencing the paths");
            clientConnections.Clear();
            var stopping = Stopwatch.StartNew();
            // Not stopped in time, the client's actors are still in the heap measured as the nodes alone: said with it.
            var clientStopped = clientSystem.Terminate().Wait(TimeSpan.FromSeconds(120))
                ? string.Create(Inv, $"the client stopped in {stopping.Elapsed.TotalSeconds:0.0} s")
                : "the client NOT stopped after 120 s, still in this figure";
            clientSystem = null;
            Thread.Sleep(TimeSpan.FromSeconds(2));
            var service = IdleMemoryBenchmark.LiveHeap();
            if (hold > TimeSpan.Zero)
            {
                Console.WriteLine($"holding {hold.TotalSeconds:0} s for a heap dump of the nodes alone: dotnet-gcdump collect -p {Environment.ProcessId}");
                Thread.Sleep(hold);
            }
            // Measured again after the hold: whether the first figure had work still under way (the client's stop).
            var serviceLater = hold > TimeSpan.Zero ? IdleMemoryBenchmark.LiveHeap() : service;
            var alive = owned.SelectMany(q => q.Take(200)).Select(c => c.Ask<ConnectionInfo>(GetConnectionInfo.Instance, TimeSpan.FromSeconds(60))).ToArray();
            // A connection that no longer answers counts as gone (its ask times out).
            Task.WhenAll(alive).ContinueWith(_ => { }).Wait();
            var stillTwo = alive.Count(a => a.IsCompletedSuccessfully && a.Result.Subflows.Count == 2);
            var states = string.Join(", ", alive.GroupBy(a => a.IsCompletedSuccessfully ? $"{a.Result.State} with {a.Result.Subflows.Count} subflows" : "no answer")
                .Select(g => $"{g.Count()} {g.Key}"));

            var perBoth = (double)(both - empty) / n;
            var perService = (double)(service - empty) / n;
            var total = run.Elapsed;
            return string.Create(Inv,
                $"{n:N0} connections reached ({(double)n / Target:P0} of the {Target:N0} target); {errors.Describe()}\n" +
                $"  owners per node {string.Join("/", perOwner)}; subflows per node {string.Join("/", perSubflowNode)}; second subflow on another node than its owner: {elsewhere:P1}{(unanswered > 0 ? $" ({unanswered:N0} connections did not answer within 60 s)" : "")}\n" +
                $"  opened in {connected.TotalSeconds:0.0} s ({n / connected.TotalSeconds:0} connections/s), all with two subflows at both ends in {joined.TotalSeconds:0.0} s\n" +
                $"  managed heap: empty cluster {empty / 1e6:0} MB; with the connections and the client {both / 1e6:0} MB = {perBoth / 1024:0.0} KiB per connection (both ends); " +
                $"the nodes alone {service / 1e6:0} MB = {perService / 1024:0.0} KiB per connection (the service's side: owner, its subflow, the other node's subflow, the registry entry; {clientStopped}){(hold > TimeSpan.Zero ? $", {serviceLater / 1e6:0} MB = {(double)(serviceLater - empty) / n / 1024:0.0} KiB after the {hold.TotalSeconds:0} s hold" : "")}; " +
                $"{stillTwo} of {alive.Length} sampled connections still with two subflows ({states})\n" +
                $"  working set: {emptyWorkingSet / 1e6:0} MB empty, {workingSet / 1e6:0} MB with the connections and the client = {(workingSet - emptyWorkingSet) / 1024.0 / n:0.0} KiB per connection (both ends)\n" +
                $"  projected for {Target:N0} connections: the service's managed heap {empty / 1e9 + perService * Target / 1e9:0.0} GB, with the client here {empty / 1e9 + perBoth * Target / 1e9:0.0} GB " +
                $"(machine {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1e9:0} GB); whole run {total.TotalSeconds:0} s");
        }
        finally
        {
            clientSystem?.Terminate().Wait(TimeSpan.FromSeconds(60));
            foreach (var system in nodes) system.Terminate().Wait(TimeSpan.FromSeconds(30));
            simSystem.Terminate().Wait(TimeSpan.FromSeconds(30));
        }
    }

    private static void CountErrors(ActorSystem system, IdleMemoryBenchmark.ErrorCount errors) =>
        system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new IdleMemoryBenchmark.ErrorListener(errors))), typeof(Akka.Event.Error));

    /// <summary>
    /// Each node's connections asked for their info: connections per owner node, subflows per node they sit on (a
    /// subflow's local address is its node's), and the share of connections whose second subflow is on another node.
    /// </summary>
    private static (int[] Owners, int[] Subflows, double Elsewhere, int Unanswered) Placement(List<ConcurrentQueue<IActorRef>> owned)
    {
        var subflows = new int[Nodes];
        var elsewhere = 0;
        var unanswered = 0;
        for (var i = 0; i < Nodes; i++)
        {
            foreach (var chunk in owned[i].Chunk(500))
            {
                var asks = chunk.Select(c => c.Ask<ConnectionInfo>(GetConnectionInfo.Instance, TimeSpan.FromSeconds(60))).ToArray();
                Task.WhenAll(asks).ContinueWith(_ => { }).Wait();
                unanswered += asks.Count(a => !a.IsCompletedSuccessfully);
                foreach (var info in asks.Where(a => a.IsCompletedSuccessfully).Select(a => a.Result))
                {
                    var nodesOf = info.Subflows.Select(s => s.Key.LocalAddress.ToIPAddress().GetAddressBytes()[2]).ToList();
                    foreach (var node in nodesOf) subflows[node]++;
                    if (nodesOf.Any(node => node != i)) elsewhere++;
                }
            }
        }
        return (owned.Select(q => q.Count).ToArray(), subflows, (double)elsewhere / Math.Max(1, owned.Sum(q => q.Count) - unanswered), unanswered);
    }
}
