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
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Benchmarks;

/// <summary>
/// <c>--interop --only idle-memory</c> (no root): what an idle MPTCP connection with two subflows costs in memory. Two
/// engine nodes in this process joined by two simulated paths (a SimNetwork run in real time by a SimNetworkActor, one
/// InterfaceActor per path and node, each node's MptcpManager; the wiring of the actor tests' SimMptcpNodes, with the
/// default configuration). The client has a subflow endpoint on path 1,
/// so every connection joins a second subflow; the server writes one byte on each connection (data from the server
/// completes the client's MPTCP handshake, RFC 8684 §3.1, and the client joins only then). N connections are opened (in
/// batches, to keep the handshakes from swamping the simulated links), every one is asked for its
/// <see cref="ConnectionInfo"/> until both ends report two subflows, then a full blocking compacting GC: the live managed
/// heap over the empty nodes' heap, per connection (both ends live in this process: per end is half of it), and the
/// process working set. Each N runs in a process of its own, bounded in time and memory; what is not reached is reported.
/// </summary>
internal static class IdleMemoryBenchmark
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly LinkParameters Link = new(RateBps: 1e9, Delay: TimeSpan.FromMilliseconds(1), QueueLimitPackets: 10_000);
    private const int Batch = 250;
    private const ushort Port = 8080;

    private const string ClientConfig = """
        mptcp.path-manager {
          limits { subflows = 2, add-addr-accepted = 0 }
          endpoints = [ { address = 10.7.1.1, flags = [subflow] } ]
        }
        """;

    private const string ServerConfig = "mptcp.path-manager.limits.subflows = 2";

    /// <param name="counts">Connection counts, each measured in turn, each in a process of its own (see <see cref="Child"/>).</param>
    /// <param name="buffers">
    /// A byte size (HOCON, e.g. 64KiB) for mptcp.tcp.send-buffer, mptcp.tcp.receive-buffer and mptcp.reassembly-memory,
    /// or null for the configuration's defaults (4 MiB, 6 MiB, 6 MiB).
    /// </param>
    /// <param name="summary">Gets one line per count.</param>
    public static int Run(IReadOnlyList<int> counts, string? buffers, List<string> summary)
    {
        var what = buffers is null ? "default buffers" : $"buffers {buffers}";
        Console.WriteLine($"(idle-memory) idle MPTCP connections with two subflows between two engine nodes in one process, simulated paths, {what}; " +
            $"{Environment.ProcessorCount} CPUs, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1e9:0} GB, workstation GC (concurrent off), .NET {Environment.Version}; " +
            "one process per count");
        var failures = 0;
        foreach (var n in counts)
        {
            // A process per count: a fresh heap whose pages nothing touched yet (a heap reused after a bigger run counts
            // the zeroing of recycled memory in its working set), and a runtime that fails under memory pressure takes
            // only its own measurement down.
            var psi = new ProcessStartInfo(Environment.ProcessPath!,
                [typeof(IdleMemoryBenchmark).Assembly.Location, ChildFlag, n.ToString(Inv), .. buffers is null ? Array.Empty<string>() : [buffers]])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var child = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {psi.FileName}");
            var stdout = child.StandardOutput.ReadToEndAsync();
            var stderr = child.StandardError.ReadToEndAsync();
            var limit = Limit(n) + TimeSpan.FromSeconds(120);
            string line;
            if (!child.WaitForExit(limit))
            {
                child.Kill(true);
                line = $"{n:N0} connections: FAILED: no result within {limit.TotalSeconds:0} s (killed)";
            }
            else
            {
                child.WaitForExit();
                var said = stdout.Result.Trim();
                line = child.ExitCode == 0 && said.Length > 0
                    ? said
                    : $"{n:N0} connections: FAILED: the measuring process exited {child.ExitCode}" +
                      $"{(child.ExitCode == 139 ? " (SIGSEGV)" : "")}: {Interop.InteropProcess.Tail(said + " " + stderr.Result, 600)}";
            }
            if (line.Contains("FAILED", StringComparison.Ordinal)) failures++;
            Console.WriteLine($"(idle-memory) {what}: {line}");
            summary.Add($"(idle-memory) {what}: {line}");
        }
        return failures;
    }

    /// <summary>The flag that makes the benchmark program one measurement's process: <c>--idle-memory-child N [BUFFERS]</c>.</summary>
    public const string ChildFlag = "--idle-memory-child";

    /// <summary>One count's measurement, in the process <see cref="Run"/> started: prints one line, exits 0 (measured, or not reached) or 1.</summary>
    public static int Child(string[] args)
    {
        var i = Array.IndexOf(args, ChildFlag);
        var n = int.Parse(args[i + 1], Inv);
        var buffers = i + 2 < args.Length ? args[i + 2] : null;
        var hocon = buffers is null ? "" : $"mptcp.tcp.send-buffer = {buffers}\nmptcp.tcp.receive-buffer = {buffers}\nmptcp.reassembly-memory = {buffers}\n";
        try
        {
            Console.WriteLine(Measure(n, MptcpSettings.FromHocon(hocon + ClientConfig),
                MptcpSettings.FromHocon(hocon + ServerConfig)));
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or AggregateException or AskTimeoutException or MptcpConfigurationException)
        {
            Console.WriteLine($"{n:N0} connections: FAILED: {e.Message}");
            return 1;
        }
    }

    /// <summary>Generous but bounded: half a minute plus 20 ms a connection (10,000: under four and a half minutes).</summary>
    private static TimeSpan Limit(int n) => TimeSpan.FromSeconds(30) + TimeSpan.FromMilliseconds(20.0 * n);

    private static string Measure(int n, MptcpSettings clientSettings, MptcpSettings serverSettings)
    {
        var deadline = Stopwatch.StartNew();
        // Bounded in time, and 20 s without progress ends it too (connections whose actors failed never finish).
        var limit = Limit(n);
        var stall = TimeSpan.FromSeconds(20);
        // And in memory: the heap may not outgrow three quarters of the machine's. Past the machine's the GC runs out of
        // address range (about twice the physical memory) and actors fail with OutOfMemoryException, or the runtime itself
        // crashes (seen here: SIGSEGV in libcoreclr at 764 connections of 63 MB); and once the pages are touched, the
        // machine itself runs out.
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * 3 / 4;
        // Actor failures are counted, not printed: a run out of memory fails thousands of them alike.
        var system = ActorSystem.Create($"idle{n}", "akka.loglevel = ERROR\nakka.stdout-loglevel = OFF\nakka.loggers = []\n" +
            "akka.log-dead-letters = off\nakka.log-dead-letters-during-shutdown = off");
        var errors = new ErrorCount();
        system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new ErrorListener(errors)), "errors"), typeof(Akka.Event.Error));
        try
        {
            var (client, server) = Nodes(system, clientSettings, serverSettings);
            var clientConnections = new ConcurrentQueue<IActorRef>();
            var serverConnections = new ConcurrentQueue<IActorRef>();
            var failed = 0;
            var clientEnd = system.ActorOf(Props.Create(() => new ClientEnd(clientConnections, () => Interlocked.Increment(ref failed))), "client-app");
            Action<int> ignore = _ => { };
            var serverEnd = system.ActorOf(Props.Create(() => new ServerEnd(serverConnections, ignore)), "server-app");
            var bound = server.Ask<object>(new TcpMsg.Bind(serverEnd, new IPEndPoint(IPAddress.Any, Port)), TimeSpan.FromSeconds(10)).Result;
            if (bound is not TcpMsg.Bound) throw new InvalidOperationException($"the server could not listen: {bound}");
            var empty = LiveHeap();

            string Unreached(string stage, int? twoSubflows)
            {
                var ends = clientConnections.Count + serverConnections.Count;
                var joined = twoSubflows is { } t ? string.Create(Inv, $"{t:N0} of {ends:N0} ends with 2 subflows") : "subflows not asked yet";
                var grown = (double)(GC.GetTotalMemory(false) - empty);
                var per = grown / Math.Max(1, clientConnections.Count);
                return string.Create(Inv,
                    $"{n:N0} connections: NOT reached ({stage}, stopped after {deadline.Elapsed.TotalSeconds:0} s): {clientConnections.Count:N0} connected at the client, " +
                    $"{serverConnections.Count:N0} at the server, {failed} connects refused, {joined}; {errors.Describe()}; managed heap then {GC.GetTotalMemory(false) / 1e9:0.0} GB, " +
                    $"{per / 1024:0} KiB per connection so far ({per * n / 1e9:0} GB for {n:N0}; the bound is {memory / 1e9:0} GB), working set {Environment.WorkingSet / 1e6:0} MB");
            }

            var opening = Stopwatch.StartNew();
            var remote = new IPEndPoint(IPAddress.Parse("10.7.0.2"), Port);
            for (var opened = 0; opened < n;)
            {
                var batch = Math.Min(Batch, n - opened);
                for (var i = 0; i < batch; i++) client.Tell(new TcpMsg.Connect(remote), clientEnd);
                opened += batch;
                // Both ends have it, or the connect failed: then the next batch.
                var progress = Stopwatch.StartNew();
                var seen = 0;
                int Done() => Math.Min(clientConnections.Count, serverConnections.Count) + Volatile.Read(ref failed);
                while (Done() < opened)
                {
                    if (Done() != seen)
                    {
                        seen = Done();
                        progress.Restart();
                    }
                    if (deadline.Elapsed > limit || progress.Elapsed > stall) return Unreached("connecting", null);
                    if (GC.GetTotalMemory(false) - empty > memory) return Unreached("the heap outgrew 3/4 of the machine's memory", null);
                    Thread.Sleep(5);
                }
            }
            var connected = opening.Elapsed;
            if (failed > 0) return Unreached("connecting", null);

            var all = clientConnections.Concat(serverConnections).ToList();
            var twoSubflows = WaitForTwoSubflows(all, () => deadline.Elapsed > limit);
            if (twoSubflows < all.Count) return Unreached("joining", twoSubflows);
            var joined = opening.Elapsed;
            all.Clear();

            var heap = LiveHeap();
            using var self = Process.GetCurrentProcess();
            self.Refresh();
            var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
            var generations = string.Join(", ", new[] { "gen0", "gen1", "gen2", "LOH", "POH" }.Select((g, i) =>
                string.Create(Inv, $"{g} {info.GenerationInfo[i].SizeAfterBytes / 1e6:0.0} MB")));
            var per = (double)(heap - empty) / n;
            return string.Create(Inv, $"{n:N0} connections (x2 subflows, both ends in this process): managed heap {heap / 1e6:0.0} MB " +
                $"({(heap - empty) / 1e6:0.0} MB over the empty nodes' {empty / 1e6:0.0} MB) = {per / 1024:0.0} KiB per connection, " +
                $"{per / 2 / 1024:0.0} KiB per end; working set {self.WorkingSet64 / 1e6:0} MB; after the full GC: {generations}; " +
                $"all connected in {connected.TotalSeconds:0.0} s, all with 2 subflows in {joined.TotalSeconds:0.0} s; {errors.Describe()}");
        }
        finally
        {
            system.Terminate().Wait(TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>Asks every connection for its info (500 at a time) until each has reported two subflows or time is up; returns how many did.</summary>
    internal static int WaitForTwoSubflows(List<IActorRef> connections, Func<bool> timeUp)
    {
        var pending = connections.ToList();
        while (pending.Count > 0 && !timeUp())
        {
            var next = new List<IActorRef>();
            foreach (var chunk in pending.Chunk(500))
            {
                var asks = chunk.Select(c => c.Ask<ConnectionInfo>(GetConnectionInfo.Instance, TimeSpan.FromSeconds(30))).ToArray();
                Task.WaitAll(asks);
                next.AddRange(chunk.Where((_, i) => asks[i].Result.Subflows.Count < 2));
            }
            pending = next;
            if (pending.Count > 0) Thread.Sleep(100);
        }
        return connections.Count - pending.Count;
    }

    /// <summary>Bytes of live managed objects after a full, blocking, compacting collection (finalizers run, then again).</summary>
    internal static long LiveHeap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: false);
    }

    /// <summary>Client and server nodes on two paths (path i: 10.7.i.1 client, 10.7.i.2 server), the engine's own two-node wiring.</summary>
    private static (IActorRef Client, IActorRef Server) Nodes(ActorSystem system, MptcpSettings clientSettings, MptcpSettings serverSettings)
    {
        var paths = Enumerable.Range(0, 2).Select(i => new SimPath($"p{i}", Ip("client", i), Ip("server", i), 24, Link)).ToList();
        var nodes = new SimTwoNodes(system, paths, clientSettings, serverSettings, seed: 11);
        return (nodes.Local, nodes.Peer);
    }

    /// <summary>Errors the actor system logged (failed actors): how many, and the first one's cause.</summary>
    internal sealed class ErrorCount
    {
        private int _count;
        private string? _first;

        public void Add(Akka.Event.Error e)
        {
            if (Interlocked.Increment(ref _count) == 1)
                Volatile.Write(ref _first, $"{e.LogSource}: {(e.Cause is { } c ? (c.InnerException ?? c).GetType().Name : e.Message)}");
        }

        public string Describe() => Volatile.Read(ref _count) == 0
            ? "no actor failed"
            : string.Create(Inv, $"{Volatile.Read(ref _count):N0} actor failures, the first: {Volatile.Read(ref _first)}");
    }

    internal sealed class ErrorListener : ReceiveActor
    {
        public ErrorListener(ErrorCount errors) => Receive<Akka.Event.Error>(errors.Add);
    }

    private static IpAddressBytes Ip(string host, int path) => IpAddressBytes.From(IPAddress.Parse($"10.7.{path}.{(host == "client" ? 1 : 2)}"));

    /// <summary>The client's application: one actor for every connection; it registers each and keeps its reference.</summary>
    internal sealed class ClientEnd : ReceiveActor
    {
        public ClientEnd(ConcurrentQueue<IActorRef> connections, Action failed)
        {
            Receive<TcpMsg.Connected>(_ =>
            {
                Sender.Tell(new TcpMsg.Register(Self));
                connections.Enqueue(Sender);
            });
            Receive<TcpMsg.CommandFailed>(_ => failed());
            Receive<TcpMsg.Received>(_ => { });
        }
    }

    /// <summary>
    /// The server's application: registers each connection, writes one byte on it (the client joins after data), keeps
    /// its reference, and tells <paramref name="received"/> how many bytes each Received brought.
    /// </summary>
    internal sealed class ServerEnd : ReceiveActor
    {
        private static readonly ByteString One = ByteString.FromBytes([1]);

        public ServerEnd(ConcurrentQueue<IActorRef> connections, Action<int> received)
        {
            Receive<TcpMsg.Connected>(_ =>
            {
                Sender.Tell(new TcpMsg.Register(Self));
                Sender.Tell(TcpMsg.Write.Create(One));
                connections.Enqueue(Sender);
            });
            Receive<TcpMsg.Received>(r => received(r.Data.Count));
        }
    }
}
