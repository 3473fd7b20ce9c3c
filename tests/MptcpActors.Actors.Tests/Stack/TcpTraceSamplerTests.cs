using System.Globalization;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Stack.Tracing;
using MptcpActors.Actors.Tcp;
using MptcpActors.Actors.Tcp.Congestion;
using MptcpActors.Transport.Sim;
using Xunit.Abstractions;

namespace MptcpActors.Actors.Tests.Stack;

/// <summary>TcpTraceSampler on a lossy simulated transfer: the series say what the connection did.</summary>
public class TcpTraceSamplerTests(ITestOutputHelper output)
{
    private const long Ms = 1_000_000;
    private const long Interval = 10 * Ms;
    private const long Bytes = 3_000_000;

    private static (SimTransfer T, TcpTraceSampler Sampler, TcpTraceSeries Sender, Func<TcpTraceSeries?> Receiver) Run(ulong seed)
    {
        var p = new LinkParameters(RateBps: 20e6, Delay: TimeSpan.FromMilliseconds(20), QueueLimitPackets: 70, LossProbability: 0.01);
        var t = new SimTransfer(seed, p, Bytes, new TcpCoreOptions { CongestionControl = CongestionControlKind.NewReno }, reverse: p with { LossProbability = 0 });
        var sampler = new TcpTraceSampler(t.Net.Scheduler, Interval);
        var sender = sampler.Add(t.Source.Socket, "sender");
        TcpTraceSeries? receiver = null;
        t.Net.Scheduler.Schedule(100 * Ms, () => receiver = sampler.Add(t.Sink.Socket!, "receiver"));
        Assert.True(t.Run(600_000 * Ms));
        Assert.Equal(t.Source.Sha256, t.Sink.Sha256);
        return (t, sampler, sender, () => receiver);
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    public void Series_follow_a_lossy_transfer(ulong seed)
    {
        var (t, sampler, sender, receiverOf) = Run(seed);
        var receiver = receiverOf()!;
        var s = sender.Samples;
        var st = t.Source.Socket.Core.Statistics;
        output.WriteLine($"{s.Count} samples, {st.FastRecoveries} recoveries, {st.Timeouts} timeouts, {st.BytesRetransmitted} B retransmitted");

        // Time runs on the interval grid; counters never go back.
        Assert.Equal(0, s[0].TimeNs);
        for (var i = 1; i < s.Count; i++)
        {
            var (a, b) = (s[i - 1], s[i]);
            Assert.True(b.TimeNs > a.TimeNs && (b.TimeNs - a.TimeNs == Interval || i == s.Count - 1 && b.TimeNs - a.TimeNs <= Interval));
            Assert.True(b.BytesAcked >= a.BytesAcked && b.BytesRetransmitted >= a.BytesRetransmitted);
            Assert.True(b.FastRecoveries >= a.FastRecoveries && b.Timeouts >= a.Timeouts);
            Assert.True(b.BytesInFlight >= 0 && b.AckedRateBps >= 0 && b.BytesOutstanding >= 0);
            // One interval's rate may burst (an ACK that fills a hole covers data SACKed earlier), never the total: nothing beats the link.
            Assert.True(b.BytesAcked * 8.0 <= 20e6 * b.TimeNs / 1e9, $"{b.BytesAcked} B acknowledged by {b.TimeNs / 1e9} s on a 20 Mbit/s link");
        }
        // The series ends with the connection, having seen every byte acknowledged, and the rates add up to it.
        Assert.True(sender.Finished);
        Assert.Equal(Bytes, s[^1].BytesAcked);
        Assert.Equal(0, s[^1].BytesInFlight);
        Assert.Equal(st.BytesRetransmitted, s[^1].BytesRetransmitted);
        var integral = 0.0;
        for (var i = 1; i < s.Count; i++) integral += s[i].AckedRateBps * (s[i].TimeNs - s[i - 1].TimeNs) / 8e9;
        Assert.Equal(Bytes, integral, 1e-3 * Bytes);
        Assert.True(st.BytesRetransmitted > 0 && st.FastRecoveries > 0);

        // SRTT is at least the path's round trip (40 ms of propagation) once measured.
        Assert.All(s.Where(x => x.SmoothedRttNs >= 0), x => Assert.True(x.SmoothedRttNs >= 40 * Ms, $"srtt {x.SmoothedRttNs}"));

        // NewReno halves on each loss: across an interval that starts outside recovery and sees one new recovery (and no
        // timeout), cwnd ends near half of what it was. NewReno halves FlightSize (RFC 5681 eq. 4), which SACKed data left
        // over from a previous recovery can make larger than cwnd, so intervals starting with more outstanding than cwnd
        // are left out.
        var halvings = 0;
        for (var i = 1; i < s.Count; i++)
        {
            var (a, b) = (s[i - 1], s[i]);
            if (a.InRecovery || a.BytesOutstanding > a.CongestionWindow + 1448 || b.FastRecoveries != a.FastRecoveries + 1 || b.Timeouts != a.Timeouts || a.SlowStartThreshold == long.MaxValue || a.CongestionWindow < 8 * 1448) continue;
            var ratio = (double)b.CongestionWindow / a.CongestionWindow;
            output.WriteLine($"{a.TimeNs / 1e9:F2}s cwnd {a.CongestionWindow} -> {b.CongestionWindow} ({ratio:F2}), ssthresh {b.SlowStartThreshold}");
            Assert.InRange(ratio, 0.35, 0.6);
            Assert.True(b.SlowStartThreshold <= 0.6 * a.CongestionWindow);
            halvings++;
        }
        Assert.True(halvings >= 2, $"only {halvings} losses seen in congestion avoidance");

        // The receiver's series: what it received, at no more than the link's rate.
        Assert.True(receiver.Finished);
        Assert.Equal(Bytes, receiver.Samples[^1].BytesReceived);
        Assert.All(receiver.Samples, x => Assert.True(x.BytesReceived * 8.0 <= 20e6 * x.TimeNs / 1e9));
        Assert.False(sampler.IsRunning);
    }

    [Fact]
    public void Csv_has_a_row_per_sample_in_invariant_culture()
    {
        var (_, sampler, sender, receiverOf) = Run(3);
        var lines = sampler.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("time_s,flow,state,bytes_acked,bytes_received,cwnd,ssthresh,srtt_ms,bytes_retransmitted,in_flight,", lines[0]);
        Assert.Equal(1 + sender.Samples.Count + receiverOf()!.Samples.Count, lines.Length);
        var columns = lines[0].Split(',').Length;
        Assert.All(lines, l => Assert.Equal(columns, l.TrimEnd('\r').Split(',').Length));
        var last = lines.Last(l => l.Contains(",sender,")).TrimEnd('\r').Split(',');
        Assert.Equal(Bytes.ToString(CultureInfo.InvariantCulture), last[3]);
        Assert.Equal(sender.Samples[^1].TimeNs / 1e9, double.Parse(last[0], CultureInfo.InvariantCulture), 1e-9);
    }

    [Fact]
    public void Works_on_any_timer_service_and_stops_when_asked()
    {
        var t = new SimTransfer(4, new LinkParameters(RateBps: 10e6, Delay: TimeSpan.FromMilliseconds(5)), 10_000_000);
        var sampler = new TcpTraceSampler(new SimTimerService(t.Net.Scheduler), 50 * Ms);
        var series = sampler.Add(t.Source.Socket);
        t.Net.RunFor(1_000 * Ms);
        sampler.Stop();
        Assert.False(sampler.IsRunning);
        Assert.Equal(21, series.Samples.Count); // 0, 50, ..., 1000 ms (the Stop at 1000 ms coincides with the last tick)
        Assert.False(series.Finished);
        Assert.Equal(t.Source.Socket.Key.ToString(), series.Name);
        t.Net.RunFor(1_000 * Ms);
        Assert.Equal(21, series.Samples.Count);
    }
}
