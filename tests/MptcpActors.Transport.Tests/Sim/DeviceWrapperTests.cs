using MptcpActors.Transport.Capture;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Transport.Tests.Sim;

public class PcapTapTests
{
    [Fact]
    public void Tap_writes_sent_and_received_frames_with_virtual_timestamps_that_PcapReader_reads_back()
    {
        var s = new EventScheduler();
        // 100 B at 10 Mbit/s = 80 µs, plus 1.234 567 ms: arrivals fall on odd microseconds.
        var link = new SimLink(s, "l", new LinkParameters(RateBps: 10e6, Delay: TimeSpan.FromTicks(12_345) + TimeSpan.FromTicks(7)));
        var stream = new MemoryStream();
        var writer = new PcapWriter(stream);
        var tapA = new PcapTap(link.A, writer, s.Clock);
        var tapB = new PcapTap(link.B, writer, s.Clock, FrameDirections.Receive);
        var atB = new RecordingReceiver();
        tapB.Attach(atB);
        tapA.Attach(new RecordingReceiver());
        var sent = new List<(byte[] Frame, long At)>();
        for (var i = 0; i < 5; i++)
        {
            var n = i;
            var frame = TestFrames.Udp(n, 100 + n);
            var at = 3_000_000L * n + 1_500;
            sent.Add((frame, at));
            s.Schedule(at, () => tapA.Transmit(frame));
        }
        s.RunUntilIdle();
        writer.Flush();

        stream.Position = 0;
        using var reader = new PcapReader(stream);
        var frames = reader.ReadAll().ToList();
        Assert.Equal(LinkType.Ethernet, reader.LinkType);
        Assert.Equal(10, frames.Count);
        Assert.Equal(10, tapA.FramesWritten + tapB.FramesWritten);

        var expected = new List<(byte[] Frame, long Ns)>();
        for (var i = 0; i < 5; i++)
        {
            expected.Add((sent[i].Frame, sent[i].At));
            expected.Add((sent[i].Frame, atB.Times[i]));
        }
        expected = expected.OrderBy(e => e.Ns).ToList();
        for (var i = 0; i < frames.Count; i++)
        {
            Assert.Equal(expected[i].Frame, frames[i].Data.ToArray());
            Assert.Equal(expected[i].Frame.Length, frames[i].OriginalLength);
            // Classic pcap holds microseconds: the timestamp is the virtual time cut to the µs.
            Assert.Equal(expected[i].Ns / 1000 * 10, (frames[i].Timestamp - DateTimeOffset.UnixEpoch).Ticks);
        }
        Assert.Equal(1_500 + 80_000 + 1_235_200, atB.Times[0]); // send + serialization + 12 352 ticks
        Assert.Same(tapB, atB.LastDevice);
    }

    [Fact]
    public void Link_capture_records_what_crossed_the_link_at_arrival_time()
    {
        var net = new SimNetwork(seed: 1);
        var link = net.Link("x", "a", "b", new LinkParameters(Delay: TimeSpan.FromMilliseconds(2), LossProbability: 0.5));
        link.B.Attach(new RecordingReceiver());
        var stream = new MemoryStream();
        var capture = new LinkCapture(new PcapWriter(stream)).Attach(link);
        for (var i = 0; i < 100; i++) link.A.Transmit(TestFrames.Udp(i, 80));
        net.RunUntilIdle();

        stream.Position = 0;
        var frames = new PcapReader(stream).ReadAll().ToList();
        Assert.Equal(link.AToB.Stats.FramesDelivered, frames.Count);
        Assert.Equal(frames.Count, capture.FramesWritten);
        Assert.InRange(frames.Count, 25, 75);
        Assert.All(frames, f => Assert.Equal(DateTimeOffset.UnixEpoch.AddMilliseconds(2), f.Timestamp));
    }
}

public class FaultInjectorTests
{
    private static (EventScheduler S, SimLink Link, FaultInjector Fi, RecordingReceiver AtB) Make(ulong seed = 1)
    {
        var s = new EventScheduler();
        var link = new SimLink(s, "l", LinkParameters.Ideal);
        var fi = new FaultInjector(link.A, seed, s);
        var atB = new RecordingReceiver(keepFrames: true);
        link.B.Attach(atB);
        fi.Attach(new RecordingReceiver());
        return (s, link, fi, atB);
    }

    private static bool IsOdd(ReadOnlySpan<byte> frame) => TestFrames.SeqOf(frame) % 2 == 1;

    [Fact]
    public void Drop_fires_on_exactly_the_selected_matching_frames()
    {
        var (s, _, fi, atB) = Make();
        var rule = fi.Add(new FaultRule(FaultKind.Drop) { Match = IsOdd, Skip = 2, Limit = 3 });
        for (var i = 0; i < 20; i++) fi.Transmit(TestFrames.Udp(i, 60));
        s.RunUntilIdle();

        // Odd frames 1 and 3 are skipped, 5, 7 and 9 dropped, then the limit is reached.
        Assert.Equal(Enumerable.Range(0, 20).Except([5, 7, 9]), atB.Seqs.ToArray());
        Assert.Equal(10, rule.Matched);
        Assert.Equal(3, rule.Fired);
        Assert.Equal(3, fi.FramesDropped);
        Assert.Equal(20, fi.FramesSeen);
    }

    [Fact]
    public void Corrupt_changes_exactly_one_byte_at_the_configured_or_a_random_offset()
    {
        var (s, _, fi, atB) = Make();
        var fixedRule = fi.Add(new FaultRule(FaultKind.Corrupt) { Match = IsOdd, CorruptOffset = 30 });
        var originals = Enumerable.Range(0, 10).Select(i => TestFrames.Udp(i, 200)).ToArray();
        foreach (var f in originals) fi.Transmit(f);
        s.RunUntilIdle();
        for (var i = 0; i < 10; i++)
        {
            var diff = Enumerable.Range(0, 200).Where(k => atB.Frames[i][k] != originals[i][k]).ToArray();
            Assert.Equal(i % 2 == 1 ? [30] : [], diff);
        }
        Assert.Equal(5, fixedRule.Fired);

        fi.Clear();
        atB.Clear();
        fi.Corrupt(1);
        foreach (var f in originals) fi.Transmit(f);
        s.RunUntilIdle();
        var offsets = new HashSet<int>();
        for (var i = 0; i < 10; i++)
        {
            var diff = Enumerable.Range(0, 200).Where(k => atB.Frames[i][k] != originals[i][k]).ToArray();
            Assert.Single(diff);
            Assert.InRange(diff[0], EthernetFrame.HeaderLength, 199); // the Ethernet header is spared
            offsets.Add(diff[0]);
        }
        Assert.True(offsets.Count > 3);
        Assert.Equal(15, fi.FramesCorrupted);
        // The caller's buffer is never touched.
        Assert.Equal(TestFrames.Udp(3, 200), originals[3]);
    }

    [Fact]
    public void Duplicate_and_delay_pass_on_copies_and_late_frames()
    {
        var (s, _, fi, atB) = Make();
        fi.Add(new FaultRule(FaultKind.Duplicate) { Match = IsOdd, Copies = 2 });
        fi.Delay(1, TimeSpan.FromMilliseconds(3), f => TestFrames.SeqOf(f) == 4);
        for (var i = 0; i < 6; i++) fi.Transmit(TestFrames.Udp(i, 60));
        s.RunUntilIdle();
        Assert.Equal([0, 1, 1, 1, 2, 3, 3, 3, 5, 5, 5, 4], atB.Seqs.ToArray());
        Assert.Equal(3_000_000, atB.Times[^1]);
        Assert.Equal(0, atB.Times[^2]);
        Assert.Equal(6, fi.FramesDuplicated);
        Assert.Equal(1, fi.FramesDelayed);
    }

    [Fact]
    public void Faults_on_the_receive_path_apply_to_received_frames_only()
    {
        var s = new EventScheduler();
        var link = new SimLink(s, "l", new LinkParameters(Delay: TimeSpan.FromMilliseconds(1)));
        var fiB = new FaultInjector(link.B, 1, s);
        var atB = new RecordingReceiver();
        var atA = new RecordingReceiver();
        fiB.Attach(atB);
        link.A.Attach(atA);
        fiB.Drop(1, directions: FrameDirections.Transmit);
        fiB.Delay(1, TimeSpan.FromMilliseconds(4), directions: FrameDirections.Receive);
        link.A.Transmit(TestFrames.Udp(1, 60));
        fiB.Transmit(TestFrames.Udp(2, 60));
        s.RunUntilIdle();
        Assert.Equal([1], atB.Seqs.ToArray());
        Assert.Equal(5_000_000, atB.Times[0]); // 1 ms on the link + 4 ms held
        Assert.Same(fiB, atB.LastDevice);
        Assert.Equal(0, atA.Count);
    }

    [Fact]
    public void Probabilistic_faults_hit_the_asked_share_and_repeat_with_the_seed()
    {
        static int[] Run(ulong seed)
        {
            var (s, _, fi, atB) = Make(seed);
            fi.Drop(0.3);
            var frame = new byte[60];
            for (var i = 0; i < 10_000; i++)
            {
                TestFrames.Udp(frame, i, 60);
                fi.Transmit(frame);
            }
            s.RunUntilIdle();
            return atB.Seqs.ToArray();
        }

        var a = Run(8);
        var sigma = Math.Sqrt(10_000 * 0.3 * 0.7);
        Assert.InRange(10_000 - a.Length, 3_000 - 5 * sigma, 3_000 + 5 * sigma);
        Assert.Equal(a, Run(8));
        Assert.NotEqual(a, Run(9));
    }

    [Fact]
    public void A_delay_rule_needs_a_timer()
    {
        var link = new SimLink(new EventScheduler(), "l", LinkParameters.Ideal);
        var fi = new FaultInjector(link.A, 1);
        Assert.Throws<InvalidOperationException>(() => fi.Delay(0.1, TimeSpan.FromMilliseconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FaultRule(FaultKind.Drop, 1.5));
    }
}

public class WrapperStackingTests
{
    [Fact]
    public void Wrappers_stack_and_pass_link_state_through_under_their_own_name()
    {
        var s = new EventScheduler();
        var link = new SimLink(s, "l", LinkParameters.Ideal);
        var stream = new MemoryStream();
        var writer = new PcapWriter(stream);
        // app → tap → injector → port: the tap sees every frame the app sends, the injector then drops some.
        var fi = new FaultInjector(link.A, 1, s);
        var tap = new PcapTap(fi, writer, s.Clock);
        var tracer = new FrameTracer(tap, s.Clock, SimTime.NsPerMs);
        tracer.Attach(new RecordingReceiver());
        link.B.Attach(new RecordingReceiver());
        fi.Drop(1, f => TestFrames.SeqOf(f) >= 5);
        for (var i = 0; i < 10; i++) tracer.Transmit(TestFrames.Udp(i, 60));
        s.RunUntilIdle();

        Assert.Equal(10, tap.FramesWritten);
        Assert.Equal(5, link.AToB.Stats.FramesDelivered);
        Assert.Equal(10, tracer.Flows.Single().Packets);
        Assert.Equal("l.a", tracer.Name);
        Assert.Equal(1500, tracer.Mtu);

        var changes = new List<(IFrameDevice, bool)>();
        tracer.LinkStateChanged += (d, up) => changes.Add((d, up));
        link.Down();
        Assert.False(tracer.IsLinkUp);
        link.Up();
        Assert.True(tracer.IsLinkUp);
        Assert.Equal([(tracer, false), (tracer, true)], changes);
        Assert.Throws<InvalidOperationException>(() => new PcapTap(link.A, writer, s.Clock)); // port already wrapped
    }
}

public class FrameTracerTests
{
    [Fact]
    public void Tracer_counts_each_flow_and_direction_in_time_buckets()
    {
        var s = new EventScheduler();
        var link = new SimLink(s, "l", new LinkParameters(Delay: TimeSpan.FromMilliseconds(15)));
        var tracer = new FrameTracer(link.A, s.Clock, bucketNs: 10 * SimTime.NsPerMs);
        tracer.Attach(new RecordingReceiver());
        var echo = new Echo(link.B);
        link.B.Attach(echo);

        var v4 = TestFrames.Tcp(false, 40000, 80, payload: 1000);
        var v6 = TestFrames.Tcp(true, 40001, 443, payload: 500);
        for (var i = 0; i < 30; i++)
        {
            var at = i * SimTime.NsPerMs; // 30 ms of one frame per ms on each flow
            s.Schedule(at, () => tracer.Transmit(v4));
            s.Schedule(at, () => tracer.Transmit(v6));
        }
        s.Schedule(0, () => tracer.Transmit(TestFrames.Arp()));
        s.RunUntilIdle();

        Assert.True(FlowKey.TryParse(v4, out var k4, out var p4));
        Assert.Equal(1000, p4);
        Assert.Equal("10.0.0.1:40000 > 10.0.0.2:80 tcp", k4.ToString());
        Assert.True(FlowKey.TryParse(v6, out var k6, out _));
        Assert.Equal("[2001:db8::1]:40001 > [2001:db8::2]:443 tcp", k6.ToString());

        var tx4 = tracer.Find(k4, FrameDirections.Transmit)!;
        Assert.Equal(30, tx4.Packets);
        Assert.Equal(30L * v4.Length, tx4.Bytes);
        Assert.Equal(30_000, tx4.PayloadBytes);
        Assert.Equal([10L, 10, 10], tx4.PacketsPerBucket);
        Assert.Equal(10.0 * v4.Length * 8 / 0.01, tx4.RateBps(1), 6);
        // The echo comes back 30 ms later (15 ms each way): buckets 3, 4 and 5 of the received side.
        var rx4 = tracer.Find(k4, FrameDirections.Receive)!;
        Assert.Equal([0L, 0, 0, 10, 10, 10], rx4.PacketsPerBucket);
        Assert.Equal(30 * SimTime.NsPerMs, rx4.FirstNs);
        var tx6 = tracer.Find(k6, FrameDirections.Transmit)!;
        Assert.Equal(15_000, tx6.PayloadBytes);
        Assert.Null(tracer.Find(k6.Reversed, FrameDirections.Transmit));
        Assert.Equal(4, tracer.Flows.Count);
        Assert.Equal(2, tracer.NonIpFrames); // the ARP request and its echo

        var csv = new StringWriter();
        tracer.WriteCsv(csv);
        var lines = csv.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("time_s,direction,flow,packets,bytes,payload_bytes", lines[0].TrimEnd());
        Assert.Equal(1 + 3 + 3 + 3 + 3, lines.Length);
        Assert.Contains("0.01,tx,10.0.0.1:40000 > 10.0.0.2:80 tcp,10," + 10 * v4.Length + ",10000", csv.ToString());
    }

    [Fact]
    public void FlowKey_ignores_non_ip_and_handles_udp()
    {
        Assert.False(FlowKey.TryParse(TestFrames.Arp(), out _, out _));
        Assert.False(FlowKey.TryParse(new byte[5], out _, out _));
        Assert.True(FlowKey.TryParse(TestFrames.Udp(1, 100, 53, 5353), out var k, out var payload));
        Assert.Equal(IpProtocol.Udp, k.Protocol);
        Assert.Equal((ushort)53, k.SourcePort);
        Assert.Equal((ushort)5353, k.DestinationPort);
        Assert.Equal(100 - 42, payload);
        Assert.Equal(k, k.Reversed.Reversed);
        Assert.NotEqual(k, k.Reversed);
    }

    /// <summary>Sends every received frame straight back.</summary>
    private sealed class Echo(IFrameDevice device) : IFrameReceiver
    {
        public void Receive(IFrameDevice d, ReadOnlySpan<byte> frame, long timeNs) => device.Transmit(frame);
    }
}
