using System.Net;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Configuration;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Metrics;
using MptcpActors.Actors.Subflow;
using MptcpActors.Cli.Info;
using MptcpActors.Cli.Netcat;
using MptcpActors.Transport.Sim;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// DSS checksum failure on the only subflow against the kernel (RFC 8684 3.7), both roles: a middlebox on the engine's
/// link rewrites one payload byte and fixes the TCP checksum, so only the DSS checksum fails. The receiver signals it
/// with MP_FAIL on an ACK, the sender answers with MP_FAIL and an infinite mapping, both fall back to TCP, and the
/// stream arrives whole: every byte as sent but the rewritten one, as TCP delivered it. The engine runs in this process
/// (the middlebox is a decorator around its device), its link's end in this test's namespace; the kernel in its own.
/// </summary>
[Collection("netns")]
public class MpFailInteropTests
{
    private const int Bytes = 4_000_000;
    private const int Port = 6090;

    /// <summary>The engine sends; the kernel finds the checksum error (MPTcpExtDataCsumErr), sends MP_FAIL, gets our infinite mapping.</summary>
    [Fact]
    public void Kernel_detects_the_rewrite_and_the_engine_answers_with_an_infinite_mapping()
    {
        using var net = new HostVeth();
        using var engineCounters = new EngineCounters(m => m.Name == MptcpMetrics.MeterName);
        var data = InteropHelpers.Data(Bytes, 31);
        using var kernel = KernelPeer.Start(net.KernelNs, "server-recv", net.KernelIp, Port, 0, 0, mptcp: true);
        Assert.Equal("listening", kernel.StandardOutput.ReadLine());
        var (engine, rewriter) = StartEngine(net, FrameDirections.Transmit, net.Pcap);
        ConnectionHandler.Done done;
        using (engine)
        {
            var (handler, credit, finished) = Handler(engine);
            engine.Manager.Tell(new TcpMsg.Connect(new IPEndPoint(IPAddress.Parse(net.KernelIp), Port)), handler);
            Feed(handler, credit, data);
            done = Wait(finished, "the engine's transfer");
        }
        var kernelSays = InteropHelpers.WaitKernel(kernel, "kernel MPTCP server", 60).Split(' ');

        Assert.True(rewriter.StreamOffset is not null, "the middlebox changed nothing");
        Assert.True(done.Clean, done.Error);
        Assert.Equal(InteropHelpers.Sha256(rewriter.Rewritten(data)), kernelSays[0]);
        Assert.True(done.Stats!.Fallback, "the engine did not fall back to TCP");
        // The engine answered: MP_FAIL back and the infinite mapping, and found no damage itself.
        Assert.Equal(new ChecksumFailureCounts(0, 1, 1, 1, 0), done.Stats.Subflows.Single().ChecksumFailures);
        AssertKernelCounters(net, ("DataCsumErr", 1), ("MPFailTx", 1), ("MPFailRx", 1), ("InfiniteMapRx", 1), ("InfiniteMapTx", 0), ("MPRstTx", 0));
        AssertExchange(net, detector: net.KernelIp, answerer: net.EngineIp);
        AssertEngineCounters(engineCounters, ("DataCsumErr", 0), ("MPFailRx", 1), ("InfiniteMapTx", 1), ("InfiniteMapRx", 0));
    }

    /// <summary>The kernel sends; the engine finds the checksum error and sends MP_FAIL; the kernel answers (MPTcpExtInfiniteMapTx).</summary>
    [Fact]
    public async Task Engine_detects_the_rewrite_and_the_kernel_answers_with_an_infinite_mapping()
    {
        using var net = new HostVeth();
        var (engine, rewriter) = StartEngine(net, FrameDirections.Receive, net.Pcap);
        using var engineCounters = new EngineCounters(m => m.Name == MptcpMetrics.MeterName);
        var received = new MemoryStream();
        ConnectionHandler.Done done;
        string[] kernelSays;
        using (engine)
        {
            var (handler, credit, finished) = Handler(engine, received);
            var listener = engine.System.ActorOf(Props.Create(() => new ForwardFirst(handler)));
            var bound = await engine.Manager.Ask(new TcpMsg.Bind(listener, new IPEndPoint(IPAddress.Any, Port)), TimeSpan.FromSeconds(10));
            Assert.IsType<TcpMsg.Bound>(bound);
            using var kernel = KernelPeer.Start(net.KernelNs, "client-send", net.EngineIp, Port, Bytes, 32, mptcp: true);
            Feed(handler, credit, []);
            done = Wait(finished, "the engine's transfer");
            kernelSays = InteropHelpers.WaitKernel(kernel, "kernel MPTCP client", 60).Split(' ');
        }

        Assert.True(rewriter.StreamOffset is not null, "the middlebox changed nothing");
        var at = rewriter.StreamOffset.Value;
        Assert.True(done.Clean, done.Error);
        // The stream is whole: undo the middlebox's change and it is what the kernel sent.
        var got = received.ToArray();
        Assert.Equal(Bytes, got.Length);
        got[at] ^= PayloadRewriter.Mask;
        Assert.Equal(kernelSays[0], InteropHelpers.Sha256(got));
        Assert.True(done.Stats!.Fallback, "the engine did not fall back to TCP");
        // The engine found the damage and said so once; the kernel answered. Its infinite mapping usually comes after
        // segments it had queued and sends without options once fallen back: the engine falls back on the first of
        // those and heeds no option after, so the infinite mapping counts as received only when it came first.
        var counts = done.Stats.Subflows.Single().ChecksumFailures;
        Assert.Equal(new ChecksumFailureCounts(1, 1, 1, 0, 0), counts with { InfiniteMappingsReceived = 0 });
        Assert.InRange(counts.InfiniteMappingsReceived, 0, 1);
        AssertKernelCounters(net, ("DataCsumErr", 0), ("MPFailRx", 1), ("MPFailTx", 1), ("InfiniteMapTx", 1), ("InfiniteMapRx", 0), ("MPRstRx", 0));
        AssertExchange(net, detector: net.EngineIp, answerer: net.KernelIp);
        // No InfiniteMapRx here: the engine may fall back on the kernel's first segment without a DSS option, before the mapping.
        AssertEngineCounters(engineCounters, ("DataCsumErr", 1), ("MPFailTx", 1), ("MPFailRx", 1), ("InfiniteMapTx", 0));
    }

    /// <summary>
    /// The engine's capture, as tshark decodes it: no malformed frame or error; MP_FAIL on a pure ACK from the side that
    /// found the damage, then the other side's MP_FAIL on a pure ACK, then its infinite mapping on data; no reset.
    /// </summary>
    private static void AssertExchange(HostVeth net, string detector, string answerer)
    {
        var bad = Tshark(net.Pcap, "-Y", "_ws.malformed || _ws.expert.severity >= error");
        Assert.True(string.IsNullOrWhiteSpace(bad), $"malformed or erroneous frames: {bad}");
        long First(string filter)
        {
            var frames = Tshark(net.Pcap, "-Y", filter).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(frames.Length > 0, $"no frame matches {filter}");
            return long.Parse(frames[0]);
        }
        var fail = First($"ip.src == {detector} && tcp.options.mptcp.subtype == 6 && tcp.len == 0");
        var answer = First($"ip.src == {answerer} && tcp.options.mptcp.subtype == 6 && tcp.len == 0");
        var infinite = First($"ip.src == {answerer} && tcp.options.mptcp.datalvllen == 0 && tcp.len > 0");
        Assert.True(fail < answer && answer < infinite, $"MP_FAIL at frame {fail}, the answer at {answer}, the infinite mapping at {infinite}");
        Assert.True(string.IsNullOrWhiteSpace(Tshark(net.Pcap, "-Y", "tcp.flags.reset == 1")), "a subflow was reset");
    }

    private static string Tshark(string pcap, params string[] args)
    {
        var r = MptcpProcess.Run("tshark", ["-r", pcap, "-o", "tcp.relative_sequence_numbers:TRUE", .. args, "-T", "fields", "-e", "frame.number"], TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0, $"tshark failed: {r.Stderr}");
        return r.Stdout;
    }

    /// <summary>
    /// The engine's own MPTcpExt-named counters agree with the kernel's (summed over this process's nodes: only these
    /// tests make checksums fail).
    /// </summary>
    private static void AssertEngineCounters(EngineCounters counters, params (string Name, long Value)[] expected)
    {
        var read = counters.Read();
        var got = expected.Select(e => (e.Name, (long)read.GetValueOrDefault("MPTcpExt" + e.Name))).ToArray();
        Assert.Equal(expected, got);
    }

    /// <summary>The kernel namespace's MPTcpExt* counters named (without the prefix) have exactly these values.</summary>
    private static void AssertKernelCounters(HostVeth net, params (string Name, long Value)[] expected)
    {
        var counters = InteropHelpers.MptcpCounters(net.KernelNs);
        var got = expected.Select(e => (e.Name, counters.GetValueOrDefault("MPTcpExt" + e.Name))).ToArray();
        Assert.Equal(expected, got);
    }

    /// <summary>
    /// The engine with DSS checksums on. It announces an MSS 28 bytes short of the link's: Linux 6.18 sizes the segments
    /// of the skb that carries its infinite mapping without that DSS option (it is past fallback, where MPTCP adds no
    /// options), so at a full-size MSS they outgrow the MTU and never leave (IpFragFails, the transfer stalls).
    /// </summary>
    private static (Engine Engine, PayloadRewriter Rewriter) StartEngine(HostVeth net, FrameDirections direction, string pcap)
    {
        var config = MptcpConfig.WithFallback(ConfigurationFactory.ParseString(
            "akka.loglevel = OFF\nakka.stdout-loglevel = OFF\nakka.log-dead-letters = off\nmptcp.checksum = on\nmptcp.tcp.mss = 1432"));
        PayloadRewriter? rewriter = null;
        // Far enough in that checksums have been verified before (Linux falls back silently on a first mapping's failure).
        var engine = Engine.Start([InterfaceSpec.Parse($"{net.EngineIf}={net.EngineIp}/24")], MptcpSettings.Create(config), config, pcap,
            name => rewriter = new PayloadRewriter(EngineLaunch.OpenDevice(name), direction, fromStreamOffset: 1_000_000));
        return (engine, rewriter!);
    }

    /// <summary>The CLI's connection handler (what arrives goes to <paramref name="received"/>; writes wait for the credit its acks give).</summary>
    private static (IActorRef Handler, SemaphoreSlim Credit, TaskCompletionSource<ConnectionHandler.Done> Finished) Handler(Engine engine, Stream? received = null)
    {
        var finished = new TaskCompletionSource<ConnectionHandler.Done>(TaskCreationOptions.RunContinuationsAsynchronously);
        var owner = engine.System.ActorOf(Props.Create(() => new Completion(finished)));
        var credit = new SemaphoreSlim(0);
        var handler = engine.System.ActorOf(Props.Create(() => new ConnectionHandler(owner, false, received, credit)));
        return (handler, credit, finished);
    }

    /// <summary>Writes <paramref name="data"/> in 64 KB chunks, each after the previous one's write ack, then ends the stream.</summary>
    private static void Feed(IActorRef handler, SemaphoreSlim credit, byte[] data)
    {
        var thread = new Thread(() =>
        {
            for (var at = 0; at < data.Length; at += 65536)
            {
                if (!credit.Wait(TimeSpan.FromSeconds(60))) return;
                var n = Math.Min(65536, data.Length - at);
                handler.Tell(new ConnectionHandler.StdinChunk(data.AsSpan(at, n).ToArray(), n));
            }
            if (credit.Wait(TimeSpan.FromSeconds(60))) handler.Tell(new ConnectionHandler.StdinEnd());
        }) { IsBackground = true };
        thread.Start();
    }

    private static ConnectionHandler.Done Wait(TaskCompletionSource<ConnectionHandler.Done> finished, string what)
    {
        Assert.True(finished.Task.Wait(TimeSpan.FromSeconds(90)), $"{what} did not finish in 90 s");
        return finished.Task.Result;
    }

    private sealed class Completion : ReceiveActor
    {
        public Completion(TaskCompletionSource<ConnectionHandler.Done> done) => Receive<ConnectionHandler.Done>(d => done.TrySetResult(d));
    }

    /// <summary>Hands the first incoming connection to the handler.</summary>
    private sealed class ForwardFirst : ReceiveActor
    {
        public ForwardFirst(IActorRef handler) => Receive<TcpMsg.Connected>(c => handler.Forward(c));
    }
}

/// <summary>
/// A veth pair whose kernel end is in a fresh namespace (an address, MPTCP with checksums on) and whose engine end is
/// in this process's namespace, without an address (the engine owns it) and with IPv6 and forwarding off so the host
/// stays out of the way. Unique names; removed on Dispose.
/// </summary>
internal sealed class HostVeth : IDisposable
{
    private static int _counter;

    public HostVeth()
    {
        if (VethPair.geteuid() != 0) throw new InvalidOperationException("namespace interop tests need root (CI runs them as root)");
        var id = $"{Environment.ProcessId % 10000}{Interlocked.Increment(ref _counter)}";
        KernelNs = $"mpfk{id}";
        KernelIf = $"vfk{id}";
        EngineIf = $"vfe{id}";
        var subnet = Random.Shared.Next(1, 250);
        KernelIp = $"10.214.{subnet}.1";
        EngineIp = $"10.214.{subnet}.2";
        string[] setup =
        [
            $"ip netns add {KernelNs}",
            $"ip link add {EngineIf} type veth peer name {KernelIf} netns {KernelNs}",
            $"sysctl -qw net.ipv6.conf.{EngineIf}.disable_ipv6=1 net.ipv4.conf.{EngineIf}.forwarding=0",
            $"ip link set {EngineIf} up",
            $"ip -n {KernelNs} addr add {KernelIp}/24 dev {KernelIf}",
            $"ip -n {KernelNs} link set {KernelIf} up",
            $"ip -n {KernelNs} link set lo up",
            $"ip netns exec {KernelNs} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.mptcp.checksum_enabled=1",
        ];
        try { VethPair.Sh(string.Join(" && ", setup)); }
        catch (InvalidOperationException)
        {
            Dispose();
            throw;
        }
    }

    public string KernelNs { get; }
    public string KernelIf { get; }
    public string EngineIf { get; }
    public string KernelIp { get; }
    public string EngineIp { get; }
    /// <summary>Where a test may write the engine's capture; deleted on Dispose.</summary>
    public string Pcap { get; } = Path.Combine(Path.GetTempPath(), $"mpfail-{Guid.NewGuid():N}.pcap");

    /// <summary>Removes what exists of the pair and the namespace (the engine's end goes with its peer).</summary>
    public void Dispose()
    {
        VethPair.Sh($"ip link del {EngineIf} 2>/dev/null; ip netns pids {KernelNs} 2>/dev/null | xargs -r kill -9; ip netns del {KernelNs} 2>/dev/null; true");
        File.Delete(Pcap);
    }
}
