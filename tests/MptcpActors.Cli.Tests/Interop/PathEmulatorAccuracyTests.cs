using System.Globalization;
using System.Text.Json;
using MptcpActors.Cli.Failover;
using MptcpActors.Cli.Failover.Netns;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// The failover harness's path emulator measured against itself (root): kernel ends on one emulated path through the
/// router namespace. An ICMP echo sees twice the configured delay over its round trip on the path without the delay
/// (userspace forwarding costs a millisecond or more on a busy machine by itself), a TCP bulk flow (iperf3, receiver's figure, first
/// second omitted) the configured rate less the headers, and a UDP flow below the rate the configured loss, each
/// within 5 %. The measured quantities are the observers' own, not the test's duration.
/// </summary>
[Collection("netns")]
public class PathEmulatorAccuracyTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(20);
    private const double RateBps = 20e6;
    private const double Loss = 0.10;

    // Echo requests from the client namespace: the median round trip in milliseconds (time.monotonic around each).
    private const string Ping = """
        import socket, struct, time, statistics, sys
        def checksum(b):
            s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
            return ~s & 0xffff
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); sock.settimeout(2)
        rtts = []
        for seq in range(1, 26):
            body = struct.pack('!HH', 0x4d50, seq) + bytes(56)
            packet = struct.pack('!BBH', 8, 0, checksum(b'\x08\x00\x00\x00' + body)) + body
            start = time.monotonic(); sock.sendto(packet, (sys.argv[1], 0))
            while True:
                reply = sock.recv(2048)
                if reply[20] == 0 and struct.unpack('!HH', reply[24:28]) == (0x4d50, seq): break
            rtts.append((time.monotonic() - start) * 1000); time.sleep(0.04)
        print(statistics.median(rtts))
        """;

    [Fact]
    public void Ping_rate_and_loss_through_the_emulator_are_the_configured_ones()
    {
        Assert.Equal(0u, VethPair.geteuid()); // the namespace tests run as root in CI: never skip them silently
        var path = new ScenarioPath("p", RateBps, Delay, TimeSpan.Zero, 0, null, false);
        using var topology = new NetnsTopology([path], kernelClient: true, kernelServer: true);
        var net = topology.Paths[0];
        var script = Path.GetTempFileName();
        try
        {
            File.WriteAllText(script, Ping);
            // One server for both flows, until the topology's namespaces go.
            InNs(topology.ServerNs, "sysctl -qw net.core.rmem_max=8388608 net.core.wmem_max=8388608; iperf3 -s -D");
            for (var i = 0; i < 100 && !InNs(topology.ServerNs, "ss -ltn").Contains(":5201"); i++) Thread.Sleep(50);
            double baseRttMs, rttMs, goodputBps, lostPercent;
            using (var emulator = new PathEmulator(topology.RouterNs, [(net, path.Link)], 1, TimeSpan.FromMilliseconds(100)))
            {
                // The same echo over the path without its delay: what forwarding through userspace costs by itself.
                emulator.Change(n => n.GetLink(path.Name).SetParameters(path.Link with { Delay = TimeSpan.Zero }, path.Link with { Delay = TimeSpan.Zero }));
                baseRttMs = Echo(topology, net, script);
                emulator.Change(n => n.GetLink(path.Name).SetParameters(path.Link, path.Link));
                rttMs = Echo(topology, net, script);
                var tcp = Iperf(topology, net, "-t 4 -O 1");
                goodputBps = tcp.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
                var lossy = path.Link with { LossProbability = Loss };
                emulator.Change(n => n.GetLink(path.Name).SetParameters(lossy, lossy));
                // Socket buffers of 4 MiB: a receiver starved on a busy machine must not drop what the link delivered.
                var udp = Iperf(topology, net, "-u -b 10M -l 200 -t 6 -w 4M");
                lostPercent = udp.GetProperty("end").GetProperty("sum_received").GetProperty("lost_percent").GetDouble();
            }

            // The delay adds itself twice to an echo's round trip, over what the path costs without it.
            var expectedRttMs = baseRttMs + 2 * Delay.TotalMilliseconds;
            var measured = $"rtt {rttMs:F2} ms (without the delay {baseRttMs:F2}, so expected {expectedRttMs:F2}), goodput {goodputBps / 1e6:F2} Mbit/s, loss {lostPercent:F2} %";
            Console.WriteLine(measured);
            Assert.True(Math.Abs(rttMs / expectedRttMs - 1) <= 0.05, measured);
            // The rate counts whole Ethernet frames: 1514 bytes carry 1448 of TCP payload (timestamps on).
            var expectedGoodput = RateBps * 1448 / 1514;
            Assert.True(Math.Abs(goodputBps / expectedGoodput - 1) <= 0.05, measured);
            Assert.True(Math.Abs(lostPercent / (Loss * 100) - 1) <= 0.05, measured);
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static double Echo(NetnsTopology topology, NetnsPath net, string script) =>
        double.Parse(InNs(topology.ClientNs, $"python3 {script} {net.ServerIp}"), CultureInfo.InvariantCulture);

    private static JsonElement Iperf(NetnsTopology topology, NetnsPath net, string options)
    {
        JsonElement Run() => JsonDocument.Parse(InNs(topology.ClientNs, $"iperf3 -c {net.ServerIp} -J {options} || true", 60_000)).RootElement;
        var result = Run();
        // The server may still be closing the previous test ("busy"), or a lossy path may take the control connection
        // down: another try is another measurement, the figures are checked all the same.
        for (var i = 0; i < 5 && result.TryGetProperty("error", out _); i++)
        {
            Thread.Sleep(1000);
            result = Run();
        }
        Assert.False(result.TryGetProperty("error", out var error), $"iperf3 {options}: {error}");
        return result;
    }

    private static string InNs(string ns, string command, int timeoutMs = 30_000) =>
        VethPair.Sh($"ip netns exec {ns} bash -c {VethPair.Quote(command)}", timeoutMs).Trim();
}
