using System.Net;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Akka.Actor;
using MptcpActors.Actors.Embedding;
using MptcpActors.Examples;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// An application's own actor system embedding the engine (<see cref="Mptcp.Get"/>, a raw interface from its config)
/// exchanges data with a kernel MPTCP server, both directions at once, through each way in: Akka.IO-style messages,
/// the Akka.Streams flow and the .NET Stream facade (namespaces, root).
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

    /// <summary>Each way in, with the README's example code (Hosts/Examples): 8 MB each way at once with a kernel MPTCP server.</summary>
    [Theory]
    [InlineData("messages", 6101)]
    [InlineData("streams", 6102)]
    [InlineData("stream", 6103)]
    public async Task An_embedding_actor_system_exchanges_data_with_a_kernel_mptcp_server_both_ways(string way, int port)
    {
        using var net = new VethPair();
        using var kernel = KernelPeer.Start(net.KernelNs, "server-both", net.KernelIp, port, Bytes, 7, mptcp: true);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        using var system = ActorSystem.Create("embedded", $$"""mptcp.interfaces = [ { name = {{net.EngineIf}}, address = "{{net.EngineIp}}/24" } ]""");
        try
        {
            var node = InNamespace(net.EngineNs, () => Mptcp.Get(system));
            Assert.Equal(net.EngineIp, node.Interfaces.Single().Address.ToString());
            var up = InteropHelpers.Data(Bytes, 8);
            var server = new IPEndPoint(IPAddress.Parse(net.KernelIp), port);

            var down = await (way switch
            {
                "messages" => MessagesExample.Exchange(system, server, up),
                "streams" => StreamsExample.Exchange(system, server, up),
                _ => StreamExample.Exchange(system, server, up),
            }).WaitAsync(TimeSpan.FromSeconds(120));

            var kernelSays = InteropHelpers.WaitKernel(kernel, "kernel MPTCP server", 120).Split(' ');
            Assert.Equal(KernelPeer.Expected(Bytes, 7).Sha256, InteropHelpers.Sha256(down));
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
