using MptcpActors.Transport.Sim;

namespace MptcpActors.Transport.Tests.Sim;

public class SimNetworkTests
{
    [Fact]
    public void Hosts_ports_and_links_are_created_and_found_by_name()
    {
        var net = new SimNetwork(seed: 3);
        var wifi = net.Link("wifi", "phone", "server", new LinkParameters(RateBps: 50e6, Delay: TimeSpan.FromMilliseconds(10)));
        var lte = net.Link("lte", net.Host("phone"), net.Host("server"), new LinkParameters(RateBps: 20e6, Delay: TimeSpan.FromMilliseconds(40)),
            new LinkParameters(RateBps: 5e6, Delay: TimeSpan.FromMilliseconds(40)), mtu: 1400);

        var phone = net.Host("phone");
        Assert.Equal(2, net.Hosts.Count);
        Assert.Equal([wifi, lte], net.Links);
        Assert.Same(wifi, net.GetLink("wifi"));
        Assert.Same(wifi.A, phone.Port("wifi"));
        Assert.Same(lte.B, net.Host("server").Port("lte"));
        Assert.Equal("phone/wifi", wifi.A.Name);
        Assert.Equal("server/lte", lte.B.Name);
        Assert.Same(phone, wifi.A.Host);
        Assert.Equal(1400, lte.A.Mtu);
        Assert.Equal(5e6, lte.BToA.Parameters.RateBps);
        Assert.Equal([0x02, 0, 0, 0, 0, 1], wifi.A.MacAddress.ToArray());
        Assert.Equal([0x02, 0, 0, 0, 0, 4], lte.B.MacAddress.ToArray());
        Assert.Equal("020000000004", lte.B.PhysicalAddress.ToString());
        Assert.Same(wifi.B, wifi.A.Peer);
        Assert.Same(wifi.AToB, wifi.A.Outbound);
        Assert.Same(wifi.AToB, wifi.B.Inbound);
        Assert.Throws<ArgumentException>(() => net.Link("wifi", "phone", "server", LinkParameters.Ideal));
        Assert.Throws<ArgumentException>(() => net.Link("loop", "phone", "phone", LinkParameters.Ideal));
        Assert.Throws<KeyNotFoundException>(() => phone.Port("dsl"));
    }

    [Fact]
    public void Trace_records_queue_growth_drops_and_delivered_bytes_per_direction()
    {
        var net = new SimNetwork(seed: 1);
        var trace = net.EnableTrace(bucketNs: 10 * SimTime.NsPerMs, queueSamples: true);
        // 1000-byte frames at 8 Mbit/s take 1 ms; offered 2 per ms for 50 ms into a 20-frame queue.
        var link = net.Link("dsl", "home", "isp", new LinkParameters(RateBps: 8e6, Delay: TimeSpan.FromMilliseconds(5), QueueLimitPackets: 20));
        link.B.Attach(new RecordingReceiver());
        link.A.Attach(new RecordingReceiver());
        for (var i = 0; i < 100; i++)
        {
            var n = i;
            net.At(n * 500_000L, () => link.A.Transmit(TestFrames.Udp(n, 1000)));
        }
        net.RunUntilIdle();

        var t = trace.For(link.AToB);
        Assert.Equal(link.AToB.Stats.BytesDelivered, t.Buckets.Sum(b => b.DeliveredBytes));
        Assert.Equal(link.AToB.Stats.FramesDelivered, t.Buckets.Sum(b => b.DeliveredFrames));
        Assert.Equal(link.AToB.Stats.Dropped(DropReason.QueueFull), t.Buckets.Sum(b => b.DroppedQueueFull));
        Assert.True(link.AToB.Stats.Dropped(DropReason.QueueFull) > 0);
        // The queue grows by one frame per ms (t + 1 frames wait just after the arrival at t + 0.5 ms), until full at 19.5 ms.
        Assert.Equal(10, t.Buckets[0].MaxQueuePackets);
        Assert.Equal(20, t.Buckets[1].MaxQueuePackets);
        Assert.Equal(20, t.Buckets[3].MaxQueuePackets);
        Assert.Equal(20_000, t.Buckets[3].MaxQueueBytes);
        // Full rate delivered once the first frame arrives (6 ms): 10 frames per 10 ms bucket.
        Assert.Equal(10, t.Buckets[2].DeliveredFrames);
        Assert.Equal(20, t.QueueSamples.Max(q => q.Packets));
        Assert.Equal(0, t.QueueSamples[^1].Packets);
        Assert.Empty(trace.For(link.BToA).Buckets);

        var csv = new StringWriter();
        trace.WriteCsv(csv);
        Assert.StartsWith("time_s,link,direction,delivered_frames", csv.ToString());
        Assert.Contains("0.02,dsl,home/dsl->isp/dsl,10,10000,", csv.ToString());
    }

    [Fact]
    public void Same_seed_same_network_run()
    {
        static long[] Run(ulong seed)
        {
            var net = new SimNetwork(seed);
            var p = new LinkParameters(RateBps: 10e6, Delay: TimeSpan.FromMilliseconds(5), Jitter: TimeSpan.FromMilliseconds(1), LossProbability: 0.1);
            var l1 = net.Link("one", "a", "b", p);
            var l2 = net.Link("two", "a", "b", p);
            var r1 = new RecordingReceiver();
            var r2 = new RecordingReceiver();
            l1.B.Attach(r1);
            l2.B.Attach(r2);
            for (var i = 0; i < 500; i++)
            {
                var n = i;
                net.At(n * 100_000L, () =>
                {
                    l1.A.Transmit(TestFrames.Udp(n, 300));
                    l2.A.Transmit(TestFrames.Udp(n, 300));
                });
            }
            net.RunUntilIdle();
            return [.. r1.Times, -1, .. r2.Times, -1, .. r1.Seqs.ToArray().Select(x => (long)x)];
        }

        Assert.Equal(Run(21), Run(21));
        Assert.NotEqual(Run(21), Run(22));
    }
}
