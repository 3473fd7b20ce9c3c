using MptcpActors.Tests.Shared;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Sim;
using Xunit.Abstractions;

namespace MptcpActors.Transport.Tests.Sim;

public class SimLinkTests(ITestOutputHelper output)
{
    private static (EventScheduler S, SimLink Link, RecordingReceiver AtB, RecordingReceiver AtA) Make(LinkParameters p, LinkParameters? back = null, ulong seed = 1, int capacity = 1 << 16)
    {
        var s = new EventScheduler(seed);
        var link = new SimLink(s, "l", p, back);
        var atB = new RecordingReceiver(capacity);
        var atA = new RecordingReceiver(capacity);
        link.B.Attach(atB);
        link.A.Attach(atA);
        return (s, link, atB, atA);
    }

    [Fact]
    public void Arrival_is_serialization_plus_propagation_exactly()
    {
        // 1000 bytes at 10 Mbit/s = 800 µs on the wire, then 5 ms of propagation.
        var (s, link, atB, _) = Make(new LinkParameters(RateBps: 10e6, Delay: TimeSpan.FromMilliseconds(5)));
        s.RunUntil(1_234_567);
        link.A.Transmit(TestFrames.Udp(1, 1000));
        s.RunUntilIdle();

        Assert.Equal(1, atB.Count);
        Assert.Equal(1_234_567 + 800_000 + 5_000_000, atB.Times[0]);
        Assert.Same(link.B, atB.LastDevice);
        Assert.Equal(1, link.AToB.Stats.FramesDelivered);
        Assert.Equal(1000, link.AToB.Stats.BytesDelivered);
    }

    [Fact]
    public void Back_to_back_frames_are_spaced_by_their_serialization_time()
    {
        var (s, link, atB, _) = Make(new LinkParameters(RateBps: 100e6, Delay: TimeSpan.FromMilliseconds(1)));
        int[] sizes = [1514, 64, 1000, 1514, 200];
        for (var i = 0; i < sizes.Length; i++) link.A.Transmit(TestFrames.Udp(i, sizes[i]));
        Assert.Equal(4, link.AToB.QueuePackets); // the first is on the wire, four wait
        Assert.Equal(64 + 1000 + 1514 + 200, link.AToB.QueueBytes);
        s.RunUntilIdle();

        long end = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            end += sizes[i] * 80; // 80 ns per byte at 100 Mbit/s
            Assert.Equal(i, atB.Seqs[i]);
            Assert.Equal(end + 1_000_000, atB.Times[i]);
        }
        Assert.Equal(0, link.AToB.QueuePackets);
        Assert.Equal(0, link.AToB.QueueBytes);
    }

    [Fact]
    public void Sub_nanosecond_serialization_times_add_up_to_the_exact_rate()
    {
        // 100 bytes at 3 Mbit/s = 266 666.67 ns: 3000 frames must take exactly 800 ms, not 3000 × 266 666.
        var (s, link, atB, _) = Make(new LinkParameters(RateBps: 3e6));
        var f = TestFrames.Udp(0, 100);
        for (var i = 0; i < 3000; i++) link.A.Transmit(f);
        s.RunUntilIdle();
        Assert.Equal(3000, atB.Count);
        Assert.Equal(800_000_000, atB.Times[^1]);
        Assert.Equal(266_666, atB.Times[0]);
        Assert.Equal(533_333, atB.Times[1]);
    }

    [Fact]
    public void Infinite_rate_delivers_after_the_delay_alone_in_order()
    {
        var (s, link, atB, _) = Make(new LinkParameters(Delay: TimeSpan.FromMicroseconds(250)));
        for (var i = 0; i < 100; i++) link.A.Transmit(TestFrames.Udp(i, 1514));
        Assert.Equal(0, link.AToB.QueuePackets);
        s.RunUntilIdle();
        Assert.Equal(Enumerable.Range(0, 100), atB.Seqs.ToArray());
        Assert.All(atB.Times.ToArray(), t => Assert.Equal(250_000, t));
    }

    [Fact]
    public void Packet_queue_limit_drops_exactly_the_excess()
    {
        var (s, link, atB, _) = Make(new LinkParameters(RateBps: 1e6, QueueLimitPackets: 10));
        for (var i = 0; i < 50; i++) link.A.Transmit(TestFrames.Udp(i, 500));
        s.RunUntilIdle();

        // One frame is being serialized, ten wait, the other 39 find the queue full.
        Assert.Equal(Enumerable.Range(0, 11), atB.Seqs.ToArray());
        Assert.Equal(39, link.AToB.Stats.Dropped(DropReason.QueueFull));
        Assert.Equal(39, link.AToB.Stats.FramesDropped);
        Assert.Equal(39 * 500, link.AToB.Stats.BytesDropped);
        Assert.Equal(10, link.AToB.Stats.MaxQueuePackets);
        Assert.Equal(50, link.AToB.Stats.FramesOffered);
    }

    [Fact]
    public void Byte_queue_limit_admits_what_fits()
    {
        var (s, link, atB, _) = Make(new LinkParameters(RateBps: 1e6, QueueLimitBytes: 3000));
        link.A.Transmit(TestFrames.Udp(0, 1500)); // on the wire
        link.A.Transmit(TestFrames.Udp(1, 1500)); // queue 1500
        link.A.Transmit(TestFrames.Udp(2, 1000)); // queue 2500
        link.A.Transmit(TestFrames.Udp(3, 1000)); // would be 3500: dropped
        link.A.Transmit(TestFrames.Udp(4, 500));  // exactly 3000: fits
        link.A.Transmit(TestFrames.Udp(5, 100));  // dropped
        s.RunUntilIdle();
        Assert.Equal([0, 1, 2, 4], atB.Seqs.ToArray());
        Assert.Equal(2, link.AToB.Stats.Dropped(DropReason.QueueFull));
        Assert.Equal(3000, link.AToB.Stats.MaxQueueBytes);
    }

    [Fact]
    public void The_queue_drains_and_refills_as_the_transmitter_works()
    {
        // Frames of 1000 B at 8 Mbit/s take 1 ms each; one new frame every 0.5 ms for 100 frames with room for 5:
        // the queue grows by one frame every ms until it is full, then every other frame is dropped.
        var (s, link, atB, _) = Make(new LinkParameters(RateBps: 8e6, QueueLimitPackets: 5));
        for (var i = 0; i < 100; i++)
        {
            var n = i;
            s.Schedule(i * 500_000L, () => link.A.Transmit(TestFrames.Udp(n, 1000)));
        }
        s.RunUntilIdle();
        var st = link.AToB.Stats;
        Assert.Equal(100, st.FramesDelivered + st.Dropped(DropReason.QueueFull));
        Assert.Equal(5, st.MaxQueuePackets);
        // Delivered frames leave exactly 1 ms apart once the queue is busy, and in order.
        var times = atB.Times.ToArray();
        for (var i = 1; i < times.Length; i++) Assert.Equal(1_000_000, times[i] - times[i - 1]);
        Assert.Equal(atB.Seqs.ToArray().Order(), atB.Seqs.ToArray());
        // Link busy from 0 to the end: delivered = total time / 1 ms.
        Assert.Equal(st.FramesDelivered, times[^1] / 1_000_000);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_frame_ending_serialization_frees_its_queue_slot_for_a_frame_sent_at_that_instant(bool scheduledUpFront)
    {
        // Room for one waiting frame. Frame 0 is on the wire until 1 ms, frame 1 waits; frame 2 is sent at exactly
        // 1 ms, when frame 1 leaves the queue. Whether frame 2's event was scheduled before or after the link's own
        // wake-up at 1 ms must not matter.
        var (s, link, atB, _) = Make(new LinkParameters(RateBps: 8e6, QueueLimitPackets: 1));
        void Send2() => link.A.Transmit(TestFrames.Udp(2, 1000));
        if (scheduledUpFront) s.Schedule(SimTime.NsPerMs, Send2);
        else s.Schedule(SimTime.NsPerMs / 2, () => s.Schedule(SimTime.NsPerMs, Send2));
        link.A.Transmit(TestFrames.Udp(0, 1000));
        link.A.Transmit(TestFrames.Udp(1, 1000));
        s.RunUntilIdle();
        Assert.Equal([0, 1, 2], atB.Seqs.ToArray());
        Assert.Equal([1_000_000L, 2_000_000, 3_000_000], atB.Times.ToArray());
    }

    [Fact]
    public void Random_loss_over_100k_frames_is_within_statistical_bounds()
    {
        const int n = 100_000;
        const double p = 0.02;
        var (s, link, atB, _) = Make(new LinkParameters(RateBps: 1e9, LossProbability: p), seed: 99, capacity: n);
        var frame = new byte[100];
        for (var i = 0; i < n; i++)
        {
            TestFrames.Udp(frame, i, 100);
            link.A.Transmit(frame);
            if (i % 1000 == 999) s.RunUntilIdle();
        }
        s.RunUntilIdle();

        var lost = link.AToB.Stats.Dropped(DropReason.Loss);
        var sigma = Math.Sqrt(n * p * (1 - p)); // ≈ 44
        Assert.InRange(lost, n * p - 5 * sigma, n * p + 5 * sigma);
        Assert.Equal(n, atB.Count + lost);
        Assert.Equal(n - lost, link.AToB.Stats.FramesDelivered);
        // Losses are spread, not clumped: both halves lose about half.
        var firstHalfDelivered = atB.Seqs.ToArray().Count(x => x < n / 2);
        Assert.InRange(n / 2 - firstHalfDelivered, lost / 2 - 5 * sigma, lost / 2 + 5 * sigma);
    }

    private static (int[] Seqs, long[] Times, long Lost) RunNoisy(ulong seed)
    {
        var p = new LinkParameters(RateBps: 20e6, Delay: TimeSpan.FromMilliseconds(10), Jitter: TimeSpan.FromMilliseconds(2),
            LossProbability: 0.05, ReorderProbability: 0.05, QueueLimitPackets: 50);
        var (s, link, atB, _) = Make(p, seed: seed);
        for (var i = 0; i < 2000; i++)
        {
            var n = i;
            s.Schedule(i * 400_000L, () => link.A.Transmit(TestFrames.Udp(n, 1200)));
        }
        s.RunUntilIdle();
        return (atB.Seqs.ToArray(), atB.Times.ToArray(), link.AToB.Stats.FramesDropped);
    }

    [Fact]
    public void Same_seed_gives_the_same_arrivals_and_a_different_seed_does_not()
    {
        var a = RunNoisy(5);
        var b = RunNoisy(5);
        var c = RunNoisy(6);
        Assert.Equal(a.Seqs, b.Seqs);
        Assert.Equal(a.Times, b.Times);
        Assert.Equal(a.Lost, b.Lost);
        Assert.True(a.Times.Length > 1500);
        Assert.False(a.Seqs.SequenceEqual(c.Seqs) && a.Times.SequenceEqual(c.Times));
        Assert.NotEqual(a.Times, c.Times);
    }

    [Fact]
    public void Down_blackhole_and_up_at_scheduled_times()
    {
        // One 100-byte frame per ms each way, 500 µs delay, for 100 ms. Down 20–40 ms, A→B blackholed 60–80 ms.
        var (s, link, atB, atA) = Make(new LinkParameters(RateBps: 100e6, Delay: TimeSpan.FromMicroseconds(500)));
        var stateChanges = new List<(string Port, bool Up, long At)>();
        link.A.LinkStateChanged += (d, up) => stateChanges.Add((d.Name, up, s.NowNs));
        link.B.LinkStateChanged += (d, up) => stateChanges.Add((d.Name, up, s.NowNs));
        var ms = SimTime.NsPerMs;
        link.At(20 * ms + 200_000, l => l.Down()); // 200 µs after frame 20 was sent: it is still in flight
        link.At(40 * ms, l => l.Up());
        link.At(60 * ms, l => l.Blackhole(l.AToB));
        link.At(80 * ms, l => l.Up());
        var upSeen = new List<(long, bool, LinkState)>();
        foreach (var t in new long[] { 10, 30, 70, 90 }) s.Schedule(t * ms, () => upSeen.Add((t, link.A.IsLinkUp, link.State)));
        for (var i = 0; i < 100; i++)
        {
            var n = i;
            s.Schedule(n * ms, () =>
            {
                link.A.Transmit(TestFrames.Udp(n, 100));
                link.B.Transmit(TestFrames.Udp(n, 100));
            });
        }
        s.RunUntilIdle();

        var upWindow = Enumerable.Range(0, 100).Where(i => i < 20 || i >= 40).ToArray();
        Assert.Equal(upWindow.Where(i => i < 60 || i >= 80), atB.Seqs.ToArray()); // A→B: down and blackhole
        Assert.Equal(upWindow, atA.Seqs.ToArray());                             // B→A: only down
        Assert.Equal(1, link.AToB.Stats.Dropped(DropReason.LinkDown) - 19);      // frame 20 lost in flight, 21–39 refused
        Assert.Equal(20, link.AToB.Stats.Dropped(DropReason.LinkDown));
        Assert.Equal(20, link.AToB.Stats.Dropped(DropReason.Blackhole));
        Assert.Equal(0, link.BToA.Stats.Dropped(DropReason.Blackhole));
        Assert.Equal([(10L, true, LinkState.Up), (30L, false, LinkState.Down), (70L, true, LinkState.Blackhole), (90L, true, LinkState.Up)], upSeen);
        Assert.Equal([("l.a", false, 20 * ms + 200_000), ("l.b", false, 20 * ms + 200_000), ("l.a", true, 40 * ms), ("l.b", true, 40 * ms)], stateChanges);
    }

    [Fact]
    public void Blackholing_both_ways_drops_silently_while_the_ports_stay_up()
    {
        var (s, link, atB, atA) = Make(new LinkParameters(Delay: TimeSpan.FromMilliseconds(1)));
        var changes = 0;
        link.A.LinkStateChanged += (_, _) => changes++;
        link.A.Transmit(TestFrames.Udp(0, 60)); // already on the wire: still arrives
        link.SetState(LinkState.Blackhole);
        link.A.Transmit(TestFrames.Udp(1, 60));
        link.B.Transmit(TestFrames.Udp(2, 60));
        Assert.Equal(LinkState.Blackhole, link.State);
        Assert.True(link.A.IsLinkUp && link.B.IsLinkUp);
        s.RunUntilIdle();
        link.SetState(LinkState.Up);
        link.B.Transmit(TestFrames.Udp(3, 60));
        s.RunUntilIdle();
        Assert.Equal([0], atB.Seqs.ToArray());
        Assert.Equal([3], atA.Seqs.ToArray());
        Assert.Equal(1, link.AToB.Stats.Dropped(DropReason.Blackhole));
        Assert.Equal(1, link.BToA.Stats.Dropped(DropReason.Blackhole));
        Assert.Equal(0, changes);
    }

    [Fact]
    public void Trimming_the_pools_between_runs_keeps_the_link_working()
    {
        var (s, link, atB, _) = Make(new LinkParameters(RateBps: 1e9));
        for (var i = 0; i < 100; i++) link.A.Transmit(TestFrames.Udp(i, 1514));
        s.RunUntilIdle();
        s.TrimPools();
        for (var i = 100; i < 200; i++) link.A.Transmit(TestFrames.Udp(i, 1514)); // buffers rented afresh
        s.RunUntilIdle();
        Assert.Equal(Enumerable.Range(0, 200), atB.Seqs.ToArray());
        Assert.Equal(0, link.AToB.Stats.FramesDropped);
    }

    [Fact]
    public void Jumbo_frames_get_buffers_big_enough()
    {
        var s = new EventScheduler();
        var link = new SimLink(s, "j", new LinkParameters(RateBps: 10e9), mtu: 9000);
        var atB = new RecordingReceiver(keepFrames: true);
        link.B.Attach(atB);
        var small = TestFrames.Udp(1, 100);
        var jumbo = TestFrames.Udp(2, 9014);
        jumbo[^1] = 0xAB;
        link.A.Transmit(small);
        s.RunUntilIdle();
        link.A.Transmit(jumbo); // reuses the small frame's pooled buffer, which must grow
        s.RunUntilIdle();
        Assert.Equal(small, atB.Frames[0]);
        Assert.Equal(jumbo, atB.Frames[1]);
    }

    [Fact]
    public void Going_down_loses_the_queue_and_the_frame_on_the_wire()
    {
        var (s, link, atB, _) = Make(new LinkParameters(RateBps: 8e6)); // 1000 B = 1 ms
        for (var i = 0; i < 5; i++) link.A.Transmit(TestFrames.Udp(i, 1000));
        s.RunUntil(1_500_000); // frame 0 delivered, frame 1 half serialized, 2–4 queued
        link.Down();
        Assert.Equal(0, link.AToB.QueuePackets);
        Assert.Equal(0, link.AToB.QueueBytes);
        link.Up();
        link.A.Transmit(TestFrames.Udp(9, 1000)); // transmitter free again: starts now
        s.RunUntilIdle();
        Assert.Equal([0, 9], atB.Seqs.ToArray());
        Assert.Equal(2_500_000, atB.Times[1]);
        Assert.Equal(4, link.AToB.Stats.Dropped(DropReason.LinkDown));
    }

    [Fact]
    public void Each_direction_has_its_own_parameters()
    {
        var up = new LinkParameters(RateBps: 1e6, Delay: TimeSpan.FromMilliseconds(30));
        var down = new LinkParameters(RateBps: 50e6, Delay: TimeSpan.FromMilliseconds(5));
        var (s, link, atB, atA) = Make(up, down);
        link.A.Transmit(TestFrames.Udp(1, 1250)); // 10 ms at 1 Mbit/s
        link.B.Transmit(TestFrames.Udp(2, 1250)); // 200 µs at 50 Mbit/s
        s.RunUntilIdle();
        Assert.Equal(40_000_000, atB.Times[0]);
        Assert.Equal(5_200_000, atA.Times[0]);
        Assert.Same(up, link.AToB.Parameters);
        Assert.Same(down, link.BToA.Parameters);
    }

    [Fact]
    public void Parameters_changed_at_a_scheduled_time_apply_to_later_frames()
    {
        var (s, link, atB, _) = Make(new LinkParameters(RateBps: 8e6, Delay: TimeSpan.FromMilliseconds(1)));
        link.At(5 * SimTime.NsPerMs, l => l.AToB.Parameters = l.AToB.Parameters with { RateBps = 80e6, Delay = TimeSpan.FromMilliseconds(2) });
        s.Schedule(0, () => link.A.Transmit(TestFrames.Udp(0, 1000)));
        s.Schedule(10 * SimTime.NsPerMs, () => link.A.Transmit(TestFrames.Udp(1, 1000)));
        s.RunUntilIdle();
        Assert.Equal(2_000_000, atB.Times[0]);                 // 1 ms + 1 ms
        Assert.Equal(10_000_000 + 100_000 + 2_000_000, atB.Times[1]); // 0.1 ms + 2 ms
        Assert.Throws<ArgumentException>(() => link.SetParameters(new LinkParameters(LossProbability: 2)));
    }

    [Theory]
    [InlineData(JitterDistribution.Uniform)]
    [InlineData(JitterDistribution.Normal)]
    public void Jitter_varies_the_delay_but_never_reorders(JitterDistribution distribution)
    {
        // Jitter of 2 ms against frames 1 ms apart: unclamped, about a quarter of neighbours would swap.
        var p = new LinkParameters(RateBps: 100e6, Delay: TimeSpan.FromMilliseconds(20), Jitter: TimeSpan.FromMilliseconds(2),
            JitterDistribution: distribution);
        var (s, link, atB, _) = Make(p, seed: 3);
        const int n = 10_000;
        for (var i = 0; i < n; i++)
        {
            var k = i;
            s.Schedule(k * SimTime.NsPerMs, () => link.A.Transmit(TestFrames.Udp(k, 500)));
        }
        s.RunUntilIdle();

        Assert.Equal(Enumerable.Range(0, n), atB.Seqs.ToArray());
        for (var i = 1; i < n; i++) Assert.True(atB.Times[i] >= atB.Times[i - 1]);
        // Delay = arrival - send time - 40 µs of serialization.
        var delays = Enumerable.Range(0, n).Select(i => atB.Times[i] - i * SimTime.NsPerMs - 40_000 - 20_000_000).ToArray();
        Assert.All(delays, d => Assert.True(d >= -(distribution == JitterDistribution.Uniform ? 2_000_000 : 20_000_000)));
        if (distribution == JitterDistribution.Uniform) Assert.All(delays, d => Assert.True(d <= 2_000_000));
        Assert.True(delays.Max() - delays.Min() > 3_000_000, $"the delay should spread over several ms, not {delays.Max() - delays.Min()} ns");
        Assert.True(delays.Count(d => d < 0) > n / 10, "some frames should arrive earlier than the mean delay");
        // Clamping only ever delays, so the mean moves up a little but stays within the jitter.
        Assert.InRange(delays.Average(), 0, 2_000_000);
        Assert.Equal(0, link.AToB.Stats.FramesReordered);
    }

    [Fact]
    public void Reordering_happens_at_the_asked_rate()
    {
        const int n = 20_000;
        const double p = 0.1;
        var (s, link, atB, _) = Make(new LinkParameters(RateBps: 1e9, Delay: TimeSpan.FromMilliseconds(5), ReorderProbability: p,
            ReorderDelay: TimeSpan.FromMilliseconds(1)), seed: 11, capacity: n);
        for (var i = 0; i < n; i++)
        {
            var k = i;
            s.Schedule(k * 100_000L, () => link.A.Transmit(TestFrames.Udp(k, 100)));
        }
        s.RunUntilIdle();

        Assert.Equal(n, atB.Count);
        // A frame arrives late when a frame sent after it arrived first; with 1 ms extra delay and a frame every
        // 0.1 ms, every reordered frame is overtaken.
        var late = 0;
        var maxSeen = -1;
        foreach (var seq in atB.Seqs)
        {
            if (seq < maxSeen) late++;
            else maxSeen = seq;
        }
        var sigma = Math.Sqrt(n * p * (1 - p));
        Assert.InRange(late, n * p - 5 * sigma, n * p + 5 * sigma);
        Assert.Equal(link.AToB.Stats.FramesReordered, late);
        Assert.Equal(Enumerable.Range(0, n), atB.Seqs.ToArray().Order());
    }

    [Fact]
    public void Frames_too_big_too_short_or_without_a_receiver_are_dropped_and_counted()
    {
        var s = new EventScheduler();
        var link = new SimLink(s, "l", LinkParameters.Ideal, mtu: 1400);
        var atB = new RecordingReceiver();
        link.B.Attach(atB);
        link.A.Transmit(TestFrames.Udp(0, 1414)); // 1400 of IP: fits
        link.A.Transmit(TestFrames.Udp(1, 1415));
        link.A.Transmit(new byte[10]);
        link.B.Transmit(TestFrames.Udp(2, 100)); // nothing attached at A
        s.RunUntilIdle();
        Assert.Equal([0], atB.Seqs.ToArray());
        Assert.Equal(1, link.AToB.Stats.Dropped(DropReason.TooBig));
        Assert.Equal(1, link.AToB.Stats.Dropped(DropReason.Malformed));
        Assert.Equal(1, link.BToA.Stats.Dropped(DropReason.NoReceiver));
        Assert.Throws<InvalidOperationException>(() => link.B.Attach(new RecordingReceiver()));
    }

    [Fact]
    public void Steady_state_transmit_and_deliver_allocates_nothing()
    {
        // Queueing, loss, jitter and reordering all on, so every path of the link is exercised.
        var p = new LinkParameters(RateBps: 1e9, Delay: TimeSpan.FromMilliseconds(1), Jitter: TimeSpan.FromMicroseconds(50),
            JitterDistribution: JitterDistribution.Normal, LossProbability: 0.01, ReorderProbability: 0.01, QueueLimitPackets: 100);
        var (s, link, atB, _) = Make(p);
        var frame = new byte[1514];
        TestFrames.Udp(frame, 0, frame.Length);

        void Burst(int frames)
        {
            for (var i = 0; i < frames; i++)
            {
                link.A.Transmit(frame);
                if (i % 64 == 63) s.RunFor(1_000_000); // bursts of 64: up to 63 queued, 1 ms apart
            }
            s.RunUntilIdle();
        }

        Burst(20_000); // warm-up: pools, heap and queue reach their sizes, the JIT is done
        var allocated = Allocations.Least(() => Burst(10_000));

        Assert.True(link.AToB.Stats.FramesDelivered > 25_000, link.AToB.Stats.ToString());
        Assert.True(link.AToB.Stats.Dropped(DropReason.Loss) > 0);
        output.WriteLine($"{allocated} bytes allocated for 10 000 frames; {link.AToB.Stats}");
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void A_million_frames_cross_a_link_without_loss()
    {
        const int n = 1_000_000;
        var (s, link, atB, _) = Make(new LinkParameters(RateBps: 10e9, Delay: TimeSpan.FromMilliseconds(1)), capacity: 1024);
        var frame = new byte[1514];
        TestFrames.Udp(frame, 0, frame.Length);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            link.A.Transmit(frame);
            if (i % 1000 == 999) s.RunUntilIdle();
        }
        s.RunUntilIdle();
        sw.Stop();
        output.WriteLine($"1M frames in {sw.Elapsed.TotalMilliseconds:F0} ms ({n / sw.Elapsed.TotalSeconds / 1e6:F2} M frames/s), {s.ExecutedCount} events");

        Assert.Equal(n, atB.Total);
        Assert.Equal(n, link.AToB.Stats.FramesDelivered);
    }
}
