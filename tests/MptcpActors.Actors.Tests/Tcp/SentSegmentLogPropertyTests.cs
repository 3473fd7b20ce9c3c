using CsCheck;
using MptcpActors.Actors.Tcp;

namespace MptcpActors.Actors.Tests.Tcp;

/// <summary>
/// SentSegmentLog keeps RFC 6675's pipe and its loss-search cursors incrementally; these properties recompute them
/// from scratch after every step of a random sequence of Add / AckUpTo / MarkSacked / MarkLost / MarkFirstLost /
/// FirstLostNotRetransmitted + MarkRetransmitted / EndRecovery / MarkAllLost / MarkLostRetransmissions, starting anywhere in sequence space
/// (wrap-around included) and sometimes running more than 2^31 bytes through one log.
/// </summary>
public class SentSegmentLogPropertyTests
{
    private const int MaxFlight = 1 << 30; // keep the flight well inside half the sequence space

    public readonly record struct Op(int Kind, int A, int B)
    {
        public override string ToString() => Kind switch
        {
            0 or 1 or 2 => $"Add({A},{B})",
            3 => $"AckUpTo({A},{B})",
            4 or 5 => $"MarkSacked({A},{B})",
            6 => "MarkLost",
            7 => "MarkFirstLost",
            8 => $"Retransmit({A})",
            9 => "EndRecovery",
            10 => "MarkAllLost",
            11 => $"TailProbe({A})",
            _ => $"MarkLostRetransmissions({A % 5000})",
        };
    }

    private static readonly Gen<Op> OpGen = Gen.Select(Gen.Int[0, 12], Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue]).Select((k, a, b) => new Op(k, a, b));

    // Only sending and cumulative ACKs: a long stretch of these, between two mixed ones, moves the window far
    // (past 2^31 bytes in "huge" runs) while no SACK or loss refreshes the loss-marking state.
    private static readonly Gen<Op> CleanOpGen = Gen.Select(Gen.Int[0, 3], Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue]).Select((k, a, b) => new Op(k, a, b));

    [Fact]
    public void Pipe_and_lost_search_match_a_recomputation() =>
        Gen.Select(Gen.UInt, Gen.Bool, OpGen.Array[1, 120], CleanOpGen.Array[0, 120], OpGen.Array[0, 80])
            .Select((isn, huge, a, b, c) => (isn, huge, ops: (Op[])[.. a, .. b, .. c]))
            .Sample((isn, huge, ops) => Run(isn, huge, ops), iter: 2000,
                print: t => $"isn {t.Item1}, huge {t.Item2}: {string.Join(", ", t.Item3)}");

    [Fact]
    public void Sack_loss_detection_still_works_after_the_window_moved_2_pow_31_bytes_past_an_old_recovery()
    {
        var log = new SentSegmentLog();
        uint seq = 0;
        void Send(int len)
        {
            log.Add(new SentSegment { Seq = seq, Length = len });
            seq += (uint)len;
        }
        // An early recovery: three SACKed segments above a lost one.
        for (var i = 0; i < 4; i++) Send(100);
        log.MarkSacked(100, 400);
        Assert.True(log.MarkLost());
        log.AckUpTo(seq);
        // Then 3 GB without a SACK.
        for (var i = 0; i < 12; i++)
        {
            Send(1 << 28);
            log.AckUpTo(seq);
        }
        var hole = seq;
        for (var i = 0; i < 5; i++) Send(100);
        log.MarkSacked(hole + 100, hole + 200);
        Assert.False(log.MarkLost()); // one SACKed segment above the hole: not lost yet
        Assert.Equal(-1, log.FirstLostNotRetransmitted());
        log.MarkSacked(hole + 200, hole + 400);
        Assert.True(log.MarkLost()); // three: lost (RFC 6675 IsLost)
        Assert.Equal(0, log.FirstLostNotRetransmitted());
        Assert.Equal(hole, log[0].Seq);
        Assert.Equal(RecomputedPipe(log), log.Pipe);
    }

    [Fact]
    public void A_retransmission_sent_well_before_a_segment_now_delivered_is_lost_again()
    {
        var log = new SentSegmentLog();
        for (var i = 0; i < 4; i++) log.Add(new SentSegment { Seq = (uint)(i * 100), Length = 100, SentNs = i });
        log.MarkSacked(100, 400);
        Assert.True(log.MarkLost());
        Assert.Equal(0, log.FirstLostNotRetransmitted());
        log.MarkRetransmitted(0, 10);
        Assert.Equal(-1, log.FirstLostNotRetransmitted());
        // New data after the retransmission, delivered 15 ns after it was sent: not yet beyond a 20 ns reordering window.
        log.Add(new SentSegment { Seq = 400, Length = 100, SentNs = 25 });
        log.MarkSacked(400, 500);
        Assert.False(log.MarkLostRetransmissions(20));
        Assert.Equal(-1, log.FirstLostNotRetransmitted());
        // Beyond a 10 ns one: the retransmission was lost, and NextSeg offers it again.
        Assert.True(log.MarkLostRetransmissions(10));
        Assert.Equal(0, log.FirstLostNotRetransmitted());
        Assert.Equal(RecomputedPipe(log), log.Pipe);
    }

    [Fact]
    public void A_delivered_retransmission_says_nothing_of_another_retransmission()
    {
        var log = new SentSegmentLog();
        for (var i = 0; i < 5; i++) log.Add(new SentSegment { Seq = (uint)(i * 100), Length = 100, SentNs = i });
        log.MarkSacked(200, 500);
        Assert.True(log.MarkLost());
        log.MarkRetransmitted(log.FirstLostNotRetransmitted(), 10);
        log.MarkRetransmitted(log.FirstLostNotRetransmitted(), 50);
        // The second retransmission's SACK may be for its first transmission: no RACK time to judge the first by.
        log.MarkSacked(100, 200);
        Assert.False(log.MarkLostRetransmissions(0));
        Assert.Equal(-1, log.FirstLostNotRetransmitted());
    }

    private static long RecomputedPipe(SentSegmentLog log)
    {
        long pipe = 0;
        for (var i = 0; i < log.Count; i++) pipe += log[i].PipeShare;
        return pipe;
    }

    private static int LinearFirstLost(SentSegmentLog log)
    {
        for (var i = 0; i < log.Count; i++)
            if (log[i].Lost && !log[i].Sacked && !log[i].RetransmittedInRecovery) return i;
        return -1;
    }

    private static int SackedAbove(SentSegmentLog log, int i)
    {
        var n = 0;
        for (var j = i + 1; j < log.Count; j++)
            if (log[j].Sacked) n++;
        return n;
    }

    private static void Run(uint isn, bool huge, Op[] ops)
    {
        var log = new SentSegmentLog();
        var model = new List<(uint Seq, int Length, bool Fin)>();
        var next = isn; // SND.NXT
        var una = isn;
        var finSent = false;
        var cutSacked = false; // a partial ACK trimmed a SACKed segment (loss marking may then lag, which is harmless)
        long now = 0;

        foreach (var op in ops)
        {
            now += 1000;
            switch (op.Kind)
            {
                case 0 or 1 or 2:
                {
                    if (finSent) break;
                    // Mostly MSS-sized; in "huge" runs some segments are tens of MB so that one run crosses 2^31 bytes.
                    var len = huge && op.B % 2 == 0 ? 1 + op.A % (256 << 20) : op.A % 1461;
                    var fin = op.B % 53 == 0;
                    if (len == 0 && !fin) len = 1;
                    if ((long)SeqMath.Distance(una, next) + len + 1 > MaxFlight) break;
                    log.Add(new SentSegment { Seq = next, Length = len, SentNs = now, Fin = fin });
                    model.Add((next, len, fin));
                    next += (uint)len + (fin ? 1u : 0);
                    finSent = fin;
                    break;
                }
                case 3:
                {
                    if (log.Count == 0) break;
                    // Mostly at a segment boundary, sometimes inside one (a partial ACK).
                    var i = op.A % log.Count;
                    var ack = op.B % 3 == 0 ? log[i].Seq + (uint)(op.B % Math.Max(1, log[i].Length)) : log[i].End;
                    if (SeqMath.Lt(log[0].Seq, ack) && SeqMath.Lt(ack, log[0].End) && log[0].Sacked) cutSacked = true;
                    for (var j = 0; j < log.Count && SeqMath.Lt(log[j].Seq, ack); j++)
                        if (log[j].Sacked && SeqMath.Gt(log[j].End, ack)) cutSacked = true;
                    log.AckUpTo(ack);
                    una = SeqMath.Max(una, ack);
                    model.RemoveAll(s => SeqMath.Le(s.Seq + (uint)s.Length + (s.Fin ? 1u : 0), ack));
                    if (model.Count > 0 && SeqMath.Lt(model[0].Seq, ack))
                        model[0] = (ack, model[0].Length - (int)(ack - model[0].Seq), model[0].Fin);
                    break;
                }
                case 4 or 5:
                {
                    if (log.Count == 0) break;
                    // A block over whole segments i..j, or with ragged edges.
                    var i = op.A % log.Count;
                    var j = i + op.B % Math.Min(4, log.Count - i);
                    var left = log[i].Seq + (op.Kind == 5 ? (uint)(op.A % 700) : 0);
                    var right = log[j].End - (op.Kind == 5 ? (uint)(op.B % 700) : 0);
                    if (!SeqMath.Lt(left, right)) break;
                    long expected = 0;
                    for (var k = 0; k < log.Count; k++)
                    {
                        var s = log[k];
                        if (!s.Sacked && SeqMath.Le(left, s.Seq) && SeqMath.Le(s.End, right)) expected += s.Length;
                    }
                    Assert.Equal(expected, log.MarkSacked(left, right));
                    for (var k = 0; k < log.Count; k++)
                        if (SeqMath.Le(left, log[k].Seq) && SeqMath.Le(log[k].End, right)) Assert.True(log[k].Sacked);
                    break;
                }
                case 6:
                {
                    var wasLost = new bool[log.Count];
                    for (var k = 0; k < log.Count; k++) wasLost[k] = log[k].Lost;
                    log.MarkLost();
                    for (var k = 0; k < log.Count; k++)
                    {
                        // Sound: RFC 6675 IsLost, DupThresh SACKed segments above it.
                        if (log[k].Lost && !wasLost[k])
                            if (SackedAbove(log, k) < SentSegmentLog.DupThresh) Assert.Fail($"segment {k} marked lost with {SackedAbove(log, k)} SACKed above");
                        // Complete for segments never retransmitted.
                        if (!cutSacked && !log[k].Sacked && !log[k].Retransmitted && SackedAbove(log, k) >= SentSegmentLog.DupThresh)
                            if (!log[k].Lost) Assert.Fail($"segment {k} has {SackedAbove(log, k)} SACKed above but is not lost");
                    }
                    break;
                }
                case 7:
                    log.MarkFirstLost();
                    break;
                case 8:
                {
                    var first = log.FirstLostNotRetransmitted();
                    Assert.Equal(LinearFirstLost(log), first);
                    // Retransmit what NextSeg picked, or now and then any segment (a TLP-like resend).
                    var i = op.A % 3 == 0 && log.Count > 0 ? op.A % log.Count : first;
                    if (i >= 0) log.MarkRetransmitted(i, now);
                    break;
                }
                case 9:
                    log.EndRecovery();
                    break;
                case 10:
                    log.MarkAllLost();
                    break;
                case 12:
                {
                    var was = new SentSegment[log.Count];
                    for (var k = 0; k < log.Count; k++) was[k] = log[k];
                    log.MarkLostRetransmissions(op.A % 5000);
                    // Sound: only retransmissions of this recovery not SACKed become lost again, and nothing else changes.
                    for (var k = 0; k < log.Count; k++)
                        if (log[k].Lost && !was[k].Lost)
                            Assert.True(was[k].RetransmittedInRecovery && !was[k].Sacked, $"segment {k} newly lost without a retransmission in flight");
                        else
                            Assert.Equal(was[k], log[k]);
                    break;
                }
                default:
                {
                    if (log.Count == 0) break;
                    ref var s = ref log[log.Count - 1]; // what the core's tail loss probe does to the last segment
                    s.Retransmitted = true;
                    s.SentNs = now;
                    break;
                }
            }

            Assert.Equal(RecomputedPipe(log), log.Pipe);
            Assert.Equal(model.Count, log.Count);
            for (var k = 0; k < model.Count; k++)
                Assert.Equal(model[k], (log[k].Seq, log[k].Length, log[k].Fin));
            Assert.True(log.Pipe >= 0);
        }
        Assert.Equal(LinearFirstLost(log), log.FirstLostNotRetransmitted());
    }
}
