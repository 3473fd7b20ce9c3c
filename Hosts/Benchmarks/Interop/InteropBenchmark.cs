using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace MptcpActors.Benchmarks.Interop;

/// <summary>
/// <c>--interop</c> (root): single-connection goodput of the engine against the Linux kernel, compared in the same run
/// and on the same veth with kernel → kernel, for plain TCP and for MPTCP, in three scenarios: (a) unshaped veth at MTU
/// 1500, (b) at MTU 9000, (c) through a 100 Mbit/s token bucket. (a) also measures the raw AF_PACKET send ceiling.
/// <para>
/// Directions: engine→kernel is <c>mptcp connect [--plain]</c> fed zeros on stdin against a kernel server that reads
/// and times first byte → EOF; kernel→engine is a kernel client that sends zeros to <c>mptcp listen [--plain]</c>
/// (stdout to /dev/null) and times connected → everything acknowledged. The kernel baseline of each direction runs the
/// same two kernel programs with the engine's address lent to the engine namespace's kernel. Every transfer is bounded
/// (bytes and seconds per scenario). Engine CPU: utime+stime of the engine process (/proc/PID/stat, sampled every
/// 10 ms) over the measured window, per gigabit of goodput.
/// </para>
/// <para>
/// Named with <c>--only</c>, three more: <c>aggregate</c> and <c>failover</c>, MPTCP over two shaped paths against the
/// kernel (<see cref="MultipathBenchmark"/>), and <c>idle-memory</c>, idle two-subflow connections between two engine
/// nodes on the simulator (<see cref="IdleMemoryBenchmark"/>; the one that needs no root).
/// </para>
/// </summary>
public static class InteropBenchmark
{
    private const string Prefix = "mptcp-bench";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(90);
    private static int _port = 7100;
    private static int _failures;

    private sealed record Scenario(string Id, string Name, int Mtu, bool Shaped, long Bytes, double Seconds);

    private enum Direction
    {
        EngineToKernel,
        KernelToEngine,
    }

    /// <summary>One timed transfer: goodput, what moved, CPU of the engine (engine runs) or of both kernel peers (baselines).</summary>
    private sealed record Transfer(long Bytes, double Seconds, double CpuSeconds, string? Note = null)
    {
        public double Mbps => Bytes * 8 / Seconds / 1e6;
        public double CpuPerGigabit => CpuSeconds / (Bytes * 8 / 1e9);
    }

    private sealed record Outcome(Transfer? Value, string? Error, IReadOnlyList<double> Runs)
    {
        /// <summary>Every run's goodput, in order, when there was more than one (the spread behind the median).</summary>
        public string Spread => Runs.Count > 1 ? " (runs " + string.Join(" / ", Runs.Select(r => r.ToString("0", Inv))) + " Mbit/s)" : "";
    }

    /// <summary>Every --only name: the single-connection scenarios, then the multipath and memory benchmarks.</summary>
    private static readonly string[] Names = ["a", "b", "c", "aggregate", "failover", "idle-memory"];

    private const string Usage =
        "usage: --interop [--only NAME,...] [--proto tcp,mptcp] [--repeat N] [--aggregate-mb N] [--failover-mb N] [--idle-connections N,...] [--idle-buffers SIZE]\n" +
        "  --only           a: unshaped veth MTU 1500 (+ raw AF_PACKET send ceiling); b: MTU 9000; c: 100 Mbit/s tbf (default a,b,c)\n" +
        "                   aggregate: MPTCP over two 50 Mbit/s paths, engine sending / receiving vs kernel <-> kernel, ratios and share of 100 Mbit/s\n" +
        "                   failover: two 20 Mbit/s paths, path 0 blackholed 2 s after the join; the kernel receiver's longest gap, engine vs kernel sender\n" +
        "                   idle-memory: idle two-subflow connections between two engine nodes on the simulator (no root): heap per connection\n" +
        "  --proto          a, b, c: tcp,mptcp (default both)\n" +
        "  --repeat N       runs of each measurement, the median is printed (default 3; idle-memory runs once)\n" +
        "  --aggregate-mb N bytes per aggregate transfer, in MB of 10^6 (default 64)\n" +
        "  --failover-mb N  bytes per failover transfer, in MB (default 32)\n" +
        "  --idle-connections N,...  idle-memory's connection counts, in turn (default 1000,10000)\n" +
        "  --idle-buffers SIZE       idle-memory with mptcp.tcp.send-buffer, receive-buffer and mptcp.reassembly-memory at SIZE (e.g. 64KiB)";

    public static int Run(string[] args)
    {
        var only = Option(args, "--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? ["a", "b", "c"];
        var protocols = (Option(args, "--proto") ?? "tcp,mptcp").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var idleCounts = (Option(args, "--idle-connections") ?? "1000,10000").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (!int.TryParse(Option(args, "--repeat") ?? "3", NumberStyles.None, Inv, out var repeat) || repeat < 1
            || !int.TryParse(Option(args, "--aggregate-mb") ?? "64", NumberStyles.None, Inv, out var aggregateMb) || aggregateMb < 1
            || !int.TryParse(Option(args, "--failover-mb") ?? "32", NumberStyles.None, Inv, out var failoverMb) || failoverMb < 1
            || idleCounts.Length == 0 || idleCounts.Any(n => !int.TryParse(n, NumberStyles.None, Inv, out var c) || c < 1)
            || only.Length == 0 || only.Any(o => !Names.Contains(o)) || protocols.Length == 0 || protocols.Any(p => p is not ("tcp" or "mptcp")))
        {
            Console.Error.WriteLine($"{Prefix}: error: {Usage}");
            return 2;
        }
        var summary = new List<string>();
        // Only idle-memory runs without root: it needs neither namespaces nor the mptcp command.
        if (only.All(o => o == "idle-memory"))
        {
            _failures += IdleMemoryBenchmark.Run([.. idleCounts.Select(n => int.Parse(n, Inv))], Option(args, "--idle-buffers"), summary);
            return Finish(only, summary);
        }
        if (!OperatingSystem.IsLinux() || geteuid() != 0)
        {
            Console.Error.WriteLine($"{Prefix}: error: --interop needs root on Linux (it creates network namespaces and raw sockets): " +
                "run e.g. sudo dotnet run -c Release --project Hosts/Benchmarks -- --interop (or --only idle-memory alone, which does not)");
            return 2;
        }
        var mptcpDll = Path.Combine(AppContext.BaseDirectory, "mptcp.dll");
        var missing = new List<string>();
        foreach (var tool in new[] { "ip", "tc", "python3", "bash" })
            if (Which(tool) is null) missing.Add(tool);
        if (!File.Exists(mptcpDll)) missing.Add($"{mptcpDll} (the mptcp CLI: the Benchmarks project references Hosts/Cli, rebuild it)");
        var dotnet = DotnetHost();
        if (dotnet is null) missing.Add("dotnet (the host to run mptcp.dll)");
        if (missing.Count > 0)
        {
            Console.Error.WriteLine($"{Prefix}: error: --interop needs: {string.Join(", ", missing)} (apt-get install -y iproute2 python3)");
            return 2;
        }

        var dir = Directory.CreateTempSubdirectory("mptcp-interop-bench-");
        File.WriteAllText(Path.Combine(dir.FullName, "peer.py"), InteropScripts.Peer);
        File.WriteAllText(Path.Combine(dir.FullName, "launch.py"), InteropScripts.Launcher);
        File.WriteAllText(Path.Combine(dir.FullName, "mp.py"), MultipathScripts.Program);
        var ctx = new Context(dir.FullName, dotnet!, mptcpDll, repeat);

        var scenarios = new[]
        {
            new Scenario("a", "mtu1500", 1500, false, 2_000_000_000, 3),
            new Scenario("b", "mtu9000", 9000, false, 2_000_000_000, 3),
            new Scenario("c", "tbf100mbit", 1500, true, 40_000_000, 20),
        }.Where(s => only.Contains(s.Id)).ToList();

        Console.WriteLine($"interop benchmark: engine (mptcp CLI, {ctx.MptcpDll}) vs Linux {Environment.OSVersion.Version} kernel, " +
            $"{Environment.ProcessorCount} CPUs, median of {repeat} run(s) each");
        if (scenarios.Count > 0)
            Console.WriteLine("(a, b, c) single connection; goodput = bytes / the kernel side's own window (receiving: first byte -> EOF; sending: connected -> all acknowledged); " +
                "kernel = the same kernel programs with the engine's address lent to the engine namespace's kernel, on the same veth");
        try
        {
            foreach (var s in scenarios)
            {
                try
                {
                    RunScenario(ctx, s, protocols, summary);
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
                {
                    _failures++;
                    Console.WriteLine($"({s.Id}) {s.Name}: FAILED: {e.Message}");
                }
            }
            if (only.Contains("aggregate")) _failures += MultipathBenchmark.Aggregate(ctx, aggregateMb * 1_000_000L, 50, summary);
            if (only.Contains("failover")) _failures += MultipathBenchmark.Failover(ctx, failoverMb * 1_000_000L, 20, TimeSpan.FromSeconds(2), summary);
            if (only.Contains("idle-memory")) _failures += IdleMemoryBenchmark.Run([.. idleCounts.Select(n => int.Parse(n, Inv))], Option(args, "--idle-buffers"), summary);
        }
        finally
        {
            try { dir.Delete(true); }
            catch (IOException) { }
        }
        return Finish(only, summary);
    }

    private static int Finish(string[] only, List<string> summary)
    {
        var targets = new List<string>();
        if (only.Contains("a") || only.Contains("c")) targets.Add("(issue 5) (a) engine >= 2000 Mbit/s; (c) ratio >= 0.97 of kernel");
        if (only.Contains("aggregate")) targets.Add("(aggregate) ratio >= 1.0 of kernel <-> kernel");
        if (only.Contains("failover")) targets.Add("(failover) the engine's gap no longer than the kernel's");
        if (targets.Count > 0) Console.WriteLine("targets: " + string.Join("; ", targets));
        foreach (var line in summary) Console.WriteLine("  " + line);
        if (_failures > 0) Console.Error.WriteLine($"{Prefix}: {_failures} measurement(s) failed (see FAILED above)");
        return _failures > 0 ? 1 : 0;
    }

    internal sealed record Context(string ScriptDir, string Dotnet, string MptcpDll, int Repeat)
    {
        public string Peer => Path.Combine(ScriptDir, "peer.py");
        public string Launcher => Path.Combine(ScriptDir, "launch.py");
        public string Multipath => Path.Combine(ScriptDir, "mp.py");
    }

    private static void RunScenario(Context ctx, Scenario s, string[] protocols, List<string> summary)
    {
        using var net = new InteropNetwork(s.Mtu);
        if (s.Shaped) net.AddTokenBucket("100mbit", "64kb", "50ms");
        Console.WriteLine($"({s.Id}) {s.Name}: veth MTU {s.Mtu}{(net.Shaping is { } sh ? ", " + sh : ", unshaped")}; " +
            $"each transfer up to {s.Bytes / 1e6:0} MB or {s.Seconds:0} s; namespaces {net.KernelNs} (kernel, {net.KernelIp}) / {net.EngineNs} (engine, {net.EngineIp})");

        RawSendCeiling.Result? ceiling = null;
        if (s.Id == "a")
        {
            try
            {
                RawSendCeiling.Result MedianOf(bool batched) => Enumerable.Range(0, ctx.Repeat)
                    .Select(_ => RawSendCeiling.Measure(net, batched, TimeSpan.FromSeconds(3))).OrderBy(r => r.Gbps).ToList()[ctx.Repeat / 2];
                var batch = MedianOf(batched: true);
                var single = MedianOf(batched: false);
                ceiling = batch.Gbps >= single.Gbps ? batch : single;
                static string Describe(RawSendCeiling.Result r) => string.Create(Inv,
                    $"{r.Gbps:0.00} Gbit/s = {r.DeliveredPerSecond:0} frames/s of {RawSendCeiling.FrameLength} B delivered ({r.Offered / r.Seconds:0}/s sent), " +
                    $"{r.PayloadGbps:0.00} Gbit/s as 1448-byte TCP payloads, {r.CpuSecondsPerGigabit:0.000} CPU s/Gbit");
                Console.WriteLine(string.Create(Inv, $"({s.Id}) {s.Name} raw AF_PACKET send ceiling: {ceiling.Value.Gbps:0.00} Gbit/s " +
                    $"({ceiling.Value.PayloadGbps:0.00} Gbit/s as TCP payload), the better of sendmmsg batches of 64: {Describe(batch)}; " +
                    $"one send() per frame (as the engine's DeviceActor): {Describe(single)}"));
            }
            catch (InvalidOperationException e)
            {
                _failures++;
                Console.WriteLine($"({s.Id}) {s.Name} raw AF_PACKET send ceiling: FAILED: {e.Message}");
            }
        }

        foreach (var proto in protocols)
        {
            var mptcp = proto == "mptcp";
            foreach (var direction in new[] { Direction.EngineToKernel, Direction.KernelToEngine })
            {
                var kernel = Median(ctx.Repeat, () => KernelBaseline(ctx, net, s, direction, mptcp));
                var engine = Median(ctx.Repeat, () => EngineRun(ctx, net, s, direction, mptcp));
                var label = $"({s.Id}) {s.Name} {(direction == Direction.EngineToKernel ? "engine->kernel" : "kernel->engine")} {(mptcp ? "MPTCP" : "TCP")}";
                var e = engine.Value is { } ev ? $"{ev.Mbps:0.0} Mbit/s" : "FAILED";
                var k = kernel.Value is { } kv ? $"{kv.Mbps:0.0} Mbit/s" : "FAILED";
                var ratio = engine.Value is not null && kernel.Value is not null ? (engine.Value.Mbps / kernel.Value.Mbps).ToString("0.000", Inv) : "n/a";
                Console.WriteLine(string.Create(Inv, $"{label}: engine {e}, kernel {k}, ratio {ratio}"));
                var details = new List<string>();
                if (engine.Value is { } ed)
                    details.Add(string.Create(Inv, $"engine{engine.Spread} {ed.Bytes / 1e6:0.0} MB in {ed.Seconds:0.000} s, CPU {ed.CpuPerGigabit:0.000} s/Gbit " +
                        $"({ed.CpuSeconds:0.00} s, {ed.CpuSeconds / ed.Seconds * 100:0} % of a core){(ed.Note is null ? "" : ", " + ed.Note)}"));
                else details.Add($"engine: {engine.Error}");
                if (kernel.Value is { } kd)
                    details.Add(string.Create(Inv, $"kernel{kernel.Spread} {kd.Bytes / 1e6:0.0} MB in {kd.Seconds:0.000} s, CPU {kd.CpuPerGigabit:0.000} s/Gbit (both peer processes)"));
                else details.Add($"kernel: {kernel.Error}");
                Console.WriteLine("    " + string.Join("; ", details));
                if (engine.Value is { } v)
                {
                    if (s.Id == "a")
                    {
                        var share = ceiling is { } c && direction == Direction.EngineToKernel
                            ? string.Create(Inv, $" ({v.Mbps / 1000 / c.PayloadGbps * 100:0} % of the raw send ceiling's TCP payload rate)")
                            : "";
                        summary.Add(string.Create(Inv, $"{label}: {v.Mbps:0} Mbit/s {(v.Mbps >= 2000 ? "met" : "NOT met")}{share}"));
                    }
                    if (s.Id == "c" && kernel.Value is { } kv2)
                        summary.Add(string.Create(Inv, $"{label}: ratio {v.Mbps / kv2.Mbps:0.000} {(v.Mbps / kv2.Mbps >= 0.97 ? "met" : "NOT met")}"));
                }
                else if (s.Id is "a" or "c") summary.Add($"{label}: engine FAILED");
            }
        }
        if (s.Shaped)
        {
            Console.WriteLine($"    token buckets after the runs: {net.QdiscStats()}");
        }
    }

    private static Outcome Median(int repeat, Func<Transfer> measure)
    {
        var results = InteropProcess.Runs(repeat, measure, out var error);
        if (results.Count == 0)
        {
            _failures++;
            return new Outcome(null, error, []);
        }
        var sorted = results.OrderBy(r => r.Mbps).ToList();
        return new Outcome(sorted[sorted.Count / 2], null, results.Select(r => r.Mbps).ToList());
    }

    /// <summary>Kernel → kernel on the same veth: the engine namespace's kernel takes the engine's address for the run.</summary>
    private static Transfer KernelBaseline(Context ctx, InteropNetwork net, Scenario s, Direction direction, bool mptcp)
    {
        var port = Interlocked.Increment(ref _port);
        var proto = mptcp ? "262" : "6";
        using var lent = net.KernelOwnsEngineSide();
        var (serverNs, serverIp, clientNs) = direction == Direction.EngineToKernel
            ? (net.KernelNs, net.KernelIp, net.EngineNs)
            : (net.EngineNs, net.EngineIp, net.KernelNs);
        using var server = Peer(ctx, serverNs, "server-recv", serverIp, port, proto, 0, 0);
        Expect(server.ReadLine(TimeSpan.FromSeconds(20)), "listening", server.What);
        using var client = Peer(ctx, clientNs, "client-send", serverIp, port, proto, s.Bytes, s.Seconds);
        var timeout = TimeSpan.FromSeconds(s.Seconds) + Slack;
        var c = client.WaitJson(timeout);
        var r = server.WaitJson(timeout);
        if (r.GetProperty("bytes").GetInt64() != c.GetProperty("bytes").GetInt64())
            throw new InvalidOperationException($"kernel receiver got {r.GetProperty("bytes")} of {c.GetProperty("bytes")} bytes");
        var cpu = c.GetProperty("cpu").GetDouble() + r.GetProperty("cpu").GetDouble();
        // The side the engine would replace measures nothing; the kernel side's measurement is the one used for the engine too.
        var measured = direction == Direction.EngineToKernel ? r : c;
        return new Transfer(measured.GetProperty("bytes").GetInt64(), measured.GetProperty("t1").GetDouble() - measured.GetProperty("t0").GetDouble(), cpu);
    }

    private static Transfer EngineRun(Context ctx, InteropNetwork net, Scenario s, Direction direction, bool mptcp)
    {
        var port = Interlocked.Increment(ref _port);
        var proto = mptcp ? "262" : "6";
        var stats = Path.Combine(ctx.ScriptDir, $"stats-{port}.json");
        var iface = $"{net.EngineIf}={net.EngineIp}/24";
        var engineArgs = direction == Direction.EngineToKernel
            ? new List<string> { "connect", "--iface", iface, net.KernelIp, port.ToString(Inv) }
            : ["listen", "--iface", iface, "--port", port.ToString(Inv)];
        if (!mptcp) engineArgs.Add("--plain");
        engineArgs.AddRange(["--stats", stats]);
        var timeout = TimeSpan.FromSeconds(s.Seconds) + Slack;

        JsonElement kernelSide, launched;
        if (direction == Direction.EngineToKernel)
        {
            using var server = Peer(ctx, net.KernelNs, "server-recv", net.KernelIp, port, proto, 0, 0);
            Expect(server.ReadLine(TimeSpan.FromSeconds(20)), "listening", server.What);
            using var engine = Launch(ctx, net, s.Bytes, s.Seconds, engineArgs);
            launched = engine.WaitJson(timeout);
            CheckEngineExit(launched, engine);
            kernelSide = server.WaitJson(timeout);
        }
        else
        {
            using var engine = Launch(ctx, net, 0, 0, engineArgs);
            using var client = Peer(ctx, net.KernelNs, "client-send", net.EngineIp, port, proto, s.Bytes, s.Seconds);
            kernelSide = client.WaitJson(timeout);
            launched = engine.WaitJson(timeout);
            CheckEngineExit(launched, engine);
        }
        var bytes = kernelSide.GetProperty("bytes").GetInt64();
        var t0 = kernelSide.GetProperty("t0").GetDouble();
        var t1 = kernelSide.GetProperty("t1").GetDouble();
        var cpu = CpuBetween(launched, t0, t1);

        string? note = null;
        if (File.Exists(stats))
        {
            var conn = JsonDocument.Parse(File.ReadAllText(stats)).RootElement.GetProperty("connection");
            var engineBytes = direction == Direction.EngineToKernel ? conn.GetProperty("bytes_sent").GetInt64() : conn.GetProperty("bytes_received").GetInt64();
            if (engineBytes != bytes) throw new InvalidOperationException($"the engine counted {engineBytes} bytes, the kernel {bytes}");
            if (mptcp && conn.GetProperty("fallback").GetBoolean()) note = "FELL BACK to plain TCP";
            if (JsonDocument.Parse(File.ReadAllText(stats)).RootElement.GetProperty("subflows") is { ValueKind: JsonValueKind.Array } subs && subs.GetArrayLength() > 0)
            {
                var retx = subs[0].GetProperty("retransmitted_bytes").GetInt64();
                if (retx > 0) note = (note is null ? "" : note + ", ") + string.Create(Inv, $"engine retransmitted {retx} bytes");
            }
            File.Delete(stats);
        }
        if (direction == Direction.EngineToKernel && launched.GetProperty("fed").GetInt64() != bytes)
            throw new InvalidOperationException($"fed {launched.GetProperty("fed")} bytes to the engine, the kernel received {bytes}");
        var whole = launched.GetProperty("utime").GetDouble() + launched.GetProperty("stime").GetDouble();
        note = (note is null ? "" : note + ", ") + string.Create(Inv, $"whole engine process {whole:0.00} CPU s incl. start-up");
        return new Transfer(bytes, t1 - t0, cpu, note);
    }

    private static void CheckEngineExit(JsonElement launched, InteropProcess engine)
    {
        var code = launched.GetProperty("exit").GetInt32();
        if (code != 0) throw new InvalidOperationException($"engine exited {code}: {InteropProcess.Tail(engine.Stderr)}");
    }

    /// <summary>The engine's utime+stime between two CLOCK_MONOTONIC instants, interpolated between the 10 ms samples.</summary>
    private static double CpuBetween(JsonElement launched, double t0, double t1)
    {
        var hz = launched.GetProperty("hz").GetDouble();
        var samples = launched.GetProperty("samples").EnumerateArray().Select(a => (T: a[0].GetDouble(), Ticks: a[1].GetDouble())).ToList();
        if (samples.Count == 0) return double.NaN;
        double At(double t)
        {
            if (t <= samples[0].T) return samples[0].Ticks;
            for (var i = 1; i < samples.Count; i++)
                if (t <= samples[i].T)
                {
                    var (a, b) = (samples[i - 1], samples[i]);
                    return a.Ticks + (b.Ticks - a.Ticks) * (t - a.T) / Math.Max(1e-9, b.T - a.T);
                }
            return samples[^1].Ticks;
        }
        return (At(t1) - At(t0)) / hz;
    }

    private static InteropProcess Peer(Context ctx, string ns, string role, string host, int port, string proto, long bytes, double seconds) =>
        new($"kernel {role} ({(proto == "262" ? "MPTCP" : "TCP")}, {ns})",
            ["ip", "netns", "exec", ns, "python3", ctx.Peer, role, host, port.ToString(Inv), proto, bytes.ToString(Inv), seconds.ToString(Inv)]);

    private static InteropProcess Launch(Context ctx, InteropNetwork net, long bytes, double seconds, IEnumerable<string> mptcpArgs) =>
        new($"engine 'mptcp {string.Join(' ', mptcpArgs.Take(1))}'",
            ["python3", ctx.Launcher, bytes.ToString(Inv), seconds.ToString(Inv), "ip", "netns", "exec", net.EngineNs, ctx.Dotnet, ctx.MptcpDll, .. mptcpArgs]);

    private static void Expect(string line, string expected, string what)
    {
        if (line.Trim() != expected) throw new InvalidOperationException($"{what} said '{line}', not '{expected}'");
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
        .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
        .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    /// <summary>The dotnet host: DOTNET_HOST_PATH, PATH, or the root of the runtime this process runs on.</summary>
    private static string? DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { } h && File.Exists(h)) return h;
        if (Which("dotnet") is { } p) return Path.GetFullPath(p);
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var candidate = Path.Combine(root, "dotnet");
        return File.Exists(candidate) ? candidate : null;
    }

    [DllImport("libc")]
    private static extern uint geteuid();
}
