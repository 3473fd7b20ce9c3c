using System.Diagnostics;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>What a bidirectional transfer measured.</summary>
/// <param name="Elapsed">From starting the second party to both having finished (includes the engine's start-up for listen).</param>
/// <param name="KernelReceiveSeconds">The kernel peer's time from its connection to the end of the engine's data (engine → kernel).</param>
/// <param name="EngineReceiveSeconds">From the engine's first to its last byte on stdout (kernel → engine).</param>
public sealed record ExchangeResult(TimeSpan Elapsed, double KernelReceiveSeconds, double EngineReceiveSeconds)
{
    public override string ToString() =>
        $"total {Elapsed.TotalSeconds:F2} s; engine→kernel {KernelReceiveSeconds:F2} s; kernel→engine {EngineReceiveSeconds:F2} s";
}

/// <summary>
/// The bidirectional transfers most interop tests run: the engine (listen or connect, --plain) sends a seeded stream from
/// stdin and hashes what arrives on stdout; a kernel peer (KernelPeer *-both) does the same at the same time. Asserts
/// SHA-256 and length equality both ways and exit code 0 of both; every wait is bounded.
/// </summary>
public static class Exchange
{
    /// <summary>Kernel TCP client → engine <c>listen</c>. The engine sends <paramref name="bytes"/>, the kernel <paramref name="kernelBytes"/> (default the same).</summary>
    /// <param name="engineIface">The --iface value (NAME=ADDR/PREFIX).</param>
    /// <param name="engineAddress">The address the kernel connects to.</param>
    /// <param name="during">Runs on the test thread once both are started (to break the path mid-transfer, say).</param>
    public static async Task<ExchangeResult> KernelClientToEngineListen(VethPair net, string engineIface, string engineAddress, int bytes, int seed,
        string extraArgs = "", Action<EngineProcess>? during = null, int timeoutSeconds = 90, int port = 5000, int? kernelBytes = null)
    {
        var upload = InteropHelpers.Data(bytes, seed);
        var download = kernelBytes ?? bytes;
        using var engine = EngineProcess.Start(net.EngineNs, $"listen --port {port} --iface {engineIface} --plain {extraArgs}", feedStdin: true);
        var feeding = engine.Feed(upload);
        var sw = Stopwatch.StartNew();
        using var kernel = KernelPeer.Start(net.KernelNs, "client-both", engineAddress, port, download, seed + 1);
        return await Finish(engine, kernel, "kernel client", upload, download, feeding, sw, during, timeoutSeconds);
    }

    /// <summary>Engine <c>connect</c> → kernel TCP server.</summary>
    public static async Task<ExchangeResult> EngineConnectToKernelServer(VethPair net, string engineIface, string kernelAddress, int bytes, int seed,
        string extraArgs = "", Action<EngineProcess>? during = null, int timeoutSeconds = 90, int port = 5001, int? kernelBytes = null)
    {
        var upload = InteropHelpers.Data(bytes, seed);
        var download = kernelBytes ?? bytes;
        using var kernel = KernelPeer.Start(net.KernelNs, "server-both", kernelAddress, port, download, seed + 1);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        var sw = Stopwatch.StartNew();
        using var engine = EngineProcess.Start(net.EngineNs, $"connect {kernelAddress} {port} --iface {engineIface} --plain {extraArgs}", feedStdin: true);
        var feeding = engine.Feed(upload);
        return await Finish(engine, kernel, "kernel server", upload, download, feeding, sw, during, timeoutSeconds);
    }

    private static async Task<ExchangeResult> Finish(EngineProcess engine, Process kernel, string what, byte[] upload, int download, Task feeding,
        Stopwatch sw, Action<EngineProcess>? during, int timeoutSeconds)
    {
        // Times the engine's receiving: first byte to end of stream.
        var firstByte = Task.Run(async () =>
        {
            while (engine.StdoutBytes == 0 && !engine.Stdout.IsCompleted) await Task.Delay(5);
            return sw.Elapsed;
        });
        var lastByte = engine.Stdout.ContinueWith(_ => sw.Elapsed, TaskScheduler.Default);
        during?.Invoke(engine);
        var says = InteropHelpers.WaitKernel(kernel, what, timeoutSeconds,
            () => $"(engine: {(engine.Process.HasExited ? $"exited {engine.ExitCode}" : "running")}, {engine.StdoutBytes} of {download} bytes received; stderr: {engine.Stderr})").Split(' ');
        engine.WaitForExit(30);
        await feeding;
        var (sha, total) = await engine.Stdout;
        Assert.True(engine.ExitCode == 0, $"engine exited {engine.ExitCode}: {engine.Stderr}");
        Assert.True(says.Length == 5, $"{what} said: {string.Join(' ', says)}");
        // kernel → engine
        Assert.Equal(download, total);
        Assert.Equal(says[0], sha);
        // engine → kernel
        Assert.Equal(upload.Length.ToString(), says[3]);
        Assert.Equal(InteropHelpers.Sha256(upload), says[2]);
        return new ExchangeResult(sw.Elapsed, double.Parse(says[4], System.Globalization.CultureInfo.InvariantCulture),
            (await lastByte - await firstByte).TotalSeconds);
    }
}
