using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Wire.Tcp;
using static MptcpActors.Transport.Wire.Tcp.TcpFlags;

namespace MptcpActors.Actors.Tests.Tcp;

/// <summary>
/// With a sink that offloads segmentation, runs of full segments leave as one super-segment whose pieces are exactly
/// the segments the core would have sent one by one; the scoreboard still holds wire segments, so a lost piece is
/// resent alone, and the FIN rides an ordinary last segment.
/// </summary>
public class SegmentationOffloadTests
{
    private const uint Iss = 1000;
    private const uint PeerIss = 5000;
    private const int Mss = 1460;
    private static readonly TcpCoreOptions Options = new() { Mss = Mss, SendBufferSize = 256 * 1024, ReceiveBufferSize = 64 * 1024, DelayedAck = false };

    private static (TcpConnection C, RecordingSink S) Established(int offload = 65_000)
    {
        var s = new RecordingSink { MaxOffloadSegmentLength = offload };
        var c = TcpConnection.Connect(Options, s, s, null, 40000, 80, Iss, 0, 0);
        c.OnSegment(Seg.View(Seg.Make(PeerIss, Iss + 1, Syn | Ack, 65535, options: b => { b.Mss(Mss); b.SackPermitted(); b.Ws(7); })), 1_000_000);
        Assert.Equal(TcpState.Established, c.State);
        s.Take();
        return (c, s);
    }

    private static byte[] Pattern(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 7 + i / 251)).ToArray();

    /// <summary>The wire segments a sent list stands for: each super-segment cut at its segment size, headers repeated.</summary>
    private static List<(uint Seq, byte[] Payload, TcpFlags Flags)> OnWire(RecordingSink s)
    {
        var wire = new List<(uint, byte[], TcpFlags)>();
        for (var i = 0; i < s.Sent.Count; i++)
        {
            var seg = Seg.View(s.Sent[i]);
            var size = s.SegmentSizes[i] == 0 ? Math.Max(1, seg.Payload.Length) : s.SegmentSizes[i];
            for (var off = 0; off < Math.Max(1, seg.Payload.Length); off += size)
                wire.Add((seg.SequenceNumber + (uint)off, seg.Payload.Slice(off, Math.Min(size, seg.Payload.Length - off)).ToArray(), seg.Flags));
        }
        return wire;
    }

    [Fact]
    public void Full_segments_leave_as_one_super_segment_of_mss_pieces()
    {
        var (c, s) = Established();
        var data = Pattern(Mss * 10);
        var before = c.Statistics.SegmentsSent;
        c.Write(data, 10);
        // The initial window is ten segments: one super-segment of ten pieces, no ordinary segment.
        Assert.Single(s.Sent);
        Assert.Equal(Mss, s.SegmentSizes[0]);
        var wire = OnWire(s);
        Assert.Equal(10, wire.Count);
        Assert.All(wire, w => Assert.Equal(Mss, w.Payload.Length));
        Assert.Equal(data, wire.SelectMany(w => w.Payload).ToArray());
        Assert.Equal(Enumerable.Range(0, 10).Select(i => Iss + 1 + (uint)(i * Mss)), wire.Select(w => w.Seq));
        Assert.Equal(10, c.Statistics.SegmentsSent - before);
    }

    [Fact]
    public void A_lost_piece_is_resent_alone_and_the_transfer_completes()
    {
        var (c, s) = Established();
        c.Write(Pattern(Mss * 10), 10);
        s.Take();
        var hole = Iss + 1 + Mss;
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, hole, Ack)), 20);
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, hole, Ack, options: b => b.Sack(new SackBlock(hole + Mss, hole + Mss * 5)))), 21);
        Assert.True(c.InRecovery);
        var resent = s.Sent.FindIndex(b => Seg.Fields(b).Seq == hole);
        Assert.True(resent >= 0, "the lost piece was not resent");
        Assert.Equal((Mss, 0), (Seg.Fields(s.Sent[resent]).Len, s.SegmentSizes[resent]));
        Assert.Equal(Mss, c.Statistics.BytesRetransmitted);
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1 + Mss * 10, Ack)), 30);
        Assert.False(c.InRecovery);
        Assert.Equal(0, c.BytesInFlight);
    }

    [Fact]
    public void The_fin_rides_an_ordinary_last_segment()
    {
        var (c, s) = Established();
        // Ten segments go at once (the initial window); the last two wait, the FIN queued behind them.
        c.Write(Pattern(Mss * 12), 10);
        c.Shutdown(11);
        s.Take();
        c.OnSegment(Seg.View(Seg.Make(PeerIss + 1, Iss + 1 + Mss * 10, Ack)), 20);
        var fin = s.Sent.FindIndex(b => (Seg.Fields(b).Flags & Fin) != 0);
        Assert.True(fin >= 0, "no FIN");
        Assert.Equal((Iss + 1 + Mss * 11, Mss, 0), (Seg.Fields(s.Sent[fin]).Seq, Seg.Fields(s.Sent[fin]).Len, s.SegmentSizes[fin]));
    }

    [Fact]
    public void Without_offload_every_segment_fits_the_mss()
    {
        var (c, s) = Established(offload: 0);
        c.Write(Pattern(Mss * 10), 10);
        Assert.Equal(10, s.Sent.Count);
        Assert.All(s.Sent, b => Assert.Equal(Mss, Seg.Fields(b).Len));
        Assert.All(s.SegmentSizes, size => Assert.Equal(0, size));
    }
}
