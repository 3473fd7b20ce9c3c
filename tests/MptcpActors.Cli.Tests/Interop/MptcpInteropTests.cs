using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>MPTCP v1 between the engine and the Linux kernel's MPTCP, both roles, and fallback both ways (namespaces, root).</summary>
[Collection("netns")]
public class MptcpInteropTests
{
    private const long Bytes = 100_000_000;

    private static EngineProcess Engine(VethPair net, string args, bool feedStdin = false) =>
        EngineProcess.Start(net.EngineNs, $"{args} --iface {net.EngineIf}={net.EngineIp}/24", feedStdin);

    /// <summary>The kernel namespace's MPTCP counters (nstat MPTcpExt*).</summary>
    private static Dictionary<string, long> KernelCounters(VethPair net) => InteropHelpers.MptcpCounters(net.KernelNs);

    private static JsonElement Stats(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("connection");

    /// <summary>
    /// The engine stopped mid-transfer (SIGTERM: its actor system shuts down) aborts the connection the MPTCP way: RST
    /// with MP_FASTCLOSE carrying the kernel's key, which the kernel honours at once (RFC 8684 3.5).
    /// </summary>
    [Fact]
    public void Stopping_the_engine_mid_transfer_fast_closes_the_kernel_connection()
    {
        using var net = new VethPair();
        VethPair.Sh($"ip netns exec {net.KernelNs} tc qdisc add dev {net.KernelIf} root tbf rate 20mbit burst 32kbit latency 50ms");
        using var kernel = KernelPeer.Start(net.KernelNs, "server-send", net.KernelIp, 6005, 200_000_000, 5, mptcp: true);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        using var engine = Engine(net, $"connect {net.KernelIp} 6005", feedStdin: true);
        var wait = Stopwatch.StartNew();
        while (engine.StdoutBytes < 1_000_000 && wait.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(20);
        Assert.True(engine.StdoutBytes >= 1_000_000, $"the transfer did not start: {engine.Stderr}");

        engine.Terminate(TimeSpan.FromSeconds(10));

        wait.Restart();
        while (KernelCounters(net).GetValueOrDefault("MPTcpExtMPFastcloseRx") < 1 && wait.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(50);
        Assert.True(KernelCounters(net).GetValueOrDefault("MPTcpExtMPFastcloseRx") >= 1, "the kernel got no MP_FASTCLOSE");
        Assert.True(kernel.WaitForExit(10_000), "the kernel's sender did not stop after the fast close");
    }

    [Fact]
    public async Task Engine_connect_sends_to_a_kernel_mptcp_server()
    {
        using var net = new VethPair();
        var stats = Path.GetTempFileName();
        using var kernel = KernelPeer.Start(net.KernelNs, "server-recv", net.KernelIp, 6001, 0, 0, mptcp: true);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        using var engine = Engine(net, $"connect {net.KernelIp} 6001 --stats {stats}", feedStdin: true);
        await OneWay.EngineSends(engine, kernel, "kernel MPTCP server", RandomNumberGenerator.GetBytes((int)Bytes));
        var c = KernelCounters(net);
        Assert.True(c.GetValueOrDefault("MPTcpExtMPCapableSYNRX") >= 1, "the kernel saw no MP_CAPABLE SYN");
        Assert.True(c.GetValueOrDefault("MPTcpExtMPCapableACKRX") >= 1, "the kernel saw no MP_CAPABLE third ACK");
        Assert.Equal(0, c.GetValueOrDefault("MPTcpExtMPCapableFallbackACK"));
        Assert.Equal(0, c.GetValueOrDefault("MPTcpExtDSSNotMatching"));
        var s = Stats(stats);
        Assert.False(s.GetProperty("fallback").GetBoolean());
        Assert.Equal(JsonValueKind.Number, s.GetProperty("token").ValueKind);
        File.Delete(stats);
    }

    [Fact]
    public async Task Kernel_mptcp_client_sends_to_engine_listen()
    {
        using var net = new VethPair();
        var stats = Path.GetTempFileName();
        using var engine = Engine(net, $"listen --port 6002 --stats {stats}");
        using var kernel = KernelPeer.Start(net.KernelNs, "client-send", net.EngineIp, 6002, Bytes, 5, mptcp: true);
        await OneWay.KernelSends(engine, kernel, "kernel MPTCP client", Bytes);
        var c = KernelCounters(net);
        Assert.True(c.GetValueOrDefault("MPTcpExtMPCapableSYNACKRX") >= 1, "the kernel saw no MP_CAPABLE SYN/ACK");
        Assert.Equal(0, c.GetValueOrDefault("MPTcpExtMPCapableFallbackSYNACK"));
        Assert.False(Stats(stats).GetProperty("fallback").GetBoolean());
        File.Delete(stats);
    }

    /// <summary>DSS checksums: asked by the engine (--checksum) or by the kernel (net.mptcp.checksum_enabled=1); the kernel verifies ours.</summary>
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Checksummed_mptcp_both_directions(bool engineAsks, bool kernelAsks)
    {
        using var net = new VethPair();
        if (kernelAsks) VethPair.Sh($"ip netns exec {net.KernelNs} sysctl -qw net.mptcp.checksum_enabled=1");
        var stats = Path.GetTempFileName();
        using var kernel = KernelPeer.Start(net.KernelNs, "server-recv", net.KernelIp, 6005, 0, 0, mptcp: true);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        using var engine = Engine(net, $"connect {net.KernelIp} 6005 --stats {stats}" + (engineAsks ? " --checksum" : ""), feedStdin: true);
        await OneWay.EngineSends(engine, kernel, "kernel MPTCP server", RandomNumberGenerator.GetBytes(5_000_000));
        var c = KernelCounters(net);
        Assert.Equal(0, c.GetValueOrDefault("MPTcpExtDataCsumErr"));
        Assert.Equal(0, c.GetValueOrDefault("MPTcpExtMPFailTx"));
        Assert.Equal(0, c.GetValueOrDefault("MPTcpExtInfiniteMapRx"));
        var s = Stats(stats);
        Assert.False(s.GetProperty("fallback").GetBoolean());
        Assert.True(s.GetProperty("checksum").GetBoolean());
        File.Delete(stats);
    }

    [Fact]
    public async Task Engine_mptcp_client_falls_back_against_a_plain_tcp_server()
    {
        using var net = new VethPair();
        var stats = Path.GetTempFileName();
        using var kernel = KernelPeer.Start(net.KernelNs, "server-send", net.KernelIp, 6003, 2_000_000, 3, mptcp: false);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        using var engine = Engine(net, $"connect {net.KernelIp} 6003 --stats {stats}");
        await OneWay.KernelSends(engine, kernel, "kernel TCP server", 2_000_000);
        Assert.True(Stats(stats).GetProperty("fallback").GetBoolean());
        File.Delete(stats);
    }

    [Fact]
    public async Task Kernel_mptcp_client_falls_back_against_engine_plain()
    {
        using var net = new VethPair();
        using var engine = Engine(net, "listen --port 6004 --plain");
        using var kernel = KernelPeer.Start(net.KernelNs, "client-send", net.EngineIp, 6004, 2_000_000, 9, mptcp: true);
        var kernelSays = InteropHelpers.WaitKernel(kernel, "kernel MPTCP client", 120);
        engine.WaitForExit(120);
        var (sha, _) = await engine.Stdout;
        Assert.Equal(kernelSays.Split(' ')[0], sha);
        Assert.True(KernelCounters(net).GetValueOrDefault("MPTcpExtMPCapableFallbackSYNACK") >= 1, "the kernel did not record falling back");
    }
}
