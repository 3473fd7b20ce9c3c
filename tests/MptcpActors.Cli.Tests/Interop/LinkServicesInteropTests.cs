using System.Diagnostics;
using Xunit.Abstractions;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>What the engine does on its link besides TCP, seen from the kernel: echo replies, and its --pcap capture.</summary>
[Collection("netns")]
public class LinkServicesInteropTests(ITestOutputHelper output)
{
    /// <summary>
    /// The kernel pings the engine's IPv4 and then its IPv6 address (the engine runs `listen`, waiting): every echo request
    /// is answered, which needs ARP / neighbour discovery first. The system `ping` is used as well when installed.
    /// </summary>
    [Fact]
    public void Kernel_pings_the_engine_over_ipv4_and_ipv6()
    {
        using var net = new VethPair(ipv6: true);
        foreach (var (spec, target) in new[] { ($"{net.EngineIf}={net.EngineIp}/24", net.EngineIp), ($"{net.EngineIf}={net.EngineIp6}/64", net.EngineIp6!) })
        {
            using var engine = EngineProcess.Start(net.EngineNs, $"listen --port 5000 --iface {spec} --plain");
            var sw = Stopwatch.StartNew();
            var replies = KernelPeer.Ping(net.KernelNs, target, 5);
            output.WriteLine($"{target}: {replies} of 5 echo requests answered ({sw.Elapsed.TotalSeconds:F2} s with the engine's start-up)");
            Assert.True(replies == 5, $"{target}: {replies} of 5 echo requests answered; engine {(engine.Process.HasExited ? "exited" : "running")}: {engine.Stderr}");
            if (File.Exists("/usr/bin/ping") || File.Exists("/bin/ping"))
                output.WriteLine(VethPair.Sh($"ip netns exec {net.KernelNs} ping -c 3 -i 0.2 -W 2 {target}").Trim().Split('\n')[^2]);
            Assert.False(engine.Process.HasExited, $"engine exited: {engine.Stderr}");
        }
    }

    /// <summary>
    /// `--pcap FILE` during a 1 MB exchange: tshark reads the file, finds no malformed frame and no bad IP/TCP checksum in
    /// it (frames the kernel left to checksum offload were completed on receipt), and it holds the ARP exchange, the
    /// three-way handshake (SYN from the kernel to port 5000, SYN/ACK from the engine, ACK) and both FINs.
    /// </summary>
    [Fact]
    public async Task Pcap_capture_is_read_by_tshark_and_holds_the_handshake()
    {
        const int bytes = 1_000_000;
        using var net = new VethPair();
        var pcap = Path.Combine(Path.GetTempPath(), $"mptcp-interop-{Guid.NewGuid():N}.pcap");
        try
        {
            await Exchange.KernelClientToEngineListen(net, $"{net.EngineIf}={net.EngineIp}/24", net.EngineIp, bytes, 111, extraArgs: $"--pcap {pcap}");
            Assert.True(File.Exists(pcap), "no capture written");

            var frames = Tshark(pcap, "-Y", "tcp", "-T", "fields", "-E", "separator=|", "-e", "ip.src", "-e", "tcp.srcport", "-e", "tcp.dstport",
                "-e", "tcp.flags", "-e", "tcp.len").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('|')).ToList();
            output.WriteLine($"{frames.Count} TCP frames captured");
            var k = net.KernelIp;
            var e = net.EngineIp;
            var syn = frames.FindIndex(f => f[0] == k && f[2] == "5000" && f[3] == "0x0002");
            Assert.True(syn >= 0, "no SYN from the kernel to port 5000");
            var port = frames[syn][1];
            var synAck = frames.FindIndex(syn, f => f[0] == e && f[1] == "5000" && f[2] == port && f[3] == "0x0012");
            Assert.True(synAck > syn, "no SYN/ACK from the engine after the SYN");
            var ack = frames.FindIndex(synAck, f => f[0] == k && f[1] == port && (Convert.ToInt32(f[3], 16) & 0x17) == 0x10);
            Assert.True(ack > synAck, "no ACK from the kernel completing the handshake");
            Assert.Contains(frames, f => f[0] == e && (Convert.ToInt32(f[3], 16) & 0x01) != 0);
            Assert.Contains(frames, f => f[0] == k && (Convert.ToInt32(f[3], 16) & 0x01) != 0);
            // Payload both ways adds up to at least what was exchanged (retransmissions aside).
            Assert.True(frames.Where(f => f[0] == e).Sum(f => long.Parse(f[4])) >= bytes, "engine → kernel payload missing from the capture");
            Assert.True(frames.Where(f => f[0] == k).Sum(f => long.Parse(f[4])) >= bytes, "kernel → engine payload missing from the capture");

            var mac = InteropHelpers.Mac(net.EngineNs, net.EngineIf);
            var arp = Tshark(pcap, "-Y", $"arp.opcode == 2 && arp.src.proto_ipv4 == {e} && arp.src.hw_mac == {mac}", "-T", "fields", "-e", "frame.number");
            Assert.False(string.IsNullOrWhiteSpace(arp), "no ARP reply from the engine in the capture");

            // The payload is random bytes: decoded as data, or tshark would try port 5000's own protocol (GSM over IP) on it.
            string[] check = ["-d", "tcp.port==5000,data", "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"];
            var bad = Tshark(pcap, [.. check, "-Y", "_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\"",
                "-T", "fields", "-e", "frame.number", "-e", "ip.src", "-e", "_ws.expert.message"]);
            Assert.True(string.IsNullOrWhiteSpace(bad), $"malformed, erroneous or bad-checksum frames: {bad}");
            var good = Tshark(pcap, [.. check, "-Y", "ip.checksum.status == \"Good\" && tcp.checksum.status == \"Good\"", "-T", "fields", "-e", "frame.number"]);
            Assert.Equal(frames.Count, good.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    private static string Tshark(string pcap, params string[] args)
    {
        var r = MptcpProcess.Run("tshark", ["-r", pcap, .. args], TimeSpan.FromSeconds(60));
        Assert.True(r.ExitCode == 0, $"tshark failed: {r.Stderr}");
        return r.Stdout;
    }
}
