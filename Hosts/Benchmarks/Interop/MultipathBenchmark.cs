using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using MptcpActors.Cli.Tests.Interop;

namespace MptcpActors.Benchmarks.Interop;

/// <summary>
/// <c>--interop --only aggregate,failover</c> (root): MPTCP over two paths (<see cref="MultiPathNetwork"/>, the tests'
/// topology, linked into this project) between the engine and the Linux kernel, against kernel ↔ kernel on a topology of
/// the same shape whose engine namespace has kernel addresses (kernelOnBothSides). Every measurement gets fresh
/// namespaces, so no path manager state, counter or queue carries over from one to the next.
/// <para>
/// Shaping: a token bucket on every path each way, both on the kernel namespace's side (the bridge port's egress for
/// kernel → engine side, its ingress through an ifb device for engine side → kernel): whichever program sends from the
/// engine's side — the engine's raw socket or the baseline's kernel — meets a bottleneck that drops, not a qdisc of its
/// own that pushes back (a kernel sender would be paced by it, the engine would see local drops: an unequal race).
/// Without the ifb module the engine side's bucket goes on its own veth's egress (MultiPathNetwork's bothWays).
/// </para>
/// <para>
/// Receivers time their own reads (<see cref="MultipathScripts"/>): goodput is bytes / first read → last read, the kernel
/// receiver's or, when the engine receives, that of the launcher reading the engine's stdout in 64 KiB chunks.
/// </para>
/// </summary>
internal static class MultipathBenchmark
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly List<MultiPathNetwork> Live = [];
    private static readonly PosixSignalRegistration[] Signals =
        [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT }.Select(s => PosixSignalRegistration.Create(s, _ => DisposeAll()))];
    private static int _port = 7400;

    static MultipathBenchmark()
    {
        // MultiPathNetwork (shared with the tests) leaves interruption to its host: remove its namespaces on Ctrl-C and kill too.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeAll();
        GC.KeepAlive(Signals);
    }

    /// <summary>Who sends and who receives, and in which topology (the engine's, or kernel on both sides).</summary>
    private enum Run
    {
        /// <summary>(a) engine connect (subflow endpoint on path 1) → kernel MPTCP server on path 0.</summary>
        EngineSends,

        /// <summary>(b) kernel MPTCP client (subflow endpoint on path 1) → engine listen on both paths.</summary>
        EngineReceives,

        /// <summary>(c) baseline of (a): the engine namespace's kernel sends, with the same endpoint.</summary>
        KernelSendsFromEngineSide,

        /// <summary>(c) baseline of (b): the engine namespace's kernel receives.</summary>
        KernelReceivesOnEngineSide,
    }

    /// <summary>
    /// What a receiver saw: bytes, first and last read (monotonic seconds), the longest silence between two reads with
    /// data and every silence of 20 ms or more (longest first), each as (seconds, start).
    /// </summary>
    private sealed record Reads(long Bytes, double T0, double T1, (double Seconds, double Start) Longest, IReadOnlyList<(double Seconds, double Start)> Gaps)
    {
        public double Mbps => Bytes * 8 / (T1 - T0) / 1e6;

        /// <summary>The longest silence that ended after <paramref name="instant"/> (0 if none reached 20 ms).</summary>
        public (double Seconds, double Start) LongestEndingAfter(double instant)
        {
            (double Seconds, double Start) best = (0, instant);
            foreach (var g in Gaps.Prepend(Longest))
                if (g.Start + g.Seconds > instant && g.Seconds > best.Seconds) best = g;
            return best;
        }

        public static Reads From(JsonElement j)
        {
            static (double, double) Gap(JsonElement g) => (g[0].GetDouble(), g[1].GetDouble());
            return new(j.GetProperty("bytes").GetInt64(), j.GetProperty("t0").GetDouble(), j.GetProperty("t1").GetDouble(), Gap(j.GetProperty("longest")),
                [.. j.GetProperty("gaps").EnumerateArray().Select(Gap)]);
        }
    }

    /// <summary>
    /// One transfer: the receiver's reads, how the bytes split over the paths (as the kernel's veth ends counted them, headers
    /// included: once per GSO packet of a kernel sender, once per frame of the engine), notes.
    /// </summary>
    private sealed record Measured(Reads Reads, long[] PathBytes, string Note, double BlackholedAt = double.NaN, long Dropped = 0)
    {
        public string Split => string.Join(" / ", PathBytes.Select(b => (b / 1e6).ToString("0.0", Inv))) + " MB per path at the kernel's veth ends";

        /// <summary>The failover's own silence: the longest that ended after the blackhole (the longest overall may predate it).</summary>
        public double FailoverGap => Reads.LongestEndingAfter(BlackholedAt).Seconds;

        /// <summary>Blackhole → the receiver's last read.</summary>
        public double Complete => Reads.T1 - BlackholedAt;
    }

    // ---- aggregate ----

    /// <summary>Goodput over two paths of <paramref name="mbit"/> each: engine sending, engine receiving, kernel ↔ kernel each way.</summary>
    public static int Aggregate(InteropBenchmark.Context ctx, long bytes, double mbit, List<string> summary)
    {
        var failures = 0;
        var sum = 2 * mbit;
        var timeout = Timeout(bytes, sum);
        Console.WriteLine(string.Create(Inv, $"(aggregate) two paths of {mbit:0} Mbit/s each way ({sum:0} Mbit/s summed), {bytes / 1e6:0} MB per transfer, " +
            $"{Describe(mbit)}; goodput = bytes / the receiver's first read -> last read; median of {ctx.Repeat}"));
        var results = new Dictionary<Run, Measured?>();
        foreach (var run in new[] { Run.KernelSendsFromEngineSide, Run.EngineSends, Run.KernelReceivesOnEngineSide, Run.EngineReceives })
        {
            var runs = InteropProcess.Runs(ctx.Repeat, () => Transfer(ctx, run, bytes, mbit, timeout, failover: null), out var error);
            var outcome = AtMedian(runs, m => m.Reads.Mbps);
            results[run] = outcome;
            if (outcome is null)
            {
                failures++;
                Console.WriteLine($"(aggregate) {Label(run)}: FAILED: {error}");
                continue;
            }
            var spread = Spread(runs, m => m.Reads.Mbps, "0.0", "");
            Console.WriteLine(string.Create(Inv, $"(aggregate) {Label(run)}: {outcome.Reads.Mbps:0.0} Mbit/s{spread}, {outcome.Reads.Mbps / sum:0.000} of the summed rate; " +
                $"{outcome.Reads.Bytes / 1e6:0.0} MB in {outcome.Reads.T1 - outcome.Reads.T0:0.000} s; {outcome.Split}{outcome.Note}"));
        }
        void Ratio(string name, Run engine, Run kernel)
        {
            var e = results.GetValueOrDefault(engine);
            var k = results.GetValueOrDefault(kernel);
            var line = e is not null && k is not null
                ? string.Create(Inv, $"{name}: engine {e.Reads.Mbps:0.0} Mbit/s, kernel {k.Reads.Mbps:0.0} Mbit/s, ratio {e.Reads.Mbps / k.Reads.Mbps:0.000} " +
                    $"{(e.Reads.Mbps >= k.Reads.Mbps ? "met" : "NOT met")}; of the summed {sum:0} Mbit/s: engine {e.Reads.Mbps / sum:0.000}, kernel {k.Reads.Mbps / sum:0.000}")
                : $"{name}: {(e is null ? "engine" : "kernel")} FAILED";
            Console.WriteLine("(aggregate) " + line);
            summary.Add("(aggregate) " + line);
        }
        Ratio("a/c engine->kernel", Run.EngineSends, Run.KernelSendsFromEngineSide);
        Ratio("b/c kernel->engine", Run.EngineReceives, Run.KernelReceivesOnEngineSide);
        return failures;
    }

    // ---- failover ----

    /// <summary>
    /// Path 0 (the initial subflow's) blackholed <paramref name="after"/> after the join is up, engine sender against
    /// kernel sender, both to a kernel receiver: the receiver's longest silence and the time to complete.
    /// </summary>
    public static int Failover(InteropBenchmark.Context ctx, long bytes, double mbit, TimeSpan after, List<string> summary)
    {
        var failures = 0;
        var timeout = Timeout(bytes, mbit);
        Console.WriteLine(string.Create(Inv, $"(failover) two paths of {mbit:0} Mbit/s each way, {bytes / 1e6:0} MB to a kernel MPTCP receiver, path 0 " +
            $"(the initial subflow's) blackholed both ways (nft) {after.TotalSeconds:0.#} s after the receiver's kernel counted the join's third ACK; " +
            $"{Describe(mbit)}; gap = the receiver's longest time between two reads with data; medians of {ctx.Repeat}"));
        var results = new Dictionary<Run, List<Measured>>();
        foreach (var run in new[] { Run.KernelSendsFromEngineSide, Run.EngineSends })
        {
            var runs = results[run] = InteropProcess.Runs(ctx.Repeat, () => Transfer(ctx, run, bytes, mbit, timeout, after), out var error);
            var who = run == Run.EngineSends ? "engine sends" : "kernel sends";
            if (AtMedian(runs, m => m.Reads.Longest.Seconds) is not { } typical)
            {
                failures++;
                Console.WriteLine($"(failover) {who}: FAILED: {error}");
                continue;
            }
            var r = typical.Reads;
            var tb = typical.BlackholedAt;
            var gaps = string.Join(", ", r.Gaps.Take(3).Select(g => string.Create(Inv, $"{g.Seconds:0.000} s from {g.Start - tb:+0.000;-0.000} s")));
            Console.WriteLine(string.Create(Inv, $"(failover) {who}: longest gap {Median(runs, m => m.Reads.Longest.Seconds):0.000} s" +
                $"{Spread(runs, m => m.Reads.Longest.Seconds, "0.000", " s")}; longest gap ending after the blackhole {Median(runs, m => m.FailoverGap):0.000} s" +
                $"{Spread(runs, m => m.FailoverGap, "0.000", " s")}; complete {Median(runs, m => m.Complete):0.000} s after the blackhole" +
                $"{Spread(runs, m => m.Complete, "0.00", " s")}"));
            Console.WriteLine(string.Create(Inv, $"    the run of the median longest gap: {r.T1 - r.T0:0.000} s first -> last byte ({r.Mbps:0.0} Mbit/s); " +
                $"longest gaps (start relative to the blackhole): {gaps}; path 0 dropped {typical.Dropped} frames; {typical.Split}{typical.Note}"));
        }
        var e = results.GetValueOrDefault(Run.EngineSends) ?? [];
        var k = results.GetValueOrDefault(Run.KernelSendsFromEngineSide) ?? [];
        string Compare(string what, Func<Measured, double> key)
        {
            var (em, km) = (Median(e, key), Median(k, key));
            return string.Create(Inv, $"{what} engine {em:0.000} s, kernel {km:0.000} s, ratio {em / km:0.000} {(em <= km ? "met" : "NOT met")}");
        }
        var line = e.Count > 0 && k.Count > 0
            ? $"{Compare("longest gap", m => m.Reads.Longest.Seconds)}; {Compare("longest gap ending after the blackhole", m => m.FailoverGap)}; " +
              string.Create(Inv, $"complete after the blackhole: engine {Median(e, m => m.Complete):0.000} s, kernel {Median(k, m => m.Complete):0.000} s")
            : $"{(e.Count == 0 ? "engine" : "kernel")} FAILED";
        Console.WriteLine("(failover) " + line);
        summary.Add("(failover) " + line);
        return failures;
    }

    // ---- one transfer ----

    private static Measured Transfer(InteropBenchmark.Context ctx, Run run, long bytes, double mbit, TimeSpan timeout, TimeSpan? failover)
    {
        var port = Interlocked.Increment(ref _port);
        var kernelOnBothSides = run is Run.KernelSendsFromEngineSide or Run.KernelReceivesOnEngineSide;
        using var lease = Topology(kernelOnBothSides, mbit);
        var net = lease.Network;
        var (p0, p1) = (net.Paths[0], net.Paths[1]);
        var stats = Path.Combine(ctx.ScriptDir, $"stats-{port}.json");
        var engineSideSends = run is Run.EngineSends or Run.KernelSendsFromEngineSide;

        // The sender opens the join from its path-1 address to the receiver's path-0 address (a subflow endpoint), as in
        // MultipathInteropTests: limits as the engine's defaults (2 subflows), the kernel client's as there (1).
        switch (run)
        {
            case Run.EngineSends:
                net.SetLimits(net.KernelNs, subflows: 2, addAddrAccepted: 0);
                break;
            case Run.KernelSendsFromEngineSide:
                net.SetLimits(net.KernelNs, subflows: 2, addAddrAccepted: 0);
                net.SetLimits(net.EngineNs, subflows: 2, addAddrAccepted: 0);
                net.AddEndpoint(net.EngineNs, p1.EngineIp, "subflow", dev: p1.EngineIf);
                break;
            case Run.EngineReceives:
                net.SetLimits(net.KernelNs, subflows: 1, addAddrAccepted: 0);
                net.AddEndpoint(net.KernelNs, p1.KernelIp, "subflow", dev: p1.KernelIf);
                break;
            case Run.KernelReceivesOnEngineSide:
                net.SetLimits(net.KernelNs, subflows: 1, addAddrAccepted: 0);
                net.AddEndpoint(net.KernelNs, p1.KernelIp, "subflow", dev: p1.KernelIf);
                net.SetLimits(net.EngineNs, subflows: 2, addAddrAccepted: 0);
                break;
        }

        var (receiverNs, receiverIp) = engineSideSends ? (net.KernelNs, p0.KernelIp) : (net.EngineNs, p0.EngineIp);
        JsonElement received;
        string note = "";
        var blackholedAt = double.NaN;
        if (run == Run.EngineReceives)
        {
            using var engine = new InteropProcess("engine 'mptcp listen' (two paths)",
                ["python3", ctx.Multipath, "engine-recv", bytes.ToString(Inv), "ip", "netns", "exec", net.EngineNs, ctx.Dotnet, ctx.MptcpDll,
                    "listen", "--port", port.ToString(Inv), "--iface", p0.EngineIface, "--iface", p1.EngineIface, "--stats", stats]);
            using var sender = Mp(ctx, net.KernelNs, "kernel MPTCP sender", "send", p0.EngineIp, port, bytes);
            received = engine.WaitJson(timeout);
            sender.WaitJson(TimeSpan.FromSeconds(30));
            var code = received.GetProperty("exit").GetInt32();
            if (code != 0) note += $", engine exited {code}: {InteropProcess.Tail(engine.Stderr, 300)}";
        }
        else
        {
            using var receiver = Mp(ctx, receiverNs, "kernel MPTCP receiver", "recv", receiverIp, port, 0);
            var said = receiver.ReadLine(TimeSpan.FromSeconds(20));
            if (said != "listening") throw new InvalidOperationException($"{receiver.What} said '{said}', not 'listening'");
            using var sender = run == Run.EngineSends
                ? new InteropProcess("engine 'mptcp connect' (two paths)",
                    ["python3", ctx.Launcher, bytes.ToString(Inv), timeout.TotalSeconds.ToString(Inv), "ip", "netns", "exec", net.EngineNs, ctx.Dotnet, ctx.MptcpDll,
                        "connect", p0.KernelIp, port.ToString(Inv), "--iface", p0.EngineIface, "--iface", $"{p1.EngineIface},gw={p1.KernelIp}",
                        "--endpoint", $"{p1.EngineIp},subflow", "--stats", stats])
                : engineSideSends
                    ? Mp(ctx, net.EngineNs, "kernel MPTCP sender", "send", p0.KernelIp, port, bytes)
                    : Mp(ctx, net.KernelNs, "kernel MPTCP sender", "send", p0.EngineIp, port, bytes);
            if (failover is { } after)
            {
                // The receiver's kernel counts the join's third ACK: the second subflow is up, whoever sends.
                if (!net.WaitForCounter(net.KernelNs, "MPTcpExtMPJoinAckRx", 1, TimeSpan.FromSeconds(30)))
                    throw new InvalidOperationException($"no join within 30 s: {Counters(net, net.KernelNs)}; {InteropProcess.Tail(sender.Stderr, 300)}");
                Thread.Sleep(after);
                if (receiver.HasExited) throw new InvalidOperationException("the transfer was over before the blackhole: give it more bytes");
                net.Blackhole(0);
                // When nft returned: the rule took effect at the latest then (nft itself takes a few milliseconds).
                blackholedAt = Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
            }
            received = receiver.WaitJson(timeout);
            var done = sender.WaitJson(TimeSpan.FromSeconds(30));
            if (run == Run.EngineSends)
            {
                var code = done.GetProperty("exit").GetInt32();
                if (code != 0) note += $", engine exited {code}: {InteropProcess.Tail(sender.Stderr, 300)}";
                if (done.GetProperty("fed").GetInt64() != bytes) throw new InvalidOperationException($"fed {done.GetProperty("fed")} of {bytes} bytes to the engine");
            }
        }

        var reads = Reads.From(received);
        if (reads.Bytes != bytes) throw new InvalidOperationException($"the receiver got {reads.Bytes} of {bytes} bytes{note}");
        if (run is Run.EngineSends or Run.EngineReceives) note += EngineNote(stats);
        else note += ", kernel receiver: " + Counters(net, engineSideSends ? net.KernelNs : net.EngineNs);
        var pathBytes = net.Paths.Select(p => engineSideSends ? net.KernelRxBytes(p.Index) : net.KernelTxBytes(p.Index)).ToArray();
        return new Measured(reads, pathBytes, note, blackholedAt, failover is null ? 0 : net.Dropped(0));
    }

    /// <summary>The engine's --stats, briefly: fallback, subflows with what each carried and retransmitted.</summary>
    private static string EngineNote(string stats)
    {
        if (!File.Exists(stats)) return ", the engine wrote no --stats";
        using var doc = JsonDocument.Parse(File.ReadAllText(stats));
        File.Delete(stats);
        var c = doc.RootElement.GetProperty("connection");
        var subs = doc.RootElement.GetProperty("subflows").EnumerateArray().Select(s => string.Create(Inv,
            $"{s.GetProperty("local_address").GetString()}->{s.GetProperty("remote_address").GetString()} " +
            $"sent {s.GetProperty("bytes_sent").GetInt64() / 1e6:0.0} MB recv {s.GetProperty("bytes_received").GetInt64() / 1e6:0.0} MB " +
            $"retx {s.GetProperty("retransmitted_bytes").GetInt64() / 1e6:0.00} MB srtt {s.GetProperty("srtt_ms").GetDouble():0.0} ms {s.GetProperty("ended").GetString()}")).ToList();
        return $", engine: {(c.GetProperty("fallback").GetBoolean() ? "FELL BACK, " : "")}{subs.Count} subflow(s) [{string.Join("; ", subs)}]" +
               string.Create(Inv, $", reinjected {c.GetProperty("reinjected_bytes").GetInt64() / 1e6:0.00} MB");
    }

    /// <summary>The join, retransmission and fallback counters (MPTcpExt*) of <paramref name="ns"/>'s kernel that are not zero.</summary>
    private static string Counters(MultiPathNetwork net, string ns) =>
        string.Join(' ', net.Nstat(ns)
            .Where(c => c.Value != 0 && (c.Key.Contains("Join", StringComparison.Ordinal) || c.Key.Contains("Retrans", StringComparison.Ordinal)
                                         || c.Key.Contains("Reinject", StringComparison.Ordinal) || c.Key.Contains("Fallback", StringComparison.Ordinal)))
            .Select(c => $"{c.Key[8..]}={c.Value}"));

    private static InteropProcess Mp(InteropBenchmark.Context ctx, string ns, string what, string role, string host, int port, long bytes)
    {
        var argv = new List<string> { "ip", "netns", "exec", ns, "python3", ctx.Multipath, role, host, port.ToString(Inv) };
        if (role == "send") argv.Add(bytes.ToString(Inv));
        return new InteropProcess($"{what} ({ns})", argv);
    }

    // ---- topology ----

    /// <summary>A topology in use: disposing it removes its namespaces and forgets it.</summary>
    private sealed class Lease(MultiPathNetwork network) : IDisposable
    {
        public MultiPathNetwork Network => network;
        public void Dispose() => MultipathBenchmark.Dispose(network);
    }

    private static Lease Topology(bool kernelOnBothSides, double mbit)
    {
        var net = new MultiPathNetwork(paths: 2, kernelOnBothSides: kernelOnBothSides);
        lock (Live) Live.Add(net);
        try
        {
            foreach (var p in net.Paths) Shape(net, p, mbit);
        }
        catch
        {
            Dispose(net);
            throw;
        }
        return new Lease(net);
    }

    /// <summary>Whether ifb (and so the kernel-side bucket of engine side → kernel) is available: asked once.</summary>
    private static readonly Lazy<bool> HasIfb = new(() =>
    {
        var name = $"mpifb{Environment.ProcessId % 100000}";
        try
        {
            InteropNetwork.Sh($"ip link add {name} type ifb && ip link del {name}");
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    });

    private static string Describe(double mbit) => string.Create(Inv,
        $"tbf {mbit:0}mbit latency 50ms {(HasIfb.Value ? "on the kernel side both ways (bridge port egress; its ingress through ifb)" : "on each veth end's egress (no ifb module)")}");

    private static void Shape(MultiPathNetwork net, NetworkPath p, double mbit)
    {
        if (!HasIfb.Value)
        {
            net.RateLimit(p.Index, mbit, bothWays: true);
            return;
        }
        net.RateLimit(p.Index, mbit);
        // The same bucket as RateLimit's, on what arrives from the engine's side, before the bridge (and its nft faults) sees it.
        var burst = Math.Max(Math.Max(32 * 1024, 2 * (net.Mtu + 14)), (long)(mbit * 1e6 / 8 / 100));
        var ifb = "mi" + p.KernelPort[2..];
        var redirect = $"action mirred egress redirect dev {ifb}";
        net.InKernelNs($"ip link add {ifb} type ifb && ip link set {ifb} up && " +
                       $"tc qdisc add dev {ifb} root tbf rate {mbit.ToString("0.###", Inv)}mbit burst {burst} latency 50ms && " +
                       $"tc qdisc add dev {p.KernelPort} handle ffff: ingress && " +
                       $"(tc filter add dev {p.KernelPort} parent ffff: protocol all matchall {redirect} 2>/dev/null || " +
                       $"tc filter add dev {p.KernelPort} parent ffff: protocol all u32 match u32 0 0 {redirect})");
    }

    /// <summary>Bounds a transfer: half a minute plus four times what it takes at <paramref name="mbit"/>.</summary>
    private static TimeSpan Timeout(long bytes, double mbit) => TimeSpan.FromSeconds(30 + 4 * bytes * 8 / (mbit * 1e6));

    /// <summary>The run whose <paramref name="key"/> is the median (the upper one of an even count); null when there is none.</summary>
    private static Measured? AtMedian(List<Measured> runs, Func<Measured, double> key) =>
        runs.Count == 0 ? null : runs.OrderBy(key).ElementAt(runs.Count / 2);

    private static double Median(List<Measured> runs, Func<Measured, double> key) => AtMedian(runs, key) is { } m ? key(m) : double.NaN;

    /// <summary>" (runs a / b / c UNIT)" in run order, or nothing for a single run.</summary>
    private static string Spread(List<Measured> runs, Func<Measured, double> key, string format, string unit) =>
        runs.Count > 1 ? " (runs " + string.Join(" / ", runs.Select(r => key(r).ToString(format, Inv))) + unit + ")" : "";

    private static string Label(Run run) => run switch
    {
        Run.EngineSends => "(a) engine -> kernel",
        Run.EngineReceives => "(b) kernel -> engine",
        Run.KernelSendsFromEngineSide => "(c) kernel -> kernel, engine side sends",
        _ => "(c) kernel -> kernel, engine side receives",
    };

    private static void Dispose(MultiPathNetwork net)
    {
        net.Dispose();
        lock (Live) Live.Remove(net);
    }

    private static void DisposeAll()
    {
        MultiPathNetwork[] all;
        lock (Live) all = [.. Live];
        foreach (var n in all) Dispose(n);
    }
}
