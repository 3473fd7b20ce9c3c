using System.Net;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Akka.Actor;
using MptcpActors.Actors.Embedding;
using MptcpActors.Actors.Streams;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// An application's own actor system embedding the engine (<see cref="Mptcp.Get"/>, a raw interface from its config)
/// exchanges data with a kernel MPTCP server through the .NET Stream facade, both directions at once (namespaces, root).
/// </summary>
[Collection("netns")]
public class EmbeddedNodeInteropTests
{
    private const int CloneNewNet = 0x40000000;
    private const int Bytes = 8_000_000;

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);

    /// <summary>
    /// Runs <paramref name="start"/> on a thread inside <paramref name="ns"/>: the node opens its raw sockets there, and
    /// a socket stays in the namespace it was made in whichever thread uses it later.
    /// </summary>
    private static T InNamespace<T>(string ns, Func<T> start)
    {
        T result = default!;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{ns}");
                if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                    throw new InvalidOperationException($"setns({ns}) failed: errno {Marshal.GetLastPInvokeError()}");
                result = start();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
        });
        thread.Start();
        thread.Join();
        error?.Throw();
        return result;
    }

    [Fact]
    public async Task An_embedding_actor_system_exchanges_data_with_a_kernel_mptcp_server_both_ways()
    {
        using var net = new VethPair();
        using var kernel = KernelPeer.Start(net.KernelNs, "server-both", net.KernelIp, 6101, Bytes, 7, mptcp: true);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        using var system = ActorSystem.Create("embedded", $$"""mptcp.interfaces = [ { name = {{net.EngineIf}}, address = "{{net.EngineIp}}/24" } ]""");
        try
        {
            var node = InNamespace(net.EngineNs, () => Mptcp.Get(system));
            Assert.Equal(net.EngineIp, node.Interfaces.Single().Address.ToString());
            var up = InteropHelpers.Data(Bytes, 8);

            await using var stream = await MptcpStream.ConnectAsync(system, new IPEndPoint(IPAddress.Parse(net.KernelIp), 6101)).WaitAsync(TimeSpan.FromSeconds(60));
            var writer = Task.Run(async () =>
            {
                for (var offset = 0; offset < up.Length; offset += 100_000)
                    await stream.WriteAsync(up.AsMemory(offset, Math.Min(100_000, up.Length - offset)));
                stream.ShutdownOutput();
            });
            var down = new MemoryStream();
            await stream.CopyToAsync(down).WaitAsync(TimeSpan.FromSeconds(120));
            await writer.WaitAsync(TimeSpan.FromSeconds(120));

            var kernelSays = InteropHelpers.WaitKernel(kernel, "kernel MPTCP server", 120).Split(' ');
            Assert.Equal(KernelPeer.Expected(Bytes, 7).Sha256, InteropHelpers.Sha256(down.ToArray()));
            Assert.Equal(InteropHelpers.Sha256(up), kernelSays[2]);
            Assert.Equal(Bytes.ToString(), kernelSays[3]);
            var counters = VethPair.Sh($"ip netns exec {net.KernelNs} nstat -az MPTcpExtMPCapableSYNRX MPTcpExtMPCapableFallbackACK");
            Assert.Matches(@"MPTcpExtMPCapableSYNRX\s+1\b", counters);
            Assert.Matches(@"MPTcpExtMPCapableFallbackACK\s+0\b", counters);
        }
        finally
        {
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }
}
