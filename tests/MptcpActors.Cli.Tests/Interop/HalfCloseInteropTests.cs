using Xunit.Abstractions;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>netcat's half close (CLI.md): a peer's FIN ends only its direction, however early it comes.</summary>
[Collection("netns")]
public class HalfCloseInteropTests(ITestOutputHelper output)
{
    /// <summary>
    /// The kernel client sends 100 bytes and its FIN straight after the handshake, before the engine's connection handler
    /// has registered; the engine must still send all of its stdin (1 MB) and only then its FIN. (The FIN used to be
    /// answered at once with the engine's own FIN, so nothing of stdin could follow.)
    /// </summary>
    [Fact]
    public async Task An_early_fin_from_the_kernel_still_gets_all_of_the_engines_data()
    {
        using var net = new VethPair();
        var r = await Exchange.KernelClientToEngineListen(net, $"{net.EngineIf}={net.EngineIp}/24", net.EngineIp, 1_000_000, 121, kernelBytes: 100, timeoutSeconds: 30);
        output.WriteLine(r.ToString());
    }
}
