using System.Security.Cryptography;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>Serializes every test that creates namespaces: they share the kernel's namespace and veth tables.</summary>
[CollectionDefinition("netns", DisableParallelization = true)]
public sealed class NetnsCollection;

/// <summary>`mptcp listen/connect --plain` on a raw socket against the Linux kernel's TCP, in namespaces (root; CI runs it).</summary>
[Collection("netns")]
public class PlainTcpInteropTests
{
    private const long Bytes = 100_000_000;

    private static EngineProcess Engine(VethPair net, string args, bool feedStdin = false) =>
        EngineProcess.Start(net.EngineNs, $"{args} --iface {net.EngineIf}={net.EngineIp}/24 --plain", feedStdin);

    [Fact]
    public async Task Kernel_client_sends_to_engine_listen()
    {
        using var net = new VethPair();
        using var engine = Engine(net, "listen --port 5000");
        using var kernel = KernelPeer.Start(net.KernelNs, "client-send", net.EngineIp, 5000, Bytes, 7);
        await OneWay.KernelSends(engine, kernel, "kernel client", Bytes);
    }

    /// <summary>The same through the TPACKET_V3 receive ring (mptcp.raw-socket.receive = ring): the kernel's 64 KiB GSO frames land whole.</summary>
    [Fact]
    public async Task Kernel_client_sends_to_engine_listen_through_the_receive_ring()
    {
        using var net = new VethPair();
        using var config = new TempConfig("mptcp.raw-socket.receive = ring");
        using var engine = Engine(net, $"listen --port 5003 --config {config.Path}");
        using var kernel = KernelPeer.Start(net.KernelNs, "client-send", net.EngineIp, 5003, Bytes, 13);
        await OneWay.KernelSends(engine, kernel, "kernel client", Bytes);
    }

    /// <summary>With segmentation offload off (mptcp.raw-socket.segmentation-offload = off) every segment leaves alone, as before GSO.</summary>
    [Fact]
    public async Task Engine_connect_sends_to_kernel_server_without_segmentation_offload()
    {
        const int bytes = 20_000_000;
        using var net = new VethPair();
        using var config = new TempConfig("mptcp.raw-socket.segmentation-offload = off");
        using var kernel = KernelPeer.Start(net.KernelNs, "server-recv", net.KernelIp, 5004, 0, 0);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        using var engine = Engine(net, $"connect {net.KernelIp} 5004 --config {config.Path}", feedStdin: true);
        await OneWay.EngineSends(engine, kernel, "kernel server", RandomNumberGenerator.GetBytes(bytes));
    }

    private sealed class TempConfig : IDisposable
    {
        public TempConfig(string hocon) => File.WriteAllText(Path, hocon);
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"mptcp-interop-{Guid.NewGuid():N}.conf");
        public void Dispose() => File.Delete(Path);
    }

    [Fact]
    public async Task Engine_connect_sends_to_kernel_server()
    {
        using var net = new VethPair();
        using var kernel = KernelPeer.Start(net.KernelNs, "server-recv", net.KernelIp, 5001, 0, 0);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        using var engine = Engine(net, $"connect {net.KernelIp} 5001", feedStdin: true);
        await OneWay.EngineSends(engine, kernel, "kernel server", RandomNumberGenerator.GetBytes((int)Bytes));
    }

    [Fact]
    public async Task Kernel_server_sends_to_engine_connect()
    {
        using var net = new VethPair();
        using var kernel = KernelPeer.Start(net.KernelNs, "server-send", net.KernelIp, 5002, Bytes, 11);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        using var engine = Engine(net, $"connect {net.KernelIp} 5002");
        await OneWay.KernelSends(engine, kernel, "kernel server", Bytes);
    }
}
