using System.Diagnostics;
using System.Security.Cryptography;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>Serializes every test that creates namespaces: they share the kernel's namespace and veth tables.</summary>
[CollectionDefinition("netns", DisableParallelization = true)]
public sealed class NetnsCollection;

/// <summary>`mptcp listen/connect --plain` on a raw socket against the Linux kernel's TCP, in namespaces (root; CI runs it).</summary>
[Collection("netns")]
public class PlainTcpInteropTests
{
    private const long Bytes = 20_000_000;

    private static Process Engine(VethPair net, string args, bool stdinFromTest = false)
    {
        var mptcp = Path.Combine(AppContext.BaseDirectory, "mptcp.dll");
        var psi = new ProcessStartInfo("ip", $"netns exec {net.EngineNs} dotnet {mptcp} {args} --iface {net.EngineIf}={net.EngineIp}/24 --plain")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        var p = Process.Start(psi)!;
        if (!stdinFromTest) p.StandardInput.Close();
        return p;
    }

    private static async Task<(string Sha, long Bytes)> HashStdout(Process p)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = await p.StandardOutput.BaseStream.ReadAsync(buffer)) > 0)
        {
            sha.AppendData(buffer, 0, n);
            total += n;
        }
        return (Convert.ToHexStringLower(sha.GetHashAndReset()), total);
    }

    private static void WaitOrKill(Process p, string what, int seconds = 120)
    {
        if (p.WaitForExit(seconds * 1000)) return;
        p.Kill(true);
        Assert.Fail($"{what} did not finish in {seconds} s: {p.StandardError.ReadToEnd()}");
    }

    [Fact]
    public async Task Kernel_client_sends_to_engine_listen()
    {
        using var net = new VethPair();
        using var engine = Engine(net, "listen --port 5000");
        var received = HashStdout(engine);
        using var kernel = KernelPeer.Start(net.KernelNs, "client-send", net.EngineIp, 5000, Bytes, 7);
        WaitOrKill(kernel, "kernel client");
        WaitOrKill(engine, "engine listen");
        var kernelSays = kernel.StandardOutput.ReadToEnd().Trim().Split(' ');
        var (sha, total) = await received;
        Assert.True(engine.ExitCode == 0, engine.StandardError.ReadToEnd());
        Assert.Equal(Bytes, total);
        Assert.Equal(kernelSays[0], sha);
    }

    [Fact]
    public async Task Engine_connect_sends_to_kernel_server()
    {
        using var net = new VethPair();
        using var kernel = KernelPeer.Start(net.KernelNs, "server-recv", net.KernelIp, 5001, 0, 0);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        using var engine = Engine(net, $"connect {net.KernelIp} 5001", stdinFromTest: true);
        var data = RandomNumberGenerator.GetBytes((int)Bytes);
        var writer = Task.Run(() =>
        {
            engine.StandardInput.BaseStream.Write(data);
            engine.StandardInput.Close();
        });
        WaitOrKill(kernel, "kernel server");
        WaitOrKill(engine, "engine connect");
        await writer;
        var kernelSays = kernel.StandardOutput.ReadToEnd().Trim().Split(' ');
        Assert.True(engine.ExitCode == 0, engine.StandardError.ReadToEnd());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), kernelSays[0]);
        Assert.Equal(Bytes.ToString(), kernelSays[1]);
    }

    [Fact]
    public async Task Kernel_server_sends_to_engine_connect()
    {
        using var net = new VethPair();
        using var kernel = KernelPeer.Start(net.KernelNs, "server-send", net.KernelIp, 5002, Bytes, 11);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        using var engine = Engine(net, $"connect {net.KernelIp} 5002");
        var received = HashStdout(engine);
        WaitOrKill(kernel, "kernel server");
        WaitOrKill(engine, "engine connect");
        var (sha, total) = await received;
        Assert.True(engine.ExitCode == 0, engine.StandardError.ReadToEnd());
        Assert.Equal(Bytes, total);
        Assert.Equal(KernelPeer.Expected(Bytes, 11).Sha256, sha);
    }
}
