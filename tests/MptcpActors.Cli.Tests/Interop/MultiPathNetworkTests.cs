using System.Diagnostics;
using Xunit.Abstractions;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// The multi-path topology itself, proved kernel ↔ kernel (kernelOnBothSides: the client in the kernel's namespace, the
/// server in the "engine" one): joins through the kernel's path manager, ADD_ADDR, a path blackholed mid-transfer, cleanup.
/// </summary>
[Collection("netns")]
public class MultiPathNetworkTests(ITestOutputHelper output)
{
    private const long Bytes = 4_000_000;

    /// <summary>
    /// A kernel MPTCP peer that suits joins, unlike <see cref="KernelPeer"/>: the server listens on every address (a join
    /// to an announced address arrives at that address and the listener's port) and keeps its listening socket open until
    /// the transfer is over (the kernel answers a join SYN for a connection whose listener was closed with a RST).
    /// server: prints 'listening', then 'SHA BYTES' of what it received. client: sends BYTES of the seeded stream
    /// (KernelPeer's), waits for the server to close, prints 'SHA BYTES'.
    /// </summary>
    private const string PeerScript = """
import hashlib, random, socket, sys, time
role, host, port, nbytes, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
if role == 'server':
    ls = socket.socket(fam, socket.SOCK_STREAM, 262); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('::' if fam == socket.AF_INET6 else '0.0.0.0', port)); ls.listen(4); print('listening', flush=True)
    s, _ = ls.accept(); s.settimeout(120)
    h = hashlib.sha256(); total = 0
    while True:
        b = s.recv(1 << 20)
        if not b: break
        h.update(b); total += len(b)
    s.close(); ls.close()
    print(h.hexdigest(), total, flush=True)
else:
    for attempt in range(100):
        s = socket.socket(fam, socket.SOCK_STREAM, 262); s.settimeout(10)
        try:
            s.connect((host, port)); break
        except OSError:
            s.close(); time.sleep(0.1)
    else:
        raise SystemExit('could not connect')
    s.settimeout(120)
    r = random.Random(seed); left = nbytes; h = hashlib.sha256()
    while left > 0:
        n = min(left, 65536); left -= n; chunk = r.randbytes(n); h.update(chunk); s.sendall(chunk)
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536): pass
    s.close()
    print(h.hexdigest(), nbytes, flush=True)
""";

    private static readonly Lazy<string> PeerFile = new(() =>
    {
        // Atomically (write, then rename): another test process may be starting a peer from the same file.
        var path = Path.Combine(Path.GetTempPath(), "mptcp-multipath-peer.py");
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}";
        File.WriteAllText(temp, PeerScript);
        File.Move(temp, path, overwrite: true);
        return path;
    });

    private static Process StartPeer(string ns, string role, string host, int port, long bytes, int seed) =>
        Process.Start(new ProcessStartInfo("ip", ["netns", "exec", ns, "python3", PeerFile.Value, role, host, port.ToString(), bytes.ToString(), seed.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;

    /// <summary>A kernel MPTCP server in the engine namespace and a client in the kernel's, to path 0's address; both killed on Dispose.</summary>
    private sealed class Transfer : IDisposable
    {
        public Transfer(MultiPathNetwork net, long bytes, int port, int seed, bool ipv6 = false)
        {
            var host = ipv6 ? net.Paths[0].EngineIp6! : net.Paths[0].EngineIp;
            Server = StartPeer(net.EngineNs, "server", host, port, 0, 0);
            Assert.Equal("listening", Server.StandardOutput.ReadLine());
            Client = StartPeer(net.KernelNs, "client", host, port, bytes, seed);
        }

        public Process Server { get; }
        public Process Client { get; }

        /// <summary>Waits for both ends (failing past <paramref name="seconds"/> in all); asserts the server got every byte the client sent.</summary>
        public void AssertIntact(long bytes, int seconds, Func<string>? context = null)
        {
            var wait = Stopwatch.StartNew();
            var sent = InteropHelpers.WaitKernel(Client, "kernel MPTCP client", seconds, context).Split(' ');
            var left = Math.Max(1, seconds - (int)wait.Elapsed.TotalSeconds);
            var got = InteropHelpers.WaitKernel(Server, "kernel MPTCP server", left, context).Split(' ');
            Assert.Equal(bytes.ToString(), sent[1]);
            Assert.Equal(bytes.ToString(), got[1]);
            Assert.Equal(sent[0], got[0]);
        }

        public void Dispose()
        {
            foreach (var p in new[] { Client, Server })
            {
                try { if (!p.HasExited) { p.Kill(true); p.WaitForExit(5000); } }
                catch (InvalidOperationException) { }
                p.Dispose();
            }
        }
    }

    private void Log(MultiPathNetwork net, string ns, string what)
    {
        var counters = net.Nstat(ns).Where(c => c.Value != 0).Select(c => $"{c.Key}={c.Value}");
        output.WriteLine($"{what} ({ns}): {string.Join(' ', counters)}");
    }

    private string Paths(MultiPathNetwork net) =>
        string.Join("; ", net.Paths.Select(p => $"path {p.Index}: kernel sent {net.KernelTxBytes(p.Index)} B, got {net.KernelRxBytes(p.Index)} B"));

    /// <summary>The client's subflow endpoint on path 1 opens a second subflow (MP_JOIN) to the server's path-0 address, through path 1.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Client_subflow_endpoint_joins_over_the_second_path(bool ipv6)
    {
        using var net = new MultiPathNetwork(ipv6: ipv6, kernelOnBothSides: true);
        var (client, server) = (net.KernelNs, net.EngineNs);
        net.SetLimits(client, subflows: 2, addAddrAccepted: 0);
        net.SetLimits(server, subflows: 2, addAddrAccepted: 0);
        net.AddEndpoint(client, ipv6 ? net.Paths[1].KernelIp6! : net.Paths[1].KernelIp, "subflow", dev: net.Paths[1].KernelIf);
        // 100 Mbit/s a path: the transfer lasts long enough (≥ 0.16 s) for the path manager's join to carry a share of it.
        net.RateLimit(0, 100);
        net.RateLimit(1, 100);
        using var transfer = new Transfer(net, Bytes, 7001, 11, ipv6);
        transfer.AssertIntact(Bytes, 20, () => net.SsMptcp(client));
        Log(net, server, "server");
        Log(net, client, "client");
        output.WriteLine(Paths(net));
        var s = net.Nstat(server);
        Assert.True(s.GetValueOrDefault("MPTcpExtMPCapableSYNRX") >= 1, "the server saw no MP_CAPABLE SYN");
        Assert.True(s.GetValueOrDefault("MPTcpExtMPJoinSynRx") >= 1, "the server saw no MP_JOIN SYN");
        Assert.True(s.GetValueOrDefault("MPTcpExtMPJoinAckRx") >= 1, "the join did not complete");
        Assert.True(net.Nstat(client).GetValueOrDefault("MPTcpExtMPJoinSynTx") >= 1, "the client sent no MP_JOIN SYN");
        // The join went through path 1 and carried data there (the initial subflow is path 0's).
        Assert.True(net.KernelTxBytes(1) > Bytes / 10, Paths(net));
        Assert.True(net.KernelTxBytes(0) > Bytes / 10, Paths(net));
    }

    /// <summary>The server's signal endpoint announces its path-1 address (ADD_ADDR); the client accepts it and joins there.</summary>
    [Fact]
    public void Server_signal_endpoint_announces_and_the_client_joins()
    {
        using var net = new MultiPathNetwork(kernelOnBothSides: true);
        var (client, server) = (net.KernelNs, net.EngineNs);
        net.SetLimits(client, subflows: 2, addAddrAccepted: 1);
        net.SetLimits(server, subflows: 2, addAddrAccepted: 0);
        net.AddEndpoint(server, net.Paths[1].EngineIp, "signal", dev: net.Paths[1].EngineIf);
        Assert.Contains("signal", net.Endpoints(server));
        net.RateLimit(0, 100);
        net.RateLimit(1, 100);
        using var transfer = new Transfer(net, Bytes, 7002, 12);
        transfer.AssertIntact(Bytes, 20, () => net.SsMptcp(client));
        Log(net, server, "server");
        Log(net, client, "client");
        output.WriteLine(Paths(net));
        var c = net.Nstat(client);
        var s = net.Nstat(server);
        Assert.True(s.GetValueOrDefault("MPTcpExtAddAddrTx") >= 1, "the server sent no ADD_ADDR");
        Assert.True(c.GetValueOrDefault("MPTcpExtAddAddr") >= 1, "the client received no ADD_ADDR");
        Assert.True(c.GetValueOrDefault("MPTcpExtMPJoinSynTx") >= 1, "the client did not join the announced address");
        Assert.True(s.GetValueOrDefault("MPTcpExtMPJoinSynRx") >= 1, "the server saw no MP_JOIN SYN");
        Assert.True(s.GetValueOrDefault("MPTcpExtMPJoinAckRx") >= 1, "the join did not complete");
        Assert.True(net.KernelTxBytes(1) > Bytes / 10, Paths(net));
    }

    /// <summary>
    /// Path 0 (the initial subflow's) is blackholed as soon as the join on path 1 is up, with 8 MB still to go at 20 Mbit/s
    /// a path: the kernel marks the subflow stale, reinjects its data on path 1, and the transfer completes intact there.
    /// </summary>
    [Fact]
    public void Blackholing_the_first_path_mid_transfer_completes_on_the_second()
    {
        const long bytes = 8_000_000;
        using var net = new MultiPathNetwork(kernelOnBothSides: true);
        var (client, server) = (net.KernelNs, net.EngineNs);
        net.SetLimits(client, subflows: 2, addAddrAccepted: 0);
        net.SetLimits(server, subflows: 2, addAddrAccepted: 0);
        net.AddEndpoint(client, net.Paths[1].KernelIp, "subflow", dev: net.Paths[1].KernelIf);
        net.RateLimit(0, 20);
        net.RateLimit(1, 20);
        var started = Stopwatch.StartNew();
        using var transfer = new Transfer(net, bytes, 7003, 13);
        Assert.True(net.WaitForCounter(server, "MPTcpExtMPJoinAckRx", 1, TimeSpan.FromSeconds(10)), "no join on path 1: " + net.SsMptcp(client));
        net.Blackhole(0);
        var (path0AtBlackhole, path1AtBlackhole) = (net.KernelTxBytes(0), net.KernelTxBytes(1));
        var joinedAfter = started.Elapsed;
        Assert.False(transfer.Client.HasExited, "the transfer finished before the blackhole");
        transfer.AssertIntact(bytes, 60, () => net.SsMptcp(client) + Paths(net));
        output.WriteLine($"joined and blackholed path 0 after {joinedAfter.TotalSeconds:F2} s (kernel had sent {path0AtBlackhole} B on path 0, " +
                         $"{path1AtBlackhole} B on path 1); done after {started.Elapsed.TotalSeconds:F2} s; path 0 dropped {net.Dropped(0)} frames");
        Log(net, client, "client");
        Log(net, server, "server");
        output.WriteLine(Paths(net));
        Assert.True(path0AtBlackhole + path1AtBlackhole < bytes / 2, "the blackhole came too late to be mid-transfer");
        Assert.True(net.Dropped(0) > 0, "the blackhole dropped nothing");
        Assert.Equal(0, net.Dropped(1));
        Assert.True(net.KernelTxBytes(1) - path1AtBlackhole > bytes / 2, "path 1 did not carry the rest: " + Paths(net));
    }

    /// <summary>
    /// The engine's side has no kernel address; faults drop (ARP requests, here), limits and processes are set up in both
    /// namespaces; Dispose (twice) leaves no namespace, no interface and no process behind.
    /// </summary>
    [Fact]
    public void Dispose_leaves_nothing_behind()
    {
        var net = new MultiPathNetwork(paths: 3, mtu: 1400, ipv6: true);
        string[] pids;
        try
        {
            Assert.Equal(3, net.Paths.Select(p => p.KernelIp.Split('.')[1]).Distinct().Count());
            Assert.All(net.Paths, p => Assert.Equal("", net.InEngineNs($"ip -o addr show dev {p.EngineIf}").Trim()));
            Assert.Contains($"inet {net.Paths[2].KernelIp}/24", net.InKernelNs($"ip addr show dev {net.Paths[2].KernelIf}"));
            Assert.Contains($"inet6 {net.Paths[2].KernelIp6}/64", net.InKernelNs($"ip addr show dev {net.Paths[2].KernelIf}"));
            Assert.Contains("mtu 1400", net.InEngineNs($"ip link show dev {net.Paths[1].EngineIf}"));
            Assert.Equal("1", net.InEngineNs("sysctl -n net.ipv6.conf.all.disable_ipv6").Trim());
            Assert.Equal($"--iface {net.Paths[0].EngineIface} --iface {net.Paths[1].EngineIface} --iface {net.Paths[2].EngineIface}", net.EngineIfaceArgs);
            net.SetLimits(net.KernelNs, 4, 4);
            net.AddEndpoint(net.KernelNs, net.Paths[1].KernelIp, "subflow,backup", dev: net.Paths[1].KernelIf, id: 7);
            Assert.Contains("id 7", net.Endpoints(net.KernelNs));
            net.FlushEndpoints(net.KernelNs);
            Assert.Equal("", net.Endpoints(net.KernelNs).Trim());
            Assert.Throws<ArgumentException>(() => net.AddEndpoint(net.KernelNs, net.Paths[0].KernelIp, "subflow; reboot"));
            Assert.Throws<ArgumentException>(() => net.Nstat("init"));
            Assert.Contains("MPTcpExtMPJoinSynRx", net.Nstat(net.KernelNs).Keys);
            // The kernel resolving an engine address broadcasts ARP requests (nobody answers: no engine runs): the faults see them.
            net.Blackhole(0);
            net.Loss(1, 100);
            // Counted from here: the kernel's own IPv6 chatter (MLD, DAD) may already have met the new rules.
            var before = (net.Dropped(0), net.Dropped(1));
            net.InKernelNs($"echo x > /dev/udp/{net.Paths[0].EngineIp}/9; echo x > /dev/udp/{net.Paths[1].EngineIp}/9");
            Assert.True(net.Dropped(0) > before.Item1, "the blackhole dropped no ARP request");
            Assert.True(net.Dropped(1) > before.Item2, "100 % loss dropped no ARP request");
            Assert.Contains("gso_max_segs 1 ", net.InKernelNs($"ip -d link show dev {net.Paths[1].KernelIf}"));
            net.Loss(1, 0);
            Assert.DoesNotContain("gso_max_segs 1 ", net.InKernelNs($"ip -d link show dev {net.Paths[1].KernelIf}"));
            net.RateLimit(2, 10, bothWays: true);
            net.SetLinkDown(2);
            Assert.Contains("DOWN", net.InKernelNs($"ip link show dev {net.Paths[2].KernelPort}"));
            net.SetLinkUp(2);
            net.Restore(0);
            Assert.Contains("tbf", net.InEngineNs($"tc qdisc show dev {net.Paths[2].EngineIf}"));
            pids = [net.InKernelNs("sleep 300 >/dev/null 2>&1 & echo $!").Trim(), net.InEngineNs("sleep 300 >/dev/null 2>&1 & echo $!").Trim()];
            Assert.All(pids, pid => Assert.True(Alive(pid), $"no process {pid}"));
        }
        finally
        {
            net.Dispose();
        }
        net.Dispose();
        var namespaces = VethPair.Sh("ip netns list");
        Assert.DoesNotContain(net.KernelNs, namespaces);
        Assert.DoesNotContain(net.EngineNs, namespaces);
        var links = VethPair.Sh("ip -o link show");
        Assert.All(net.Paths, p => Assert.DoesNotContain(p.KernelPort, links));
        var wait = Stopwatch.StartNew();
        while (pids.Any(Alive) && wait.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(20);
        Assert.All(pids, pid => Assert.False(Alive(pid), $"process {pid} survived Dispose"));
    }

    /// <summary>Running (a zombie left for a parent that does not reap it is dead).</summary>
    private static bool Alive(string pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat").Split(") ")[^1][0] != 'Z'; }
        catch (IOException) { return false; }
    }
}
