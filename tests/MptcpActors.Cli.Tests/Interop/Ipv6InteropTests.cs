using Xunit.Abstractions;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// `mptcp listen/connect --plain` over IPv6 against the kernel: the engine owns fd00:213:N::2/64 on a link where its own
/// kernel has IPv6 disabled, so the kernel peer can only reach it through the engine's neighbour discovery (the kernel
/// solicits the engine's address; the engine solicits the kernel's before its SYN).
/// </summary>
[Collection("netns")]
public class Ipv6InteropTests(ITestOutputHelper output)
{
    private const int Bytes = 100_000_000;

    [Fact]
    public async Task Kernel_client_and_engine_listen_exchange_20MB_each_way_over_ipv6()
    {
        using var net = new VethPair(ipv6: true);
        var r = await Exchange.KernelClientToEngineListen(net, $"{net.EngineIf}={net.EngineIp6}/64", net.EngineIp6!, Bytes, 61);
        output.WriteLine(r.ToString());
        AssertKernelResolvedEngine(net);
    }

    [Fact]
    public async Task Engine_connect_and_kernel_server_exchange_20MB_each_way_over_ipv6()
    {
        using var net = new VethPair(ipv6: true);
        var r = await Exchange.EngineConnectToKernelServer(net, $"{net.EngineIf}={net.EngineIp6}/64", net.KernelIp6!, Bytes, 71);
        output.WriteLine(r.ToString());
        AssertKernelResolvedEngine(net);
    }

    /// <summary>The kernel's neighbour cache holds the engine's address with the engine's MAC: learnt through NDP, nothing else gives it.</summary>
    private static void AssertKernelResolvedEngine(VethPair net)
    {
        var neighbours = VethPair.Sh($"ip -n {net.KernelNs} -6 neigh show dev {net.KernelIf}");
        var mac = InteropHelpers.Mac(net.EngineNs, net.EngineIf);
        Assert.Contains(neighbours.Split('\n'), l => l.StartsWith(net.EngineIp6 + " ", StringComparison.Ordinal) && l.Contains($"lladdr {mac}")
            && !l.Contains("FAILED") && !l.Contains("INCOMPLETE"));
    }
}
