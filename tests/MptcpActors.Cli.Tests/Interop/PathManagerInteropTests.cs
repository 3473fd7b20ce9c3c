using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Xunit.Abstractions;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// The engine's path manager changed at run time against the Linux kernel over two veth paths (<see cref="MultiPathNetwork"/>):
/// the engine's signal endpoint with a port announced to a kernel client, joined on that port, then deleted through
/// <c>--pm-control</c> (REMOVE_ADDR reaches the kernel, which closes the subflow); and the kernel's own endpoints added and
/// deleted while the engine is connected. The kernel's counters and the engine's <c>--monitor</c> lines say what happened;
/// the data must arrive intact.
/// </summary>
[Collection("netns")]
public partial class PathManagerInteropTests(ITestOutputHelper output)
{
    private static string ControlPath() => Path.Combine(Path.GetTempPath(), $"mptcp-pm-{Guid.NewGuid():N}.sock");

    /// <summary>One line to the engine's control socket; its answer.</summary>
    private static string Control(string socket, string line)
    {
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(socket));
        using var stream = new NetworkStream(s);
        stream.Write(Encoding.UTF8.GetBytes(line + "\n"));
        return new StreamReader(stream).ReadLine() ?? "";
    }

    private static void WaitFor(Func<bool> condition, string what, Func<string> evidence, int seconds = 30)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(seconds)) Assert.Fail($"{what} within {seconds} s: {evidence()}");
            Thread.Sleep(20);
        }
    }

    private static bool WaitForSocket(string path)
    {
        var sw = Stopwatch.StartNew();
        while (!File.Exists(path) && sw.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(20);
        return File.Exists(path);
    }

    /// <summary>The kernel's MPTCP subflows still established (ss shows tcp-ulp-mptcp on each).</summary>
    private static int KernelSubflows(MultiPathNetwork net) =>
        net.InKernelNs("ss -ntie state established").Split('\n').Count(l => l.Contains("tcp-ulp-mptcp"));

    private string Counters(MultiPathNetwork net) =>
        string.Join(' ', net.Nstat(net.KernelNs).Where(c => c.Value != 0).Select(c => $"{c.Key}={c.Value}"));

    /// <summary>What a failed wait shows: the kernel's counters and MPTCP sockets, the engine's stderr (its --monitor lines).</summary>
    private Func<string> Evidence(MultiPathNetwork net, EngineProcess engine) =>
        () => $"kernel: {Counters(net)}\n{net.SsMptcp(net.KernelNs)}\nengine stderr:\n{engine.Stderr}";

    /// <summary>
    /// The end of a download from the kernel: the engine has all <paramref name="bytes"/>, its stdin ends (DATA_FIN, after
    /// which the kernel finishes), both exit cleanly and agree on the SHA-256.
    /// </summary>
    private static async Task FinishDownload(EngineProcess engine, Process kernel, string what, long bytes, Func<string> evidence)
    {
        WaitFor(() => engine.StdoutBytes >= bytes || engine.Process.HasExited, "the engine did not receive everything", evidence, 60);
        engine.Process.StandardInput.Close();
        var says = InteropHelpers.WaitKernel(kernel, what, 60, evidence).Split(' ');
        engine.WaitForExit(30);
        Assert.Equal(0, engine.ExitCode);
        Assert.Equal(says[0], (await engine.Stdout).Sha);
    }

    /// <summary>Two paths of 20 Mbit/s (towards the kernel, or <paramref name="bothWays"/>), the kernel's limits two subflows and <paramref name="addAddrAccepted"/>.</summary>
    private static MultiPathNetwork TwoPaths(int addAddrAccepted, bool bothWays = false)
    {
        var net = new MultiPathNetwork();
        try
        {
            net.SetLimits(net.KernelNs, subflows: 2, addAddrAccepted: addAddrAccepted);
            net.RateLimit(0, 20, bothWays: bothWays);
            net.RateLimit(1, 20, bothWays: bothWays);
            return net;
        }
        catch
        {
            net.Dispose(); // the namespaces go with a failed set-up too
            throw;
        }
    }

    [Fact]
    public async Task A_signal_endpoint_with_a_port_is_joined_on_that_port_and_deleting_it_at_run_time_removes_the_kernels_subflow()
    {
        const long bytes = 16_000_000;
        const int port = 7301, endpointPort = 7302;
        using var net = TwoPaths(addAddrAccepted: 1);
        var control = ControlPath();
        var p1 = net.Paths[1].EngineIp;
        using var engine = EngineProcess.Start(net.EngineNs,
            $"listen --port {port} {net.EngineIfaceArgs} --endpoint {p1},signal,port={endpointPort} --monitor --pm-control {control}", feedStdin: true);
        try
        {
            Assert.True(WaitForSocket(control), "no control socket: " + engine.Stderr);
            // Connecting before the engine listens would cost the kernel its MP_CAPABLE SYN (it falls back after one unanswered).
            WaitFor(() => engine.Stderr.Contains($"LISTENER_CREATED] saddr4={net.Paths[0].EngineIp} sport={port}"), "the engine did not listen", () => engine.Stderr);
            using var kernel = KernelPeer.Start(net.KernelNs, "client-send", net.Paths[0].EngineIp, port, bytes, 301, mptcp: true);
            var evidence = Evidence(net, engine);
            WaitFor(() => net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtMPJoinSynAckRx") >= 1, "the kernel did not join the announced address", evidence);
            var c = net.Nstat(net.KernelNs);
            Assert.True(c.GetValueOrDefault("MPTcpExtAddAddr") >= 1, "the kernel counted no ADD_ADDR: " + evidence());
            Assert.Equal(0, c.GetValueOrDefault("MPTcpExtAddAddrDrop"));
            Assert.Equal(0, c.GetValueOrDefault("MPTcpExtMismatchPortSynRx"));
            // The join landed on the endpoint's port of the endpoint's address.
            WaitFor(() => engine.Stderr.Contains($"SF_ESTABLISHED]") && engine.Stderr.Contains($"saddr4={p1} daddr4="), "no SF_ESTABLISHED on the monitor", evidence);
            Assert.Contains($"sport={endpointPort}", engine.Stderr.Split('\n').Single(l => l.Contains("SF_ESTABLISHED")));

            var answer = Control(control, "endpoint delete id 1");
            output.WriteLine($"endpoint delete id 1: {answer}");
            Assert.StartsWith("ok", answer);
            WaitFor(() => net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtRmAddr") >= 1, "REMOVE_ADDR did not reach the kernel", evidence);
            // Linux counts RmAddr for each subflow it closes on a REMOVE_ADDR (mptcp_pm_nl_rm_addr_or_subflow); its socket list shows one left.
            WaitFor(() => KernelSubflows(net) == 1, "the kernel did not close the subflow of the removed address", evidence);
            WaitFor(() => engine.Stderr.Contains("SF_CLOSED]"), "the engine did not close the subflow on the deleted endpoint", evidence);
            WaitFor(() => engine.Stderr.Contains($"LISTENER_CLOSED] saddr4={p1} sport={endpointPort}"), "the endpoint's listener did not close", evidence);

            await FinishDownload(engine, kernel, "kernel MPTCP client", bytes, evidence);
            output.WriteLine(evidence());
        }
        finally
        {
            File.Delete(control);
        }
    }

    [Fact]
    public async Task Endpoints_the_kernel_server_adds_and_deletes_at_run_time_are_joined_and_left_by_the_engine()
    {
        const long bytes = 16_000_000;
        const int port = 7303;
        using var net = TwoPaths(addAddrAccepted: 0);
        using var kernel = KernelPeer.Start(net.KernelNs, "server-send", net.Paths[0].KernelIp, port, bytes, 303, mptcp: true, bindAny: true);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        using var engine = EngineProcess.Start(net.EngineNs,
            $"connect {net.Paths[0].KernelIp} {port} {net.EngineIfaceArgs} --limits add-addr-accepted=1 --monitor", feedStdin: true);
        var evidence = Evidence(net, engine);
        WaitFor(() => engine.Stderr.Contains("ESTABLISHED] token="), "the connection was not established", evidence);

        net.AddEndpoint(net.KernelNs, net.Paths[1].KernelIp, "signal", dev: net.Paths[1].KernelIf, id: 5);
        WaitFor(() => engine.Stderr.Contains("ANNOUNCED] token=") && engine.Stderr.Contains("SF_ESTABLISHED]"),
            "the engine did not join the address the kernel announced at run time", evidence);
        Assert.Contains($"remid=5", engine.Stderr.Split('\n').Single(l => l.Contains("ANNOUNCED]")));
        WaitFor(() => net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtMPJoinAckRx") >= 1, "the kernel did not complete the engine's join", evidence);

        VethPair.Sh($"ip -n {net.KernelNs} mptcp endpoint delete id 5");
        WaitFor(() => engine.Stderr.Contains("REMOVED] token=") && engine.Stderr.Contains("SF_CLOSED]"),
            "the engine did not close the subflow to the address the kernel removed", evidence);
        Assert.Contains("remid=5", engine.Stderr.Split('\n').First(l => l.Contains("SF_CLOSED]")));

        await FinishDownload(engine, kernel, "kernel MPTCP server", bytes, evidence);
        output.WriteLine(evidence());
    }

    /// <summary>
    /// The engine's subflow endpoint on path 1 joins the kernel server; path 1's link goes down mid-upload (the engine's
    /// interface loses its carrier): the engine withdraws the address (REMOVE_ADDR on path 0) and resets the subflow; the link
    /// comes back: the engine joins from it again; the 16 MB arrive intact.
    /// </summary>
    [Fact]
    public async Task An_interface_going_down_and_up_removes_and_recreates_its_subflow_and_the_upload_completes()
    {
        const int bytes = 16_000_000, port = 7304;
        using var net = TwoPaths(addAddrAccepted: 0, bothWays: true);
        var (p0, p1) = (net.Paths[0], net.Paths[1]);
        using var kernel = KernelPeer.Start(net.KernelNs, "server-recv", p0.KernelIp, port, 0, 0, mptcp: true);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        var data = InteropHelpers.Data(bytes, 304);
        using var engine = EngineProcess.Start(net.EngineNs,
            $"connect {p0.KernelIp} {port} --iface {p0.EngineIface} --iface {p1.EngineIface},gw={p1.KernelIp} --endpoint {p1.EngineIp},subflow --monitor",
            feedStdin: true);
        var feeding = engine.Feed(data);
        var evidence = Evidence(net, engine);
        WaitFor(() => net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtMPJoinAckRx") >= 1, "the engine's join did not complete", evidence);

        net.SetLinkDown(1);
        WaitFor(() => engine.Stderr.Contains($"SF_CLOSED] token=") && engine.Stderr.Split('\n').Any(l => l.Contains("SF_CLOSED") && l.Contains($"saddr4={p1.EngineIp}")),
            "the engine did not close the subflow of the interface that went down", evidence);
        WaitFor(() => net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtRmAddr") >= 1, "the kernel got no REMOVE_ADDR for the address that went down", evidence);
        net.SetLinkUp(1);
        WaitFor(() => net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtMPJoinAckRx") >= 2, "the engine did not join again once the link was back", evidence);
        Assert.Equal(2, engine.Stderr.Split('\n').Count(l => l.Contains("SF_ESTABLISHED") && l.Contains($"saddr4={p1.EngineIp}")));

        var says = InteropHelpers.WaitKernel(kernel, "kernel MPTCP server", 60, evidence).Split(' ');
        Assert.Equal(bytes.ToString(), says[1]);
        Assert.Equal(InteropHelpers.Sha256(data), says[0]);
        await feeding;
        engine.WaitForExit(30);
        Assert.Equal(0, engine.ExitCode);
        output.WriteLine(evidence());
    }

    /// <summary>
    /// Userspace mode (mptcp.path-manager.type = userspace; the control socket is the controller) against a kernel server:
    /// commands in pm_nl_ctl's words create a subflow, make it backup, destroy it, create it again, announce an address and
    /// remove it; the kernel sees each (join, MP_PRIO, ADD_ADDR echoed, REMOVE_ADDR), the monitor shows every event in
    /// order, impossible commands get a clear error (a join beyond the kernel's limit: the kernel's refusal as an event),
    /// and the data arrives intact.
    /// </summary>
    [Fact]
    public async Task A_userspace_controller_drives_subflows_and_announcements_against_the_kernel_and_sees_every_event()
    {
        const int port = 7305;
        using var net = new MultiPathNetwork();
        net.SetLimits(net.KernelNs, subflows: 1, addAddrAccepted: 0);
        var (p0, p1) = (net.Paths[0], net.Paths[1]);
        using var kernel = KernelPeer.Start(net.KernelNs, "server-recv", p0.KernelIp, port, 0, 0, mptcp: true, bindAny: true);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        var control = ControlPath();
        var config = Path.Combine(Path.GetTempPath(), $"mptcp-pm-{Guid.NewGuid():N}.conf");
        File.WriteAllText(config, "mptcp.path-manager.type = userspace\n");
        var data = InteropHelpers.Data(4_000_000, 305);
        using var engine = EngineProcess.Start(net.EngineNs,
            $"connect {p0.KernelIp} {port} --iface {p0.EngineIface} --iface {p1.EngineIface},gw={p1.KernelIp} --config {config} --monitor --pm-control {control}",
            feedStdin: true);
        try
        {
            var evidence = Evidence(net, engine);
            // A first chunk: the kernel's DSS in answer makes the connection fully established (RFC 8684 3.1).
            await engine.Process.StandardInput.BaseStream.WriteAsync(data.AsMemory(0, 1000));
            await engine.Process.StandardInput.BaseStream.FlushAsync();
            WaitFor(() => engine.Stderr.Contains("ESTABLISHED] token="), "the connection was not established", evidence);
            Assert.True(WaitForSocket(control), "no control socket: " + engine.Stderr);
            var token = System.Text.RegularExpressions.Regex.Match(engine.Stderr, "CREATED\\] token=([0-9a-f]{8})").Groups[1].Value;
            string Ok(string line)
            {
                var answer = Control(control, line);
                output.WriteLine($"{line}: {answer}");
                Assert.True(answer == "ok" || answer.StartsWith("ok ", StringComparison.Ordinal), $"{line}: {answer}\n{evidence()}");
                return answer;
            }
            var csf = $"csf lip {p1.EngineIp} lid 2 rip {p0.KernelIp} rport {port} token {token}";
            Ok(csf);
            WaitFor(() => net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtMPJoinAckRx") >= 1, "the kernel did not accept the controller's subflow", evidence);
            WaitFor(() => engine.Stderr.Contains("SF_ESTABLISHED]"), "no SF_ESTABLISHED", evidence);
            Assert.StartsWith("error: a subflow from", Control(control, csf));
            // Beyond the kernel's limit (subflows 1): the command is taken, the kernel refuses the join (MPJoinRejected) and
            // the controller hears of it as SF_CLOSED with the error, as from Linux's userspace PM.
            Ok($"csf lip {p1.EngineIp} lid 2 rip {p1.KernelIp} rport {port} token {token}");
            WaitFor(() => engine.Stderr.Split('\n').Any(l => l.Contains("SF_CLOSED]") && l.Contains($"daddr4={p1.KernelIp} ")), "the refused join was not reported", evidence);
            Assert.Contains("error=", engine.Stderr.Split('\n').Single(l => l.Contains("SF_CLOSED]")));
            Assert.Equal(1, net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtMPJoinRejected"));
            Ok($"set {p1.EngineIp} token {token} flags backup");
            WaitFor(() => net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtMPPrioRx") >= 1, "the kernel got no MP_PRIO", evidence);
            var lport = System.Text.RegularExpressions.Regex.Match(engine.Stderr, $"SF_ESTABLISHED\\].* saddr4={p1.EngineIp.Replace(".", "\\.")} .*sport=(\\d+)").Groups[1].Value;
            Ok($"dsf lip {p1.EngineIp} lport {lport} rip {p0.KernelIp} rport {port} token {token}");
            WaitFor(() => engine.Stderr.Split('\n').Count(l => l.Contains("SF_CLOSED]")) >= 2, "no SF_CLOSED after dsf", evidence);
            Assert.StartsWith("error: no subflow", Control(control, $"dsf lip {p1.EngineIp} lport {lport} rip {p0.KernelIp} rport {port} token {token}"));
            Ok(csf);
            WaitFor(() => net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtMPJoinAckRx") >= 2, "the kernel did not accept the second subflow", evidence);
            Ok($"ann {p1.EngineIp} token {token} id 2");
            WaitFor(() => net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtEchoAddTx") >= 1 || net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtAddAddr") >= 1,
                "the kernel did not take the announcement", evidence);
            Assert.Contains("already announced", Control(control, $"ann {p1.EngineIp} token {token} id 2"));
            Assert.Contains("no connection with token", Control(control, $"ann {p1.EngineIp} token 0badc0de id 3"));
            Assert.Contains("not an address of this node", Control(control, $"ann 192.0.2.1 token {token} id 3"));
            Ok($"rem token {token} id 2");
            WaitFor(() => net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtRmAddr") >= 1, "the kernel did not remove the address", evidence);
            WaitFor(() => engine.Stderr.Split('\n').Count(l => l.Contains("SF_CLOSED]")) >= 3, "the subflow of the removed address did not close", evidence);

            await engine.Process.StandardInput.BaseStream.WriteAsync(data.AsMemory(1000));
            engine.Process.StandardInput.Close();
            var says = InteropHelpers.WaitKernel(kernel, "kernel MPTCP server", 60, evidence).Split(' ');
            Assert.Equal(InteropHelpers.Sha256(data), says[0]);
            engine.WaitForExit(30);
            Assert.Equal(0, engine.ExitCode);
            var kinds = engine.Stderr.Split('\n').Where(l => l.StartsWith('[')).Select(l => l[1..17].Trim()).ToList();
            output.WriteLine(string.Join(' ', kinds));
            Assert.Equal(["CREATED", "ESTABLISHED", "SF_ESTABLISHED", "SF_CLOSED", "SF_CLOSED", "SF_ESTABLISHED", "SF_CLOSED", "SF_CLOSED", "CLOSED"], kinds);
        }
        finally
        {
            File.Delete(control);
            File.Delete(config);
        }
    }

    /// <summary>
    /// The engine uploads to a kernel server that announces its path-1 address; the engine joins it. The kernel then makes that
    /// endpoint backup at run time (<c>ip mptcp endpoint change ... backup</c>): MP_PRIO reaches the engine, which stops sending
    /// on path 1; path 0 is blackholed: the engine fails over to the backup path and the upload completes intact.
    /// </summary>
    [Fact]
    public async Task A_kernel_endpoint_made_backup_at_run_time_stops_the_engines_data_there_until_the_other_path_fails()
    {
        const int bytes = 24_000_000, port = 7306;
        using var net = TwoPaths(addAddrAccepted: 0, bothWays: true);
        var (p0, p1) = (net.Paths[0], net.Paths[1]);
        net.AddEndpoint(net.KernelNs, p1.KernelIp, "signal", dev: p1.KernelIf, id: 4);
        using var kernel = KernelPeer.Start(net.KernelNs, "server-recv", p0.KernelIp, port, 0, 0, mptcp: true, bindAny: true);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        var data = InteropHelpers.Data(bytes, 306);
        using var engine = EngineProcess.Start(net.EngineNs,
            $"connect {p0.KernelIp} {port} {net.EngineIfaceArgs} --limits add-addr-accepted=1 --monitor", feedStdin: true);
        var feeding = engine.Feed(data);
        var evidence = Evidence(net, engine);
        WaitFor(() => net.Nstat(net.KernelNs).GetValueOrDefault("MPTcpExtMPJoinAckRx") >= 1, "the engine did not join the kernel's announced address", evidence);
        WaitFor(() => net.KernelRxBytes(1) > 1_000_000, "path 1 carried no data before the change", evidence);

        VethPair.Sh($"ip -n {net.KernelNs} mptcp endpoint change id 4 backup");
        WaitFor(() => engine.Stderr.Split('\n').Any(l => l.Contains("SF_PRIORITY]") && l.Contains("backup=1")), "the engine saw no MP_PRIO", evidence);
        // What was in flight drains; after that, nothing new goes out on path 1 while path 0 works.
        Thread.Sleep(1000);
        var path1 = net.KernelRxBytes(1);
        var path0 = net.KernelRxBytes(0);
        WaitFor(() => net.KernelRxBytes(0) > path0 + 2_000_000, "path 0 did not carry on", evidence);
        var idle = net.KernelRxBytes(1) - path1;
        output.WriteLine($"path 1 got {idle} B while path 0 got {net.KernelRxBytes(0) - path0} B");
        Assert.True(idle < 100_000, $"the engine still sent {idle} B on the backup path: {evidence()}");

        net.Blackhole(0);
        var says = InteropHelpers.WaitKernel(kernel, "kernel MPTCP server", 90, evidence).Split(' ');
        Assert.Equal(InteropHelpers.Sha256(data), says[0]);
        Assert.True(net.KernelRxBytes(1) > path1 + 1_000_000, "the engine did not fail over to the backup path: " + evidence());
        await feeding;
    }
}
