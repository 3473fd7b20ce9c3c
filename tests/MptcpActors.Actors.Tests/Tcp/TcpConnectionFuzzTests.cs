using CsCheck;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Wire.Tcp;
using static MptcpActors.Transport.Wire.Tcp.TcpFlags;

namespace MptcpActors.Actors.Tests.Tcp;

/// <summary>
/// The core under random input in every state it can reach: segments with random flags, numbers near (or far from)
/// the real ones and random option bytes, mixed with a peer that acknowledges, sends data and FINs properly, and with
/// application calls and timers. Nothing throws, the send and receive state stays consistent, and every segment the
/// core sends is well formed.
/// </summary>
public class TcpConnectionFuzzTests
{
    public readonly record struct Op(int Kind, int A, int B, int C, byte[] Bytes)
    {
        public override string ToString() => $"{Kind}({A},{B},{C},[{Bytes.Length}])";
    }

    private static readonly Gen<Op> OpGen = Gen.Select(Gen.Int[0, 11], Gen.Int, Gen.Int, Gen.Int, Gen.Byte.Array[0, 48])
        .Select((k, a, b, c, bytes) => new Op(k, a, b, c, bytes));

    private static readonly TcpCoreOptions Options = new()
    {
        SendBufferSize = 16 * 1024, ReceiveBufferSize = 8 * 1024, MinRtoNs = 10_000_000, InitialRtoNs = 50_000_000, TimeWaitNs = 1_000_000_000,
        MaxRetransmissions = 4, SynRetries = 2, Keepalive = true, KeepaliveIdleNs = 2_000_000_000, KeepaliveIntervalNs = 100_000_000,
    };

    [Fact]
    public void Random_input_in_every_state_never_throws_and_output_stays_well_formed() =>
        Gen.Select(Gen.Bool, Gen.Byte[0, 3], OpGen.Array[1, 80]).Sample((active, peerOptions, ops) => Run(active, peerOptions, ops), iter: 1500,
            print: t => $"active {t.Item1}, options {t.Item2}: {string.Join(" ", t.Item3)}");

    private static byte[] Segment(uint seq, uint ack, TcpFlags flags, ushort window, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload)
    {
        var optLen = Math.Min(40, (options.Length + 3) & ~3);
        var b = new byte[20 + optLen + payload.Length];
        options[..Math.Min(options.Length, optLen)].CopyTo(b.AsSpan(20));
        payload.CopyTo(b.AsSpan(20 + optLen));
        TcpSegment.WriteHeader(b, 80, 40000, seq, ack, flags, window, optLen);
        return b;
    }

    private static void Run(bool active, byte peerOptions, Op[] ops)
    {
        var sink = new RecordingSink();
        long now = 1_000_000;
        const uint peerIss = 7_000_000;
        var ts = (peerOptions & 1) != 0;
        var sack = (peerOptions & 2) != 0;
        byte[] SynOptions() => new OptionsBuilder().Mss(1000).Ws(3).Build().Concat(ts ? new OptionsBuilder().Ts(1, 0, sack).Build() : sack ? new OptionsBuilder().SackPermitted().Build() : []).ToArray();

        TcpConnection c;
        if (active)
        {
            c = TcpConnection.Connect(Options, sink, sink, null, 40000, 80, 1000, 0, now);
            var synAck = Segment(peerIss, 1001, Syn | Ack, 65535, SynOptions(), default);
            c.OnSegment(Seg.View(synAck), now += 1_000_000);
        }
        else
        {
            c = TcpConnection.Accept(Options, sink, sink, null, 1000, 0, Seg.View(Segment(peerIss, 0, Syn, 65535, SynOptions(), default)), now)!;
            c.OnSegment(Seg.View(Segment(peerIss + 1, 1001, Ack, 65535, ts ? new OptionsBuilder().Ts(2, 0).Build() : [], default)), now += 1_000_000);
        }
        var peerTs = 10u;
        var peerNxt = peerIss + 1;
        var read = new byte[4096];

        foreach (var op in ops)
        {
            var tsOpt = ts ? new OptionsBuilder().Ts(peerTs++, 0).Build() : [];
            switch (op.Kind)
            {
                case 0 or 1 or 2:
                {
                    // Garbage: random flags, numbers near the real ones (or anywhere), random option bytes and payload.
                    var flags = (TcpFlags)(op.A & 0x1FF);
                    var seq = op.B % 5 == 0 ? (uint)op.B : c.RcvNxt + (uint)(op.B % 20_000);
                    var ack = op.C % 5 == 0 ? (uint)op.C : c.SndUna + (uint)(op.C % 20_000);
                    var optLen = op.Bytes.Length % 41;
                    c.OnSegment(Seg.View(Segment(seq, ack, flags, (ushort)op.A, op.Bytes.AsSpan(0, optLen), op.Bytes.AsSpan(optLen))), now);
                    break;
                }
                case 3:
                    // The peer acknowledges everything sent so far.
                    c.OnSegment(Seg.View(Segment(peerNxt, c.SndNxt, Ack, (ushort)(op.A & 0xFFFF), tsOpt, default)), now);
                    break;
                case 4:
                {
                    // The peer sends data in order (or the FIN).
                    var fin = op.A % 4 == 0;
                    var payload = op.Bytes;
                    c.OnSegment(Seg.View(Segment(peerNxt, c.SndNxt, Ack | (fin ? Fin : 0), 65535, tsOpt, payload)), now);
                    if (c.RcvNxt != peerNxt) peerNxt = c.RcvNxt;
                    break;
                }
                case 5:
                    c.Write(new byte[Math.Abs(op.A % 6000)], now);
                    break;
                case 6:
                    c.Read(read.AsSpan(0, Math.Abs(op.A % read.Length)), now);
                    break;
                case 7 or 8:
                    // Time passes; due timers run.
                    now += op.A % 3 == 0 && c.NextDeadlineNs != long.MaxValue ? Math.Max(0, c.NextDeadlineNs - now) : Math.Abs(op.B % 300_000_000);
                    if (now >= c.NextDeadlineNs) c.OnTimer(now);
                    break;
                case 9:
                    c.Shutdown(now);
                    break;
                case 10:
                    if (op.A % 8 == 0) c.Abort(now);
                    break;
                default:
                    // A segment the peer would send if it had lost track: an old ACK, or a SACK of data it has.
                    var blocks = new OptionsBuilder().Sack(new SackBlock(c.SndUna + (uint)Math.Abs(op.A % 5000), c.SndUna + (uint)Math.Abs(op.A % 5000) + (uint)Math.Abs(op.B % 3000))).Build();
                    c.OnSegment(Seg.View(Segment(peerNxt, c.SndUna - (uint)Math.Abs(op.C % 3), Ack, 65535, blocks, default)), now);
                    break;
            }
            now += 100_000;

            if (c.State != TcpState.Closed)
            {
                if (!SeqMath.Le(c.SndUna, c.SndNxt)) Assert.Fail($"SND.UNA {c.SndUna} beyond SND.NXT {c.SndNxt} in {c.State}");
                Assert.True(c.BytesInFlight >= 0);
                Assert.InRange(c.Readable, 0, Options.ReceiveBufferSize);
                Assert.InRange(c.SendBufferUsed, 0, Options.SendBufferSize);
            }
            foreach (var sent in sink.Take())
            {
                Assert.True(TcpSegment.TryParse(sent, out var seg));
                var reader = seg.ReadOptions();
                while (reader.MoveNext()) { }
                Assert.Equal(TcpOptionError.None, reader.Error);
                Assert.True(seg.Payload.Length <= Options.Mss);
                Assert.False(seg.Has(Syn) && seg.Payload.Length > 0);
            }
        }
    }
}
