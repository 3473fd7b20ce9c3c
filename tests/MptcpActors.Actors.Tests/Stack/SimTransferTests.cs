using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Sim;

namespace MptcpActors.Actors.Tests.Stack;

/// <summary>End to end on the simulator: byte-exact transfers in many fault mixes, deterministic per seed.</summary>
public class SimTransferTests
{
    private const long Second = 1_000_000_000;

    private static LinkParameters Path(double mbps, double delayMs, double loss = 0, double reorder = 0, int? queuePackets = null, double jitterMs = 0) =>
        new(RateBps: mbps * 1e6, Delay: TimeSpan.FromMilliseconds(delayMs), Jitter: TimeSpan.FromMilliseconds(jitterMs),
            QueueLimitPackets: queuePackets, LossProbability: loss, ReorderProbability: reorder);

    private static SimTransfer Run(ulong seed, LinkParameters p, long bytes, TcpCoreOptions? o = null, long limit = 600 * Second, LinkParameters? reverse = null)
    {
        var t = new SimTransfer(seed, p, bytes, o, reverse);
        Assert.True(t.Run(limit), $"transfer did not finish: received {t.Sink.Received} of {bytes}, client {t.Source.Socket.State}");
        Assert.Equal(bytes, t.Sink.Received);
        Assert.Equal(t.Source.Sha256, t.Sink.Sha256);
        Assert.Equal(TcpCloseReason.Closed, t.Source.Closed);
        Assert.Equal(TcpCloseReason.Closed, t.Sink.Closed);
        return t;
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(1459L)]
    [InlineData(1460L)]
    [InlineData(100_000L)]
    [InlineData(3_000_000L)]
    public void Clean_path_transfers_every_size(long bytes) => Run(1, Path(100, 5, queuePackets: 1000), bytes);

    [Theory]
    [InlineData(1UL, 0.01)]
    [InlineData(2UL, 0.03)]
    [InlineData(3UL, 0.10)]
    public void Lossy_path_still_delivers_exactly(ulong seed, double loss) => Run(seed, Path(20, 10, loss, queuePackets: 200), 500_000);

    [Fact]
    public void Reordering_and_jitter_are_survived() => Run(4, Path(50, 20, 0.01, reorder: 0.05, queuePackets: 500, jitterMs: 5), 1_000_000);

    [Theory]
    [InlineData(0.0)]
    [InlineData(300.0)]
    public void Delay_extremes(double delayMs) => Run(5, Path(10, delayMs, queuePackets: 2000), 300_000);

    [Fact]
    public void Asymmetric_rates() => Run(6, Path(50, 10, queuePackets: 500), 1_000_000, reverse: Path(1, 30, queuePackets: 100));

    [Fact]
    public void Tiny_buffers_and_windows() =>
        Run(7, Path(10, 10, 0.02, queuePackets: 100), 200_000, new TcpCoreOptions { SendBufferSize = 3000, ReceiveBufferSize = 2000, Mss = 536 });

    [Fact]
    public void Huge_windows_with_scaling() =>
        Run(8, Path(1000, 50, queuePackets: 20_000), 50_000_000, new TcpCoreOptions { SendBufferSize = 32 << 20, ReceiveBufferSize = 32 << 20 });

    [Fact]
    public void A_link_flap_mid_transfer_is_recovered()
    {
        var t = new SimTransfer(9, Path(20, 10, queuePackets: 200), 2_000_000);
        t.Link.At(200_000_000, l => l.Down());
        t.Link.At(3 * Second, l => l.Up());
        t.Link.At(3_500_000_000, l => l.Blackhole());
        t.Link.At(5 * Second, l => l.Up());
        Assert.True(t.Run(120 * Second));
        Assert.Equal(2_000_000, t.Sink.Received);
        Assert.Equal(t.Source.Sha256, t.Sink.Sha256);
        Assert.True(t.Source.Socket.Core.Statistics.Timeouts > 0);
    }

    [Fact]
    public void Same_seed_same_run_different_seed_different_run()
    {
        static (long, long, long) Fingerprint(ulong seed)
        {
            var t = new SimTransfer(seed, Path(20, 10, 0.03, reorder: 0.02, queuePackets: 100), 300_000);
            Assert.True(t.Run(600 * Second));
            var st = t.Source.Socket.Core.Statistics;
            return (t.Net.NowNs, st.SegmentsSent, st.BytesRetransmitted);
        }
        Assert.Equal(Fingerprint(11), Fingerprint(11));
        Assert.NotEqual(Fingerprint(11), Fingerprint(12));
    }

    [Fact]
    public void Connection_to_a_closed_port_is_refused()
    {
        var t = new SimTransfer(13, Path(10, 5), 0);
        var refused = new SimTransfer.Sender(10, 1);
        refused.Socket = t.Client.Connect(SimTransfer.ServerAddress, 81, refused);
        t.Run(10 * Second);
        Assert.Equal(TcpCloseReason.Refused, refused.Closed);
    }
}
