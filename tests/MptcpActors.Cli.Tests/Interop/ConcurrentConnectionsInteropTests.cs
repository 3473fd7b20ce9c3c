using System.Diagnostics;
using Xunit.Abstractions;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>`mptcp listen --keep-open --echo` serving many kernel TCP clients at once.</summary>
[Collection("netns")]
public class ConcurrentConnectionsInteropTests(ITestOutputHelper output)
{
    private const int Clients = 20;
    private const int BytesEach = 1_000_000;

    /// <summary>
    /// 20 kernel clients connect at the same moment, each sends 1 MB of its own seeded stream while reading the echo, and
    /// checks that exactly its bytes came back (KernelPeer echo-client). The engine must still be running afterwards
    /// (--keep-open never exits on its own) and ready for more: a 21st client after the crowd is echoed too.
    /// </summary>
    [Fact]
    public void Twenty_concurrent_kernel_clients_are_echoed_intact()
    {
        using var net = new VethPair();
        using var engine = EngineProcess.Start(net.EngineNs, $"listen --port 5000 --keep-open --echo --iface {net.EngineIf}={net.EngineIp}/24 --plain");
        // The clients retry until the engine listens; wait for the first to get through so all start against a live listener.
        using var first = KernelPeer.Start(net.KernelNs, "echo-client", net.EngineIp, 5000, 1000, 1);
        AssertEchoed(first, engine, "warm-up client", 30);

        var sw = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, Clients).Select(i => KernelPeer.Start(net.KernelNs, "echo-client", net.EngineIp, 5000, BytesEach, 1000 + i)).ToList();
        try
        {
            for (var i = 0; i < clients.Count; i++) AssertEchoed(clients[i], engine, $"client {i}", 60);
        }
        finally
        {
            foreach (var c in clients)
            {
                if (!c.HasExited) c.Kill(true);
                c.Dispose();
            }
        }
        output.WriteLine($"{Clients} clients × {BytesEach} bytes echoed in {sw.Elapsed.TotalSeconds:F2} s");

        using var last = KernelPeer.Start(net.KernelNs, "echo-client", net.EngineIp, 5000, 16_000_000, 2000);
        AssertEchoed(last, engine, "client after the crowd", 30);
        Assert.False(engine.Process.HasExited, $"listen --keep-open exited: {engine.Stderr}");
    }

    private static void AssertEchoed(Process client, EngineProcess engine, string what, int seconds)
    {
        var says = InteropHelpers.WaitKernel(client, what, seconds, () => $"(engine {(engine.Process.HasExited ? "exited" : "running")}: {engine.Stderr})").Split(' ');
        Assert.True(says.Length == 3 && says[2] == "ok", $"{what}: {string.Join(' ', says)}");
    }
}
