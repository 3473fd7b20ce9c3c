using System.Diagnostics;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// The one-way transfers of the interop tests between the engine's process and a started kernel peer, with the checks
/// every one of them makes: each wait bounded (120 s), the engine exits 0, the data's SHA-256 and length equal at both ends.
/// </summary>
public static class OneWay
{
    /// <summary>The engine (stdin fed) sends <paramref name="data"/> to a kernel receiver (server-recv, client-recv); returns what the kernel printed.</summary>
    public static async Task<string[]> EngineSends(EngineProcess engine, Process kernel, string kernelWhat, byte[] data)
    {
        var writer = engine.Feed(data);
        var kernelSays = InteropHelpers.WaitKernel(kernel, kernelWhat, 120).Split(' ');
        engine.WaitForExit(120);
        await writer;
        Assert.True(engine.ExitCode == 0, engine.Stderr);
        Assert.Equal(InteropHelpers.Sha256(data), kernelSays[0]);
        Assert.Equal(data.Length.ToString(), kernelSays[1]);
        return kernelSays;
    }

    /// <summary>A kernel sender (client-send, server-send) sends <paramref name="bytes"/> to the engine, which writes them on stdout.</summary>
    public static async Task KernelSends(EngineProcess engine, Process kernel, string kernelWhat, long bytes)
    {
        var kernelSays = InteropHelpers.WaitKernel(kernel, kernelWhat, 120).Split(' ');
        engine.WaitForExit(120);
        var (sha, total) = await engine.Stdout;
        Assert.True(engine.ExitCode == 0, engine.Stderr);
        Assert.Equal(bytes, total);
        Assert.Equal(kernelSays[0], sha);
    }
}
