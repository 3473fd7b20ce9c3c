using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// `mptcp proxy` as the hybrid-access concentrator: kernel clients (MPTCP over two paths, and plain TCP) in one namespace,
/// the proxy on raw interfaces in another, relaying each connection to a kernel plain-TCP echo server on that namespace's
/// loopback through the host's own sockets. `mptcp info` reads the proxy while the transfers run.
/// </summary>
[Collection("netns")]
public class ProxyInteropTests(ITestOutputHelper output)
{
    private const int MptcpClients = 3;
    private const int BytesEach = 24_000_000;
    private const int ProxyPort = 7200;
    private const int ServerPort = 9200;

    /// <summary>A kernel TCP server that sends back whatever it gets, many connections at once, and half-closes after the client did.</summary>
    private const string EchoServer = """
import socket, sys, threading
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(('127.0.0.1', int(sys.argv[1]))); ls.listen(64)
print('listening', flush=True)
def serve(s):
    while True:
        b = s.recv(1 << 20)
        if not b: break
        s.sendall(b)
    s.shutdown(socket.SHUT_WR); s.close()
while True:
    s, _ = ls.accept()
    threading.Thread(target=serve, args=(s,), daemon=True).start()
""";

    /// <summary>
    /// Three kernel MPTCP clients (each joined by a second subflow over path 1) and one plain TCP client at once, each
    /// sending 24 MB (4 MB plain) through the proxy to the echo server and checking the echo is byte-exact (SHA-256); the
    /// client's FIN reaches the server and the server's FIN the client (half close both ways). The proxy's --stats shows
    /// both subflows of every MPTCP connection carrying data each way, `mptcp info` showed them live, and the proxy keeps
    /// running until SIGTERM, then exits 0 and removes its control socket.
    /// </summary>
    /// <summary>The echo server on the engine namespace's loopback and the proxy on both paths in front of it.</summary>
    private sealed class ProxyRig : IDisposable
    {
        private readonly string _script = Path.Combine(Path.GetTempPath(), $"mptcp-echo-server-{Guid.NewGuid():N}.py");
        private readonly Process _server;

        public ProxyRig(MultiPathNetwork net)
        {
            File.WriteAllText(_script, EchoServer);
            _server = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", net.EngineNs, "python3", _script, ServerPort.ToString()])
                { RedirectStandardOutput = true, RedirectStandardError = true })!;
            Assert.Equal("listening", _server.StandardOutput.ReadLine());
            Proxy = EngineProcess.Start(net.EngineNs, $"proxy --listen {ProxyPort} --to 127.0.0.1:{ServerPort} {net.EngineIfaceArgs} --stats {Stats}");
        }

        public string Stats { get; } = Path.Combine(Path.GetTempPath(), $"mptcp-proxy-{Guid.NewGuid():N}.jsonl");
        public EngineProcess Proxy { get; }
        public List<Process> Clients { get; } = [];

        /// <summary>The proxy's --stats lines, once there are <paramref name="count"/>, parsed.</summary>
        public List<JsonElement> Relayed(int count, ITestOutputHelper output)
        {
            var wait = Stopwatch.StartNew();
            while (true)
            {
                var lines = File.Exists(Stats) ? File.ReadAllLines(Stats).Where(l => l.Length > 0).ToList() : [];
                if (lines.Count >= count)
                {
                    foreach (var line in lines) output.WriteLine(line);
                    return lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
                }
                if (wait.Elapsed > TimeSpan.FromSeconds(30)) Assert.Fail($"--stats has {lines.Count} of {count} connections: {Proxy.Stderr}");
                Thread.Sleep(50);
            }
        }

        public void Dispose()
        {
            foreach (var c in Clients)
            {
                if (!c.HasExited) c.Kill(true);
                c.Dispose();
            }
            Proxy.Dispose();
            if (!_server.HasExited) _server.Kill(true);
            _server.Dispose();
            File.Delete(_script);
            File.Delete(Stats);
        }
    }

    /// <summary>Two paths of <paramref name="mbit"/> Mbit/s each way; the kernel's MPTCP connections join over path 1 (a subflow endpoint).</summary>
    private static MultiPathNetwork TwoPaths(double mbit)
    {
        var net = new MultiPathNetwork();
        try
        {
            net.RateLimit(0, mbit, bothWays: true);
            net.RateLimit(1, mbit, bothWays: true);
            net.SetLimits(net.KernelNs, subflows: 1, addAddrAccepted: 0);
            net.AddEndpoint(net.KernelNs, net.Paths[1].KernelIp, "subflow", dev: net.Paths[1].KernelIf);
            return net;
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    private static bool Fallback(JsonElement relayed) => relayed.GetProperty("stats").GetProperty("connection").GetProperty("fallback").GetBoolean();

    private static void AssertEchoed(Process client, string what, EngineProcess proxy, int seconds)
    {
        var says = InteropHelpers.WaitKernel(client, what, seconds, () => $"proxy: {proxy.Stderr}").Split(' ');
        Assert.True(says.Length == 3 && says[2] == "ok", $"{what}: {string.Join(' ', says)}");
    }

    /// <summary>
    /// Three kernel MPTCP clients (each joined by a second subflow over path 1) and one plain TCP client at once, each
    /// sending 24 MB (4 MB plain) through the proxy to the echo server and checking the echo is byte-exact (SHA-256); the
    /// client's FIN reaches the server and the server's FIN the client (half close both ways). The proxy's --stats shows
    /// both subflows of every MPTCP connection carrying data each way, `mptcp info` showed them live, and the proxy keeps
    /// running until SIGTERM, then exits 0 and removes its control socket.
    /// </summary>
    [Fact]
    public void Kernel_mptcp_clients_over_two_paths_reach_a_plain_tcp_server_through_the_proxy()
    {
        // 100 Mbit/s a path: the transfers last long enough for `mptcp info` to see them.
        using var net = TwoPaths(100);
        using var rig = new ProxyRig(net);
        var proxy = rig.Proxy;

        var sw = Stopwatch.StartNew();
        for (var i = 0; i < MptcpClients; i++)
            rig.Clients.Add(KernelPeer.Start(net.KernelNs, "echo-client", net.Paths[0].EngineIp, ProxyPort, BytesEach, 300 + i, mptcp: true));
        rig.Clients.Add(KernelPeer.Start(net.KernelNs, "echo-client", net.Paths[0].EngineIp, ProxyPort, BytesEach / 6, 399, mptcp: false));

        var seen = WatchWithInfo(proxy, rig.Clients);
        for (var i = 0; i < rig.Clients.Count; i++) AssertEchoed(rig.Clients[i], $"client {i}", proxy, 180);
        output.WriteLine($"{MptcpClients} × {BytesEach} B (MPTCP) + {BytesEach / 6} B (TCP) each way through the proxy in {sw.Elapsed.TotalSeconds:F2} s");
        Assert.False(proxy.Process.HasExited, $"the proxy exited: {proxy.Stderr}");

        // mptcp info saw the MPTCP connections live, each with its join.
        output.WriteLine($"mptcp info saw at most {seen.Connections} connections, {seen.TwoSubflows} of them with two subflows");
        Assert.True(seen.TwoSubflows >= 1, $"mptcp info never showed a connection with two subflows ({seen.Connections} connections at most)");

        var kernel = net.Nstat(net.KernelNs);
        Assert.True(kernel.GetValueOrDefault("MPTcpExtMPJoinSynAckRx") >= MptcpClients,
            $"joins acknowledged by the proxy: {kernel.GetValueOrDefault("MPTcpExtMPJoinSynAckRx")}; kernel: " +
            string.Join(' ', kernel.Where(c => c.Value != 0).Select(c => $"{c.Key}={c.Value}")) + $"; proxy: {proxy.Stderr}; " +
            MptcpProcess.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "mptcp.dll"), "info", "--pid", proxy.Process.Id.ToString()], TimeSpan.FromSeconds(60)).Stdout);
        Assert.Equal(0, kernel.GetValueOrDefault("MPTcpExtDSSNotMatching"));

        // Every relayed connection's line in --stats: MPTCP ones on both paths, each path carrying data each way.
        var relayed = rig.Relayed(rig.Clients.Count, output);
        Assert.All(relayed, r => Assert.Equal("closed", r.GetProperty("outcome").GetString()));
        var mptcp = relayed.Where(r => !Fallback(r)).ToList();
        Assert.Equal(MptcpClients, mptcp.Count);
        Assert.Single(relayed, Fallback);
        foreach (var r in mptcp)
        {
            var connection = r.GetProperty("stats").GetProperty("connection");
            Assert.Equal(BytesEach, connection.GetProperty("bytes_received").GetInt64());
            Assert.Equal(BytesEach, connection.GetProperty("bytes_sent").GetInt64());
            var subflows = r.GetProperty("stats").GetProperty("subflows").EnumerateArray().ToList();
            Assert.Equal(2, subflows.Count);
            Assert.All(subflows, s => Assert.True(s.GetProperty("bytes_received").GetInt64() + s.GetProperty("bytes_sent").GetInt64() > 0,
                $"a subflow carried no data: {s}"));
        }
        // Both paths carried data each way. (Per connection a scheduler may leave one direction of a path unused: the
        // lowest-RTT path takes all it can, and a path loaded by the other direction's traffic has the higher RTT.)
        var perPath = mptcp.SelectMany(r => r.GetProperty("stats").GetProperty("subflows").EnumerateArray())
            .GroupBy(s => s.GetProperty("remote_address").GetString() == net.Paths[1].KernelIp)
            .ToDictionary(g => g.Key, g => (Sent: g.Sum(s => s.GetProperty("bytes_sent").GetInt64()), Received: g.Sum(s => s.GetProperty("bytes_received").GetInt64())));
        foreach (var (joined, carried) in perPath) output.WriteLine($"path {(joined ? 1 : 0)}: proxy sent {carried.Sent} B, received {carried.Received} B");
        Assert.Equal(2, perPath.Count);
        Assert.All(perPath.Values, c => Assert.True(c.Sent > 0 && c.Received > 0, $"a path did not carry data each way: {c}"));

        // Its counters, as `mptcp info` lists them after the run: every connection relayed, none failed, every byte each way.
        var info = MptcpProcess.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "mptcp.dll"), "info", "--pid", proxy.Process.Id.ToString(), "--json"], TimeSpan.FromSeconds(60));
        using (var doc = JsonDocument.Parse(info.Stdout))
        {
            var counters = doc.RootElement.GetProperty("counters");
            output.WriteLine(counters.ToString());
            Assert.Equal(rig.Clients.Count, counters.GetProperty("proxy.connections").GetDouble());
            Assert.Equal(0, counters.GetProperty("proxy.failed").GetDouble());
            Assert.Equal(MptcpClients * BytesEach + BytesEach / 6, counters.GetProperty("proxy.bytes_to_server").GetDouble());
            Assert.Equal(MptcpClients * BytesEach + BytesEach / 6, counters.GetProperty("proxy.bytes_to_client").GetDouble());
            // The engine's MPTcpExt counters read beside the kernel client's: its MP_CAPABLE SYNs and joins arrived.
            Assert.True(counters.GetProperty("MPTcpExtMPCapableSYNRX").GetDouble() >= MptcpClients, counters.ToString());
            Assert.True(counters.GetProperty("MPTcpExtMPJoinSynRx").GetDouble() >= MptcpClients, counters.ToString());
            Assert.Equal(0, counters.GetProperty("MPTcpExtMPJoinNoTokenFound").GetDouble());
        }

        proxy.Terminate(TimeSpan.FromSeconds(20));
        Assert.Equal(0, proxy.ExitCode);
        Assert.False(File.Exists($"/run/mptcp/{proxy.Process.Id}.sock"), "the proxy left its control socket behind");
    }

    /// <summary>
    /// Hybrid access's point: the initial path (path 0) goes dark 1 s after the join is up, in the middle of a 16 MB
    /// echo each way at 20 Mbit/s a path; the connection carries on over path 1 and the server, behind the proxy, never
    /// notices: the echo comes back byte-exact and the relay ends cleanly.
    /// </summary>
    [Fact]
    public void A_path_failure_mid_transfer_is_invisible_to_the_server()
    {
        const int bytes = 16_000_000;
        using var net = TwoPaths(20);
        using var rig = new ProxyRig(net);
        var client = KernelPeer.Start(net.KernelNs, "echo-client", net.Paths[0].EngineIp, ProxyPort, bytes, 500, mptcp: true);
        rig.Clients.Add(client);
        Assert.True(net.WaitForCounter(net.KernelNs, "MPTcpExtMPJoinSynAckRx", 1, TimeSpan.FromSeconds(60)), $"no join: {rig.Proxy.Stderr}");
        Thread.Sleep(1000);
        Assert.False(client.HasExited, "the transfer finished before the path failed");
        net.Blackhole(0);
        var path1Before = net.KernelTxBytes(1) + net.KernelRxBytes(1);
        AssertEchoed(client, "client", rig.Proxy, 120);
        var path1After = net.KernelTxBytes(1) + net.KernelRxBytes(1);
        output.WriteLine($"path 0 dropped {net.Dropped(0)} frames after the failure; path 1 carried {path1After - path1Before} B");
        Assert.True(net.Dropped(0) > 0, "the blackhole dropped nothing");
        var relayed = Assert.Single(rig.Relayed(1, output));
        Assert.Equal("closed", relayed.GetProperty("outcome").GetString());
        Assert.False(Fallback(relayed));
        Assert.Equal(bytes, relayed.GetProperty("stats").GetProperty("connection").GetProperty("bytes_received").GetInt64());
    }

    /// <summary>Runs `mptcp info --json` against the proxy until every client ended; the most it saw at once.</summary>
    private (int Connections, int TwoSubflows) WatchWithInfo(EngineProcess proxy, List<Process> clients)
    {
        int connections = 0, twoSubflows = 0;
        var text = false;
        // The control socket appears once the engine has started.
        var started = Stopwatch.StartNew();
        while (!File.Exists($"/run/mptcp/{proxy.Process.Id}.sock") && !proxy.Process.HasExited && started.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(20);
        while (clients.Any(c => !c.HasExited) && !proxy.Process.HasExited)
        {
            var r = MptcpProcess.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "mptcp.dll"), "info", "--pid", proxy.Process.Id.ToString(), "--json"], TimeSpan.FromSeconds(60));
            if (proxy.Process.HasExited) break;
            Assert.True(r.ExitCode == 0, $"mptcp info exited {r.ExitCode}: {r.Stderr}");
            using var doc = JsonDocument.Parse(r.Stdout);
            Assert.Equal("proxy", doc.RootElement.GetProperty("command").GetString());
            var list = doc.RootElement.GetProperty("connections").EnumerateArray().ToList();
            connections = Math.Max(connections, list.Count);
            var joined = list.Count(c => c.GetProperty("subflows").GetArrayLength() == 2);
            if (joined > twoSubflows) output.WriteLine(r.Stdout);
            twoSubflows = Math.Max(twoSubflows, joined);
            if (!text && list.Count > 0)
            {
                // The same snapshot for people: one line per connection, one per subflow.
                var t = MptcpProcess.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "mptcp.dll"), "info", "--pid", proxy.Process.Id.ToString()], TimeSpan.FromSeconds(60));
                output.WriteLine(t.Stdout);
                Assert.Equal(0, t.ExitCode);
                Assert.Contains("token ", t.Stdout);
                Assert.Contains("counters:", t.Stdout);
                text = true;
            }
        }
        return (connections, twoSubflows);
    }
}
