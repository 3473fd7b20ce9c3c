using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// Multipath MPTCP between `mptcp listen/connect` and the Linux kernel over two veth paths (<see cref="MultiPathNetwork"/>):
/// joins in both directions (the kernel's subflow endpoint, the kernel's ADD_ADDR followed by the engine, the engine's
/// subflow endpoint), IPv4 and IPv6, and a path blackholed mid-transfer. Each test checks the data (SHA-256), the kernel's
/// own counters for the join, and the engine's --stats (every subflow carried data). The engine always writes a pcap;
/// when a test fails its path and a tshark summary of the handshakes are in the failure message and the test output.
/// </summary>
[Collection("netns")]
public class MultipathInteropTests(ITestOutputHelper output)
{
    private const long Bytes = 8_000_000;

    /// <summary>One engine run's files: --stats and --pcap, deleted when the test passed (the pcap is kept for a failure).</summary>
    private sealed class EngineFiles : IDisposable
    {
        public string Stats { get; } = Path.Combine(Path.GetTempPath(), $"mptcp-multipath-{Guid.NewGuid():N}.json");
        public string Pcap { get; } = Path.Combine(Path.GetTempPath(), $"mptcp-multipath-{Guid.NewGuid():N}.pcap");
        public bool Passed { get; set; }
        public string Args => $"--stats {Stats} --pcap {Pcap}";

        public void Dispose()
        {
            File.Delete(Stats);
            if (Passed) File.Delete(Pcap);
        }
    }

    private sealed record SubflowStats(string Local, int LocalPort, string Remote, int RemotePort, bool Backup, long Sent, long Received,
        long Retransmitted, double SrttMs, string Ended)
    {
        public override string ToString() =>
            $"{Local}:{LocalPort} → {Remote}:{RemotePort}{(Backup ? " (backup)" : "")}: sent {Sent} B, received {Received} B, " +
            $"retransmitted {Retransmitted} B, srtt {SrttMs} ms, {Ended}";
    }

    private static (JsonElement Connection, List<SubflowStats> Subflows) ReadStats(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        var subflows = root.GetProperty("subflows").EnumerateArray().Select(s => new SubflowStats(
            s.GetProperty("local_address").GetString()!, s.GetProperty("local_port").GetInt32(),
            s.GetProperty("remote_address").GetString()!, s.GetProperty("remote_port").GetInt32(),
            s.GetProperty("backup").GetBoolean(), s.GetProperty("bytes_sent").GetInt64(), s.GetProperty("bytes_received").GetInt64(),
            s.GetProperty("retransmitted_bytes").GetInt64(), s.GetProperty("srtt_ms").GetDouble(), s.GetProperty("ended").GetString()!)).ToList();
        return (root.GetProperty("connection").Clone(), subflows);
    }

    /// <summary>Fails with <paramref name="message"/>, computed only then (the evidence runs tshark).</summary>
    private static void Check(bool condition, Func<string> message)
    {
        if (!condition) Assert.Fail(message());
    }

    /// <summary>Writes the engine's stats to the test output and checks what every multipath test expects of them.</summary>
    private List<SubflowStats> AssertStats(MultiPathNetwork net, EngineFiles files, string[] engineAddresses, bool engineReceives, Func<string> evidence)
    {
        Check(File.Exists(files.Stats) && new FileInfo(files.Stats).Length > 0, () => "the engine wrote no --stats: " + evidence());
        var (connection, subflows) = ReadStats(files.Stats);
        output.WriteLine($"engine connection: {connection}");
        foreach (var s in subflows) output.WriteLine($"engine subflow {s}");
        Check(!connection.GetProperty("fallback").GetBoolean(), () => "the connection fell back to TCP: " + evidence());
        Assert.Equal(JsonValueKind.Number, connection.GetProperty("token").ValueKind);
        Assert.Equal(JsonValueKind.Number, connection.GetProperty("remote_key_token").ValueKind);
        Check(subflows.Count == 2, () => $"expected 2 subflows in --stats, got {subflows.Count}: {string.Join("; ", subflows)} {evidence()}");
        Assert.All(subflows, s => Assert.Contains(s.Local, engineAddresses));
        foreach (var s in subflows)
        {
            var carried = engineReceives ? s.Received : s.Sent;
            Check(carried > 0, () => $"subflow {s} carried no data {(engineReceives ? "to" : "from")} the engine: {evidence()}");
        }
        // What the engine counted crossed the path it says: the kernel's veth on that path saw at least as much (it counts
        // whole frames). A join travels the path of its joining address, the higher-numbered of its two here.
        foreach (var onPath in subflows.GroupBy(s => net.Paths.Last(p => new[] { p.KernelIp, p.EngineIp, p.KernelIp6, p.EngineIp6 }
                     .Intersect([s.Local, s.Remote]).Any()).Index))
        {
            var carried = onPath.Sum(s => engineReceives ? s.Received : s.Sent);
            var wire = engineReceives ? net.KernelTxBytes(onPath.Key) : net.KernelRxBytes(onPath.Key);
            Check(wire >= carried, () => $"the engine's subflows on path {onPath.Key} carried {carried} B, the path only {wire} B: {evidence()}");
        }
        return subflows;
    }

    /// <summary>The kernel's counters that are not zero, and how much the kernel sent and got on each path.</summary>
    private string KernelSide(MultiPathNetwork net) =>
        "kernel: " + string.Join(' ', net.Nstat(net.KernelNs).Where(c => c.Value != 0).Select(c => $"{c.Key}={c.Value}")) + "; " +
        string.Join("; ", net.Paths.Select(p => $"path {p.Index}: kernel sent {net.KernelTxBytes(p.Index)} B, got {net.KernelRxBytes(p.Index)} B"));

    /// <summary>What a failure report needs: the engine's stderr, the kernel's sockets and counters, the engine's handshakes as tshark reads them.</summary>
    private string Evidence(MultiPathNetwork net, EngineProcess engine, EngineFiles files)
    {
        string Try(Func<string> f)
        {
            try { return f(); }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException) { return $"({e.Message})"; }
        }
        var text = $"""

            engine {(engine.Process.HasExited ? $"exited {engine.ExitCode}" : "still running")}, {engine.StdoutBytes} bytes on stdout; stderr: {engine.Stderr}
            {Try(() => KernelSide(net))}
            {Try(() => net.SsMptcp(net.KernelNs))}
            engine pcap {files.Pcap}, handshakes and signals (tshark):
            {Try(() => Handshakes(files.Pcap))}
            """;
        output.WriteLine(text);
        return text;
    }

    /// <summary>SYNs, FINs, RSTs and MPTCP signals (MP_JOIN, ADD_ADDR, REMOVE_ADDR, MP_PRIO, MP_FAIL, MP_FASTCLOSE, MP_TCPRST) of a capture.</summary>
    private static string Handshakes(string pcap)
    {
        if (!File.Exists(pcap)) return "(no pcap)";
        var fields = "-e frame.number -e frame.time_relative -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport -e tcp.flags.str " +
                     "-e tcp.options.mptcp.subtype -e tcp.options.mptcp.addrid -e tcp.options.mptcp.echo -e tcp.options.mptcp.rst_reason -e tcp.options.mptcp.ipv4 -e tcp.options.mptcp.ipv6";
        var filter = "tcp.flags.syn == 1 || tcp.flags.fin == 1 || tcp.flags.reset == 1 || tcp.options.mptcp.subtype in {1, 3, 4, 5, 6, 7, 8}";
        var lines = VethPair.Sh($"tshark -r {pcap} -o tcp.relative_sequence_numbers:FALSE -Y {VethPair.Quote(filter)} -T fields {fields} 2>&1 | grep -v '^Running as user' | head -80", 60_000);
        return lines;
    }

    /// <summary>Waits for the engine to exit (failing with the evidence past <paramref name="seconds"/>) and checks it exited 0.</summary>
    private void WaitEngine(EngineProcess engine, int seconds, Func<string> evidence)
    {
        if (!engine.Process.WaitForExit(seconds * 1000))
        {
            // Stopped gently first, so its pcap is complete for the evidence.
            engine.Terminate(TimeSpan.FromSeconds(10));
            Assert.Fail($"the engine did not exit within {seconds} s (stopped by the test): {evidence()}");
        }
        engine.Process.WaitForExit();
        Check(engine.ExitCode == 0, () => $"the engine exited {engine.ExitCode}: {evidence()}");
    }

    /// <summary>
    /// Waits (at most <paramref name="seconds"/>) until <paramref name="bytes"/> arrived on the engine's stdout or it exited,
    /// and returns what arrived: the data is checked before, and whether or not, the engine exits.
    /// </summary>
    private static (string Sha, long Bytes) StdoutOnceReceived(EngineProcess engine, long bytes, int seconds)
    {
        var wait = Stopwatch.StartNew();
        while (engine.StdoutBytes < bytes && !engine.Stdout.IsCompleted && wait.Elapsed < TimeSpan.FromSeconds(seconds)) Thread.Sleep(10);
        return engine.StdoutSoFar();
    }

    /// <summary>
    /// Closes the engine's stdin (its DATA_FIN) once <paramref name="bytes"/> arrived on its stdout, or it exited, or
    /// <paramref name="limit"/> passed. A download test keeps the engine's direction open on purpose: Linux completes or
    /// accepts a join only while its MPTCP socket is ESTABLISHED (mptcp_finish_join / mptcp_can_accept_new_subflow), so an
    /// engine that half-closes at once (netcat with an empty stdin) can move the kernel's side to CLOSE_WAIT before its join
    /// is done — seen here as the kernel answering the engine's MP_JOIN SYN/ACK with MP_TCPRST (EMPTCP), or counting
    /// MPJoinRejected. That is the kernel's rule, the same against a kernel peer, not what these tests are about.
    /// </summary>
    private static Task CloseStdinOnceReceived(EngineProcess engine, long bytes, TimeSpan limit) => Task.Run(async () =>
    {
        var wait = Stopwatch.StartNew();
        while (engine.StdoutBytes < bytes && !engine.Process.HasExited && wait.Elapsed < limit) await Task.Delay(10);
        try { engine.Process.StandardInput.Close(); }
        catch (IOException) { } // the engine exited already: the test's exit-code and hash assertions report it
    });

    /// <summary>
    /// A kernel server's <see cref="Bytes"/> arriving at a started engine client within 60 s of <paramref name="sw"/>: the
    /// data intact on its stdout, the engine exiting 0, its stdin closed only once everything arrived. Returns the evidence.
    /// </summary>
    private async Task<Func<string>> EngineDownloadsFromKernelServer(MultiPathNetwork net, Process kernel, EngineProcess engine, EngineFiles files, Stopwatch sw)
    {
        var stdinClosed = CloseStdinOnceReceived(engine, Bytes, TimeSpan.FromSeconds(60));
        Func<string> evidence = () => Evidence(net, engine, files);
        var says = InteropHelpers.WaitKernel(kernel, "kernel MPTCP server", 60, evidence).Split(' ');
        var (sha, total) = StdoutOnceReceived(engine, Bytes, Math.Max(1, 60 - (int)sw.Elapsed.TotalSeconds));
        output.WriteLine($"{Bytes} B kernel → engine in {sw.Elapsed.TotalSeconds:F2} s (engine start-up included)");
        output.WriteLine(KernelSide(net));
        Assert.Equal(Bytes, total);
        Assert.Equal(says[0], sha);
        WaitEngine(engine, Math.Max(1, 60 - (int)sw.Elapsed.TotalSeconds), evidence);
        await stdinClosed;
        return evidence;
    }

    /// <summary>Kernel MPTCP client (client-send, subflow endpoint on path 1) → engine listen on both paths.</summary>
    private async Task<(List<SubflowStats> Subflows, TimeSpan Elapsed)> KernelUploadsToEngineListen(MultiPathNetwork net, bool ipv6, int port, long bytes,
        int seed, int seconds, Action<Process, EngineProcess>? during = null)
    {
        var kernelIp = (NetworkPath p) => ipv6 ? p.KernelIp6! : p.KernelIp;
        var engineIp = (NetworkPath p) => ipv6 ? p.EngineIp6! : p.EngineIp;
        net.SetLimits(net.KernelNs, subflows: 1, addAddrAccepted: 0);
        net.AddEndpoint(net.KernelNs, kernelIp(net.Paths[1]), "subflow", dev: net.Paths[1].KernelIf);
        using var files = new EngineFiles();
        var ifaces = string.Join(' ', net.Paths.Select(p => $"--iface {(ipv6 ? p.EngineIface6 : p.EngineIface)}"));
        using var engine = EngineProcess.Start(net.EngineNs, $"listen --port {port} {ifaces} {files.Args}", feedStdin: true);
        var sw = Stopwatch.StartNew();
        var stdinClosed = CloseStdinOnceReceived(engine, bytes, TimeSpan.FromSeconds(seconds));
        using var kernel = KernelPeer.Start(net.KernelNs, "client-send", engineIp(net.Paths[0]), port, bytes, seed, mptcp: true);
        Func<string> evidence = () => Evidence(net, engine, files);
        during?.Invoke(kernel, engine);
        var says = InteropHelpers.WaitKernel(kernel, "kernel MPTCP client", Math.Max(1, seconds - (int)sw.Elapsed.TotalSeconds), evidence).Split(' ');
        var (sha, total) = StdoutOnceReceived(engine, bytes, Math.Max(1, seconds - (int)sw.Elapsed.TotalSeconds));
        var elapsed = sw.Elapsed;
        output.WriteLine($"{bytes} B kernel → engine in {elapsed.TotalSeconds:F2} s ({bytes * 8 / elapsed.TotalSeconds / 1e6:F1} Mbit/s, engine start-up included)");
        output.WriteLine(KernelSide(net));
        Assert.Equal(bytes.ToString(), says[1]);
        Assert.Equal(bytes, total);
        Assert.Equal(says[0], sha);
        WaitEngine(engine, Math.Max(1, seconds - (int)sw.Elapsed.TotalSeconds), evidence);
        output.WriteLine($"engine exited {sw.Elapsed.TotalSeconds:F2} s after the start");
        await stdinClosed;
        var c = net.Nstat(net.KernelNs);
        Check(c.GetValueOrDefault("MPTcpExtMPCapableSYNACKRX") >= 1, () => "the kernel saw no MP_CAPABLE SYN/ACK: " + evidence());
        Assert.Equal(0, c.GetValueOrDefault("MPTcpExtMPCapableFallbackSYNACK"));
        Check(c.GetValueOrDefault("MPTcpExtMPJoinSynTx") >= 1, () => "the kernel sent no MP_JOIN SYN: " + evidence());
        Check(c.GetValueOrDefault("MPTcpExtMPJoinSynAckRx") >= 1, () => "the kernel got no MP_JOIN SYN/ACK from the engine: " + evidence());
        Assert.Equal(0, c.GetValueOrDefault("MPTcpExtMPJoinSynAckHMacFailure"));
        Assert.Equal(0, c.GetValueOrDefault("MPTcpExtDSSNotMatching"));
        var subflows = AssertStats(net, files, [engineIp(net.Paths[0]), engineIp(net.Paths[1])], engineReceives: true, evidence);
        // The join came from the kernel's path-1 address to the engine's initial address (the endpoint's route), through path 1.
        Assert.Contains(subflows, s => s.Remote == kernelIp(net.Paths[1]) && s.Local == engineIp(net.Paths[0]));
        files.Passed = true;
        return (subflows, elapsed);
    }

    /// <summary>
    /// 1. The kernel client's subflow endpoint on path 1 joins the engine's connection (MP_JOIN SYN from the kernel's path-1
    /// address to the engine's path-0 address, arriving on the engine's path-1 interface); 8 MB upload over both.
    /// </summary>
    [Fact]
    public async Task Kernel_client_subflow_endpoint_joins_engine_listen_and_uploads_8MB()
    {
        using var net = new MultiPathNetwork();
        // 100 Mbit/s a path: the upload lasts long enough (≥ 0.32 s) for the join to carry a share of it.
        net.RateLimit(0, 100);
        net.RateLimit(1, 100);
        await KernelUploadsToEngineListen(net, ipv6: false, 7101, Bytes, 201, 60);
    }

    /// <summary>
    /// The engine listens with a <c>signal</c> endpoint on path 1: it announces that address (ADD_ADDR with its HMAC) to the
    /// kernel client, which verifies it, echoes it and joins it; 8 MB upload over both subflows.
    /// </summary>
    [Fact]
    public async Task Engine_listen_announces_a_signal_endpoint_and_the_kernel_joins_it()
    {
        using var net = new MultiPathNetwork();
        const int port = 7109;
        net.SetLimits(net.KernelNs, subflows: 2, addAddrAccepted: 1);
        net.RateLimit(0, 100);
        net.RateLimit(1, 100);
        using var files = new EngineFiles();
        using var engine = EngineProcess.Start(net.EngineNs,
            $"listen --port {port} {net.EngineIfaceArgs} --endpoint {net.Paths[1].EngineIp},signal {files.Args}", feedStdin: true);
        var sw = Stopwatch.StartNew();
        var stdinClosed = CloseStdinOnceReceived(engine, Bytes, TimeSpan.FromSeconds(60));
        using var kernel = KernelPeer.Start(net.KernelNs, "client-send", net.Paths[0].EngineIp, port, Bytes, 209, mptcp: true);
        Func<string> evidence = () => Evidence(net, engine, files);
        var says = InteropHelpers.WaitKernel(kernel, "kernel MPTCP client", 60, evidence).Split(' ');
        var (sha, total) = StdoutOnceReceived(engine, Bytes, Math.Max(1, 60 - (int)sw.Elapsed.TotalSeconds));
        Assert.Equal(Bytes, total);
        Assert.Equal(says[0], sha);
        WaitEngine(engine, Math.Max(1, 60 - (int)sw.Elapsed.TotalSeconds), evidence);
        await stdinClosed;
        var c = net.Nstat(net.KernelNs);
        Check(c.GetValueOrDefault("MPTcpExtAddAddr") >= 1, () => "the kernel accepted no ADD_ADDR from the engine: " + evidence());
        Assert.Equal(0, c.GetValueOrDefault("MPTcpExtAddAddrDrop"));
        Check(c.GetValueOrDefault("MPTcpExtMPJoinSynAckRx") >= 1, () => "the kernel's join to the announced address got no SYN/ACK: " + evidence());
        Assert.Equal(0, c.GetValueOrDefault("MPTcpExtMPJoinSynAckHMacFailure"));
        var subflows = AssertStats(net, files, [net.Paths[0].EngineIp, net.Paths[1].EngineIp], engineReceives: true, evidence);
        Assert.Contains(subflows, s => s.Local == net.Paths[1].EngineIp);
        files.Passed = true;
    }

    /// <summary>Test 1 with DSS checksums required by the kernel (net.mptcp.checksum_enabled): every mapping is checked on both subflows.</summary>
    [Fact]
    public async Task Kernel_client_with_checksums_joins_engine_listen_and_uploads_8MB()
    {
        using var net = new MultiPathNetwork();
        net.InKernelNs("sysctl -qw net.mptcp.checksum_enabled=1");
        net.RateLimit(0, 100);
        net.RateLimit(1, 100);
        await KernelUploadsToEngineListen(net, ipv6: false, 7107, Bytes, 207, 60);
        Assert.Equal(0, net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtDataCsumErr"));
    }

    /// <summary>Test 1 with 1 % random loss on the joined path: SACK recovery on the subflow, reassembly at data level.</summary>
    [Fact]
    public async Task Kernel_client_upload_survives_a_lossy_joined_path()
    {
        using var net = new MultiPathNetwork();
        net.RateLimit(0, 100);
        net.RateLimit(1, 100);
        net.Loss(1, 1);
        await KernelUploadsToEngineListen(net, ipv6: false, 7108, Bytes, 208, 60);
    }

    /// <summary>5. Test 1 over IPv6 (the engine answers neighbour solicitations on both paths; its namespace has IPv6 off).</summary>
    [Fact]
    public async Task Kernel_client_subflow_endpoint_joins_engine_listen_over_ipv6()
    {
        using var net = new MultiPathNetwork(ipv6: true);
        net.RateLimit(0, 100);
        net.RateLimit(1, 100);
        await KernelUploadsToEngineListen(net, ipv6: true, 7105, Bytes, 205, 60);
    }

    /// <summary>
    /// 2. The kernel server's signal endpoint on path 1 is announced (ADD_ADDR); the engine (add-addr-accepted=1) echoes it and
    /// joins from its path-1 address to the announced one; 8 MB download over both subflows.
    /// </summary>
    [Fact]
    public async Task Engine_connect_follows_the_kernels_add_addr_and_downloads_8MB()
    {
        using var net = new MultiPathNetwork();
        const int port = 7102;
        net.SetLimits(net.KernelNs, subflows: 2, addAddrAccepted: 0);
        net.AddEndpoint(net.KernelNs, net.Paths[1].KernelIp, "signal", dev: net.Paths[1].KernelIf);
        net.RateLimit(0, 100);
        net.RateLimit(1, 100);
        using var files = new EngineFiles();
        // Listening on every address: the join goes to the announced path-1 address.
        using var kernel = KernelPeer.Start(net.KernelNs, "server-send", net.Paths[0].KernelIp, port, Bytes, 202, mptcp: true, bindAny: true);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        var sw = Stopwatch.StartNew();
        using var engine = EngineProcess.Start(net.EngineNs,
            $"connect {net.Paths[0].KernelIp} {port} {net.EngineIfaceArgs} --limits add-addr-accepted=1 {files.Args}", feedStdin: true);
        var evidence = await EngineDownloadsFromKernelServer(net, kernel, engine, files, sw);
        var c = net.Nstat(net.KernelNs);
        Check(c.GetValueOrDefault("MPTcpExtAddAddrTx") >= 1, () => "the kernel sent no ADD_ADDR: " + evidence());
        Check(c.GetValueOrDefault("MPTcpExtEchoAdd") >= 1, () => "the kernel got no ADD_ADDR echo from the engine: " + evidence());
        Check(c.GetValueOrDefault("MPTcpExtMPJoinSynRx") >= 1, () => "the kernel got no MP_JOIN SYN: " + evidence());
        Check(c.GetValueOrDefault("MPTcpExtMPJoinAckRx") >= 1, () => "the engine's join did not complete (no third ACK): " + evidence());
        Assert.Equal(0, c.GetValueOrDefault("MPTcpExtMPJoinAckHMacFailure"));
        Assert.Equal(0, c.GetValueOrDefault("MPTcpExtDSSNotMatching"));
        var subflows = AssertStats(net, files, [net.Paths[0].EngineIp, net.Paths[1].EngineIp], engineReceives: true, evidence);
        Assert.Contains(subflows, s => s.Local == net.Paths[1].EngineIp && s.Remote == net.Paths[1].KernelIp);
        files.Passed = true;
    }

    /// <summary>
    /// A request leaving with the handshake, then a download: the engine's stdin holds a short request before it connects,
    /// so its first data carries MP_CAPABLE (RFC 8684 3.1); the kernel server answers it (server-request-send, like an HTTP
    /// server) with 8 MB. The engine's subflow endpoint on path 1 must still join the kernel's initial address and carry a share.
    /// Its stdin stays open until the download is in (the kernel accepts joins only while its side is established).
    /// </summary>
    [Fact]
    public async Task Engine_connect_whose_request_rides_the_handshake_still_joins_for_the_download()
    {
        using var net = new MultiPathNetwork();
        const int port = 7110;
        net.SetLimits(net.KernelNs, subflows: 2, addAddrAccepted: 0);
        net.RateLimit(0, 100, bothWays: true);
        net.RateLimit(1, 100, bothWays: true);
        var (p0, p1) = (net.Paths[0], net.Paths[1]);
        using var files = new EngineFiles();
        using var kernel = KernelPeer.Start(net.KernelNs, "server-request-send", p0.KernelIp, port, Bytes, 210, mptcp: true);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        var sw = Stopwatch.StartNew();
        using var engine = EngineProcess.Start(net.EngineNs,
            $"connect {p0.KernelIp} {port} --iface {p0.EngineIface} --iface {p1.EngineIface},gw={p1.KernelIp} --endpoint {p1.EngineIp},subflow {files.Args}",
            feedStdin: true);
        // In the pipe before the engine has started: written the moment the connection is up.
        engine.Process.StandardInput.BaseStream.Write("GET / HTTP/1.0\r\n\r\n"u8);
        engine.Process.StandardInput.BaseStream.Flush();
        var evidence = await EngineDownloadsFromKernelServer(net, kernel, engine, files, sw);
        var c = net.Nstat(net.KernelNs);
        Check(c.GetValueOrDefault("MPTcpExtMPCapableSYNRX") >= 1, () => "the kernel saw no MP_CAPABLE SYN: " + evidence());
        Check(c.GetValueOrDefault("MPTcpExtMPJoinSynRx") >= 1, () => "the kernel got no MP_JOIN SYN: " + evidence());
        Check(c.GetValueOrDefault("MPTcpExtMPJoinAckRx") >= 1, () => "the engine's join did not complete (no third ACK): " + evidence());
        var subflows = AssertStats(net, files, [p0.EngineIp, p1.EngineIp], engineReceives: true, evidence);
        Assert.Contains(subflows, s => s.Local == p1.EngineIp && s.Remote == p0.KernelIp);
        // The premise: the request went out as the first data with MP_CAPABLE (subtype 0), not behind a DSS.
        var capableData = VethPair.Sh($"tshark -r {files.Pcap} -Y {VethPair.Quote($"ip.src == {p0.EngineIp} && tcp.len > 0 && tcp.options.mptcp.subtype == 0")} " +
                                      "-T fields -e frame.number 2>/dev/null", 60_000);
        Check(capableData.Trim().Length > 0, () => "the request did not leave with MP_CAPABLE: " + evidence());
        files.Passed = true;
    }

    /// <summary>
    /// Engine connect with a subflow endpoint on its path-1 address → kernel MPTCP server (server-recv on its path-0 address, no
    /// endpoints, limits subflows 2). The join goes from the engine's path-1 address to the kernel's path-0 address, out of the
    /// engine's path-1 interface to its gateway (the kernel's path-1 address). Both paths limited both ways.
    /// </summary>
    private async Task<(List<SubflowStats> Subflows, TimeSpan Elapsed)> EngineUploadsWithSubflowEndpoint(MultiPathNetwork net, int port, long bytes,
        int seed, int seconds, Action<EngineProcess>? during = null)
    {
        net.SetLimits(net.KernelNs, subflows: 2, addAddrAccepted: 0);
        using var files = new EngineFiles();
        var (p0, p1) = (net.Paths[0], net.Paths[1]);
        using var kernel = KernelPeer.Start(net.KernelNs, "server-recv", p0.KernelIp, port, 0, 0, mptcp: true);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        var data = InteropHelpers.Data((int)bytes, seed);
        var sw = Stopwatch.StartNew();
        using var engine = EngineProcess.Start(net.EngineNs,
            $"connect {p0.KernelIp} {port} --iface {p0.EngineIface} --iface {p1.EngineIface},gw={p1.KernelIp} --endpoint {p1.EngineIp},subflow {files.Args}",
            feedStdin: true);
        var feeding = engine.Feed(data);
        Func<string> evidence = () => Evidence(net, engine, files);
        during?.Invoke(engine);
        var says = InteropHelpers.WaitKernel(kernel, "kernel MPTCP server", Math.Max(1, seconds - (int)sw.Elapsed.TotalSeconds), evidence).Split(' ');
        var elapsed = sw.Elapsed;
        output.WriteLine($"{bytes} B engine → kernel in {elapsed.TotalSeconds:F2} s ({bytes * 8 / elapsed.TotalSeconds / 1e6:F1} Mbit/s, engine start-up included)");
        output.WriteLine(KernelSide(net));
        Assert.Equal(bytes.ToString(), says[1]);
        Assert.Equal(InteropHelpers.Sha256(data), says[0]);
        WaitEngine(engine, Math.Max(1, seconds - (int)sw.Elapsed.TotalSeconds), evidence);
        output.WriteLine($"engine exited {sw.Elapsed.TotalSeconds:F2} s after the start");
        await feeding;
        var c = net.Nstat(net.KernelNs);
        Check(c.GetValueOrDefault("MPTcpExtMPCapableSYNRX") >= 1, () => "the kernel saw no MP_CAPABLE SYN: " + evidence());
        Assert.Equal(0, c.GetValueOrDefault("MPTcpExtMPCapableFallbackACK"));
        Check(c.GetValueOrDefault("MPTcpExtMPJoinSynRx") >= 1, () => "the kernel got no MP_JOIN SYN: " + evidence());
        Check(c.GetValueOrDefault("MPTcpExtMPJoinAckRx") >= 1, () => "the engine's join did not complete (no third ACK): " + evidence());
        Assert.Equal(0, c.GetValueOrDefault("MPTcpExtMPJoinAckHMacFailure"));
        Assert.Equal(0, c.GetValueOrDefault("MPTcpExtDSSNotMatching"));
        var subflows = AssertStats(net, files, [p0.EngineIp, p1.EngineIp], engineReceives: false, evidence);
        Assert.Contains(subflows, s => s.Local == p1.EngineIp && s.Remote == p0.KernelIp);
        files.Passed = true;
        return (subflows, elapsed);
    }

    /// <summary>3. The engine's subflow endpoint joins the kernel server's initial address over path 1; 8 MB upload over both.</summary>
    [Fact]
    public async Task Engine_connect_subflow_endpoint_joins_the_kernel_server_and_uploads_8MB()
    {
        using var net = new MultiPathNetwork();
        net.RateLimit(0, 100, bothWays: true);
        net.RateLimit(1, 100, bothWays: true);
        await EngineUploadsWithSubflowEndpoint(net, 7103, Bytes, 203, 60);
    }

    /// <summary>
    /// 4. Failover: both paths at 20 Mbit/s both ways, 16 MB; path 0 (the initial subflow's) is blackholed 1 s after the join
    /// is up. The sender (the kernel client, or the engine) must stop using path 0 and resend its lost data on path 1; the
    /// transfer completes intact and both ends exit within 60 s.
    /// </summary>
    [Theory]
    [InlineData("kernel sends")]
    [InlineData("engine sends")]
    public async Task Blackholing_the_initial_path_mid_transfer_completes_on_the_other(string direction)
    {
        const long bytes = 16_000_000;
        using var net = new MultiPathNetwork();
        net.RateLimit(0, 20, bothWays: true);
        net.RateLimit(1, 20, bothWays: true);
        var blackholedAt = TimeSpan.Zero;
        long path1AtBlackhole = 0;
        var started = Stopwatch.StartNew();
        long deliveredAtBlackhole = 0;
        void BlackholeAfterJoin(string counter, Func<bool> finished, Func<long> delivered)
        {
            Assert.True(net.WaitForCounter(net.KernelNs, counter, 1, TimeSpan.FromSeconds(15)), $"no join within 15 s ({counter}): {KernelSide(net)}");
            Thread.Sleep(1000);
            Assert.False(finished(), "the transfer finished before the blackhole");
            net.Blackhole(0);
            blackholedAt = started.Elapsed;
            deliveredAtBlackhole = delivered();
            path1AtBlackhole = direction == "kernel sends" ? net.KernelTxBytes(1) : net.KernelRxBytes(1);
            output.WriteLine($"path 0 blackholed after {blackholedAt.TotalSeconds:F2} s; {KernelSide(net)}");
        }
        var (subflows, elapsed) = direction == "kernel sends"
            ? await KernelUploadsToEngineListen(net, ipv6: false, 7104, bytes, 204, 60,
                (kernel, engine) => BlackholeAfterJoin("MPTcpExtMPJoinSynAckRx", () => kernel.HasExited || engine.StdoutBytes >= bytes,
                    () => engine.StdoutBytes))
            : await EngineUploadsWithSubflowEndpoint(net, 7106, bytes, 206, 60,
                engine => BlackholeAfterJoin("MPTcpExtMPJoinAckRx", () => engine.Process.HasExited,
                    () => net.KernelRxBytes(0) + net.KernelRxBytes(1)));
        var path1 = direction == "kernel sends" ? net.KernelTxBytes(1) : net.KernelRxBytes(1);
        output.WriteLine($"{direction}: done {elapsed.TotalSeconds:F2} s after the start, {(elapsed - blackholedAt).TotalSeconds:F2} s after the blackhole; " +
                         $"path 0 dropped {net.Dropped(0)} frames; path 1 carried {path1 - path1AtBlackhole} B after it");
        Assert.True(net.Dropped(0) > 0, "the blackhole dropped nothing");
        Assert.Equal(0, net.Dropped(1));
        // Whatever had not been delivered when path 0 went dark can only have crossed path 1 (whose counters include headers;
        // when the engine sends, what the kernel had received is counted with headers too, hence the 5 % slack).
        var remaining = bytes - deliveredAtBlackhole;
        Assert.True(path1 - path1AtBlackhole >= remaining * 95 / 100,
            $"path 1 carried {path1 - path1AtBlackhole} B after the blackhole, {remaining} B were still to deliver");
        Assert.True(elapsed < TimeSpan.FromSeconds(60));
        Assert.Equal(2, subflows.Count);
    }
}
