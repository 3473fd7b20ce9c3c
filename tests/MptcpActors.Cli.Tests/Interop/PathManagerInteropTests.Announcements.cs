using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// The engine as a client of a kernel server whose path manager announces addresses: joined within the engine's limits,
/// echoed and dropped beyond them (counted on both sides); and fullmesh endpoints making the same subflows a kernel
/// client with the same endpoints makes against the same server, re-made after an interface goes down and up.
/// </summary>
public partial class PathManagerInteropTests
{
    /// <summary>The engine's counters (its System.Diagnostics.Metrics instruments, MPTcpExt names) read live with <c>mptcp info --json</c>.</summary>
    private static Dictionary<string, long> EngineCounters(EngineProcess engine)
    {
        var info = MptcpProcess.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "mptcp.dll"), "info", "--pid", engine.Process.Id.ToString(CultureInfo.InvariantCulture), "--json"],
            TimeSpan.FromSeconds(60));
        Assert.True(info.ExitCode == 0, $"mptcp info: {info.Stderr}");
        using var doc = JsonDocument.Parse(info.Stdout);
        return doc.RootElement.GetProperty("counters").EnumerateObject().ToDictionary(p => p.Name, p => (long)p.Value.GetDouble());
    }

    /// <summary><see cref="EngineCounters"/>, the non-zero ones written to the test's output.</summary>
    private Dictionary<string, long> LoggedEngineCounters(EngineProcess engine)
    {
        var counters = EngineCounters(engine);
        output.WriteLine("engine: " + string.Join(' ', counters.Where(c => c.Value != 0).Select(c => $"{c.Key}={c.Value}")));
        return counters;
    }

    /// <summary>
    /// The kernel server's established subflows on <paramref name="port"/>, each as (path of the client's address, path
    /// of the server's address): path i is 10.(200+i).S.0/24, so two networks with different S compare.
    /// </summary>
    private static List<(int Client, int Server)> ServerSubflows(MultiPathNetwork net, int port)
    {
        static int PathOf(string address) => int.Parse(address.Split('.')[1], CultureInfo.InvariantCulture) - 200;
        // The server's only TCP connections on the port are its MPTCP connection's subflows.
        return net.InKernelNs($"ss -ntH state established '( sport = :{port} )'").Split('\n')
            .Select(l => Regex.Matches(l, @"(\d+\.\d+\.\d+\.\d+):(\d+)"))
            .Where(m => m.Count >= 2)
            .Select(m => (PathOf(m[1].Groups[1].Value), PathOf(m[0].Groups[1].Value)))
            .Order().ToList();
    }

    private static string Show(IEnumerable<(int Client, int Server)> subflows) => string.Join(' ', subflows.Select(s => $"{s.Client}→{s.Server}"));

    /// <summary>Another address in the /24 of <paramref name="address"/>: its last octet replaced.</summary>
    private static string InSubnet(string address, int last) => address[..(address.LastIndexOf('.') + 1)] + last.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Addresses_a_kernel_server_announces_are_joined_within_the_engines_limits_and_echoed_but_dropped_beyond_them()
    {
        const long bytes = 8_000_000;
        const int port = 7307;
        using var net = new MultiPathNetwork();
        net.SetLimits(net.KernelNs, subflows: 4, addAddrAccepted: 0);
        net.RateLimit(0, 20);
        net.RateLimit(1, 20);
        var p1 = net.Paths[1];
        // Three addresses of the kernel's path 1, each a signal endpoint: Linux announces them one after the other.
        string[] announced = [p1.KernelIp, InSubnet(p1.KernelIp, 3), InSubnet(p1.KernelIp, 4)];
        for (var i = 0; i < announced.Length; i++)
        {
            if (i > 0) VethPair.Sh($"ip -n {net.KernelNs} addr add {announced[i]}/24 dev {p1.KernelIf}");
            net.AddEndpoint(net.KernelNs, announced[i], "signal", dev: p1.KernelIf, id: 5 + i);
        }
        using var kernel = KernelPeer.Start(net.KernelNs, "server-send", net.Paths[0].KernelIp, port, bytes, 307, mptcp: true, bindAny: true);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        // Two ADD_ADDRs accepted; two subflows besides the initial one.
        using var engine = EngineProcess.Start(net.EngineNs,
            $"connect {net.Paths[0].KernelIp} {port} {net.EngineIfaceArgs} --limits subflows=2,add-addr-accepted=2 --monitor", feedStdin: true);
        var evidence = Evidence(net, engine);

        WaitFor(() => net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtEchoAdd") >= 3, "the engine did not echo all three announcements", evidence);
        WaitFor(() => net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtMPJoinAckRx") >= 2, "the engine did not join two announced addresses", evidence);
        WaitFor(() => KernelSubflows(net) == 3, "the kernel does not show the initial subflow and two joins", evidence);
        var k = net.Nstat(net.KernelNs);
        Assert.True(k.GetValueOrDefault("MPTcpExtAddAddrTx") >= 3, "the kernel did not announce its three addresses: " + evidence());
        Assert.Equal(2, k.GetValueOrDefault("MPTcpExtMPJoinSynRx"));
        Assert.Equal(0, k.GetValueOrDefault("MPTcpExtMPJoinRejected") + k.GetValueOrDefault("MPTcpExtMismatchPortSynRx"));
        var e = LoggedEngineCounters(engine);
        Assert.Equal(3, e.GetValueOrDefault("subflows"));
        Assert.Equal(3, e.GetValueOrDefault("MPTcpExtAddAddr"));
        Assert.Equal(3, e.GetValueOrDefault("MPTcpExtEchoAddTx"));
        Assert.Equal(1, e.GetValueOrDefault("MPTcpExtAddAddrDrop"));
        Assert.Equal(2, e.GetValueOrDefault("MPTcpExtMPJoinSynTx"));
        Assert.Equal(2, e.GetValueOrDefault("MPTcpExtMPJoinSynAckRx"));
        var lines = engine.Stderr.Split('\n');
        Assert.Equal(3, lines.Count(l => l.Contains("ANNOUNCED]")));
        Assert.Equal(2, lines.Count(l => l.Contains("SF_ESTABLISHED]")));
        // The two joins go to two of the announced addresses, from the engine's path 1.
        Assert.Equal(2, lines.Where(l => l.Contains("SF_ESTABLISHED]")).Select(l => Regex.Match(l, @"daddr4=(\S+)").Groups[1].Value).Distinct().Count(announced.Contains));

        await FinishDownload(engine, kernel, "kernel MPTCP server", bytes, evidence);
        output.WriteLine(evidence());
    }

    /// <summary>
    /// The other way round: the engine serves with <c>--limits subflows=1</c>, the kernel client has two subflow endpoints on
    /// its path 1: the engine accepts the first join and refuses the second with RST (counted as MPJoinRejected, as Linux
    /// counts the joins its PM refuses); the upload is intact.
    /// </summary>
    [Fact]
    public async Task Joins_a_kernel_client_opens_beyond_the_engines_subflow_limit_are_refused_and_counted()
    {
        const long bytes = 8_000_000;
        const int port = 7310;
        using var net = new MultiPathNetwork();
        net.SetLimits(net.KernelNs, subflows: 2, addAddrAccepted: 0);
        net.RateLimit(0, 20);
        net.RateLimit(1, 20);
        var p1 = net.Paths[1];
        var second = InSubnet(p1.KernelIp, 3);
        // The second address leaves through path 1 like the first (the network routes only each path's own address so).
        VethPair.Sh($"ip -n {net.KernelNs} addr add {second}/24 dev {p1.KernelIf}; ip -n {net.KernelNs} rule add pref 32810 from {second} lookup 101");
        net.AddEndpoint(net.KernelNs, p1.KernelIp, "subflow", dev: p1.KernelIf, id: 1);
        net.AddEndpoint(net.KernelNs, second, "subflow", dev: p1.KernelIf, id: 2);
        using var engine = EngineProcess.Start(net.EngineNs, $"listen --port {port} {net.EngineIfaceArgs} --limits subflows=1 --monitor", feedStdin: true);
        WaitFor(() => engine.Stderr.Contains($"LISTENER_CREATED] saddr4={net.Paths[0].EngineIp} sport={port}"), "the engine did not listen", () => engine.Stderr);
        using var kernel = KernelPeer.Start(net.KernelNs, "client-send", net.Paths[0].EngineIp, port, bytes, 310, mptcp: true);
        var evidence = Evidence(net, engine);

        WaitFor(() => net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtMPJoinSynTx") >= 2, "the kernel did not try both joins", evidence);
        WaitFor(() => EngineCounters(engine).GetValueOrDefault("MPTcpExtMPJoinRejected") >= 1, "the engine did not refuse a join", evidence);
        WaitFor(() => KernelSubflows(net) == 2, "the kernel does not show the initial subflow and one join", evidence);
        var k = net.Nstat(net.KernelNs);
        Assert.Equal(1, k.GetValueOrDefault("MPTcpExtMPJoinSynAckRx"));
        var e = LoggedEngineCounters(engine);
        Assert.Equal(2, e.GetValueOrDefault("MPTcpExtMPJoinSynRx"));
        Assert.Equal(1, e.GetValueOrDefault("MPTcpExtMPJoinRejected"));
        Assert.Equal(1, e.GetValueOrDefault("MPTcpExtMPJoinAckRx"));
        Assert.Equal(2, e.GetValueOrDefault("subflows"));
        Assert.Single(engine.Stderr.Split('\n'), l => l.Contains("SF_ESTABLISHED]"));

        await FinishDownload(engine, kernel, "kernel MPTCP client", bytes, evidence);
        output.WriteLine(evidence());
    }

    /// <summary>
    /// The kernel server announces an address nobody has (in path 1's subnet: the engine's ARP goes unanswered). The engine
    /// echoes it and tries one join, which times out (syn-retries = 2: 7 s) and is reported with its error; it is not tried
    /// again, and the download on the initial subflow is not disturbed.
    /// </summary>
    [Fact]
    public async Task A_join_to_an_announced_address_the_engine_cannot_reach_fails_once_and_leaves_the_connection_alone()
    {
        const long bytes = 8_000_000;
        const int port = 7309;
        using var net = new MultiPathNetwork();
        net.SetLimits(net.KernelNs, subflows: 2, addAddrAccepted: 0);
        net.RateLimit(0, 20);
        var nowhere = InSubnet(net.Paths[1].KernelIp, 77);
        // Linux announces whatever a signal endpoint says, owned or not.
        net.AddEndpoint(net.KernelNs, nowhere, "signal", id: 5);
        var config = Path.Combine(Path.GetTempPath(), $"mptcp-pm-{Guid.NewGuid():N}.conf");
        File.WriteAllText(config, "mptcp.tcp.syn-retries = 2\n");
        using var kernel = KernelPeer.Start(net.KernelNs, "server-send", net.Paths[0].KernelIp, port, bytes, 309, mptcp: true, bindAny: true);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        using var engine = EngineProcess.Start(net.EngineNs,
            $"connect {net.Paths[0].KernelIp} {port} {net.EngineIfaceArgs} --limits add-addr-accepted=1 --config {config} --monitor", feedStdin: true);
        try
        {
            var evidence = Evidence(net, engine);
            WaitFor(() => net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtEchoAdd") >= 1, "the engine did not echo the announcement", evidence);
            WaitFor(() => engine.Stderr.Split('\n').Any(l => l.Contains("SF_CLOSED]") && l.Contains($"daddr4={nowhere} ")),
                "the failed join was not reported", evidence, 60);
            var failed = engine.Stderr.Split('\n').Single(l => l.Contains("SF_CLOSED]"));
            Assert.Contains("error=", failed);
            // Longer than the first back-off a rejoin would wait (1 s), and than a second try's first SYN retransmission.
            Thread.Sleep(3000);
            var e = EngineCounters(engine);
            Assert.Equal(1, e.GetValueOrDefault("MPTcpExtMPJoinSynTx"));
            Assert.Equal(1, e.GetValueOrDefault("subflows"));
            Assert.Equal(0, net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtMPJoinSynRx"));
            Assert.DoesNotContain(engine.Stderr.Split('\n'), l => l.Contains("SF_ESTABLISHED]"));

            await FinishDownload(engine, kernel, "kernel MPTCP server", bytes, evidence);
            output.WriteLine(evidence());
        }
        finally
        {
            File.Delete(config);
        }
    }

    /// <summary>
    /// Client endpoints "path 0: fullmesh" and "path 1: subflow fullmesh", limits subflows 4 and add_addr_accepted 1, against a
    /// kernel server announcing its path-1 address: first a kernel client, then the engine, on networks of the same shape;
    /// the server's sockets must show the same subflows (by path). Then the engine's path 1 goes down (its subflows go, a
    /// REMOVE_ADDR tells the kernel) and comes back (they are made again), while the upload runs; SHA-256 equal each time.
    /// </summary>
    [Fact]
    public async Task Fullmesh_endpoints_make_the_subflows_a_kernel_client_makes_and_an_interface_down_and_up_remakes_them()
    {
        const int port = 7308;
        static Process Server(MultiPathNetwork net)
        {
            net.SetLimits(net.KernelNs, subflows: 4, addAddrAccepted: 0);
            net.AddEndpoint(net.KernelNs, net.Paths[1].KernelIp, "signal", dev: net.Paths[1].KernelIf, id: 5);
            foreach (var p in net.Paths) net.RateLimit(p.Index, 10, bothWays: true);
            var server = KernelPeer.Start(net.KernelNs, "server-recv", net.Paths[0].KernelIp, port, 0, 0, mptcp: true, bindAny: true);
            Assert.Equal("listening", server.StandardOutput.ReadLine());
            return server;
        }

        List<(int Client, int Server)> linux;
        using (var knet = new MultiPathNetwork(kernelOnBothSides: true))
        {
            using var server = Server(knet);
            knet.SetLimits(knet.EngineNs, subflows: 4, addAddrAccepted: 1);
            knet.AddEndpoint(knet.EngineNs, knet.Paths[0].EngineIp, "fullmesh", dev: knet.Paths[0].EngineIf, id: 1);
            knet.AddEndpoint(knet.EngineNs, knet.Paths[1].EngineIp, "subflow,fullmesh", dev: knet.Paths[1].EngineIf, id: 2);
            using var client = KernelPeer.Start(knet.EngineNs, "client-send", knet.Paths[0].KernelIp, port, 8_000_000, 308, mptcp: true);
            Func<string> kevidence = () => $"server: {Counters(knet)}\n{knet.SsMptcp(knet.KernelNs)}";
            WaitFor(() => knet.Nstat(knet.KernelNs).GetValueOrDefault("MPTcpExtMPJoinAckRx") >= 1, "the kernel client made no join", kevidence);
            // Linux makes its subflows at once (on establishment and on the ADD_ADDR); a moment more lets any late one show.
            Thread.Sleep(1000);
            linux = ServerSubflows(knet, port);
            output.WriteLine($"kernel client's subflows (client path → server path): {Show(linux)}");
            var sent = InteropHelpers.WaitKernel(client, "kernel MPTCP client", 60, kevidence).Split(' ');
            Assert.Equal(sent[0], InteropHelpers.WaitKernel(server, "kernel MPTCP server", 60, kevidence).Split(' ')[0]);
        }
        Assert.True(linux.Count > 2, $"the kernel client's fullmesh made no more than {Show(linux)}");

        const int bytes = 24_000_000;
        using var net = new MultiPathNetwork();
        using var kernel = Server(net);
        var (p0, p1) = (net.Paths[0], net.Paths[1]);
        var data = InteropHelpers.Data(bytes, 309);
        using var engine = EngineProcess.Start(net.EngineNs,
            $"connect {p0.KernelIp} {port} --iface {p0.EngineIface},gw={p0.KernelIp} --iface {p1.EngineIface},gw={p1.KernelIp} " +
            $"--endpoint {p0.EngineIp},fullmesh,id=1 --endpoint {p1.EngineIp},subflow,fullmesh,id=2 --limits subflows=4,add-addr-accepted=1 --monitor",
            feedStdin: true);
        var feeding = engine.Feed(data);
        var evidence = Evidence(net, engine);
        WaitFor(() => ServerSubflows(net, port).SequenceEqual(linux), $"the engine's subflows did not become the kernel client's ({Show(linux)})",
            () => $"engine's: {Show(ServerSubflows(net, port))}\n{evidence()}");

        net.SetLinkDown(1);
        var survivors = linux.Where(s => s.Client == 0).ToList();
        WaitFor(() => ServerSubflows(net, port).SequenceEqual(survivors), $"the kernel did not keep only {Show(survivors)} once path 1 went down",
            () => $"now: {Show(ServerSubflows(net, port))}\n{evidence()}");
        Assert.True(net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtRmAddr") >= 1, "no REMOVE_ADDR reached the kernel: " + evidence());
        net.SetLinkUp(1);
        WaitFor(() => ServerSubflows(net, port).SequenceEqual(linux), $"the engine did not make {Show(linux)} again once path 1 was back",
            () => $"now: {Show(ServerSubflows(net, port))}\n{evidence()}");

        var says = InteropHelpers.WaitKernel(kernel, "kernel MPTCP server", 90, evidence).Split(' ');
        Assert.Equal(bytes.ToString(CultureInfo.InvariantCulture), says[1]);
        Assert.Equal(InteropHelpers.Sha256(data), says[0]);
        await feeding;
        engine.WaitForExit(30);
        Assert.Equal(0, engine.ExitCode);
        output.WriteLine(evidence());
    }
}
