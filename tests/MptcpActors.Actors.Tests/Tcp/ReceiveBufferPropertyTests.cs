using CsCheck;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Actors.Tests.Tcp;

/// <summary>
/// ReceiveBuffer against a model of the byte stream: which absolute positions arrived (and when), where the
/// application has read to and where RCV.NXT is. Inserts are slices of one stream at random offsets from RCV.NXT
/// (overlapping, duplicate, below it, beyond the window); reads, peeks and consumes come in between, often emptying
/// the buffer while out-of-order data waits. After every step the readable count, the bytes read and the SACK blocks
/// (exactly the out-of-order runs, the most recently touched first, RFC 2018 4) must be the model's.
/// </summary>
public class ReceiveBufferPropertyTests
{
    public readonly record struct Op(int Kind, int A, int B)
    {
        public override string ToString() => Kind switch
        {
            < 5 => $"Insert({A},{B})",
            5 => $"Read({A})",
            6 => $"Peek({A})",
            _ => $"Consume({A})",
        };
    }

    /// <summary>The stream's byte at absolute position p: differs between nearby positions, so a misplaced byte shows.</summary>
    private static byte StreamByte(long p) => (byte)((ulong)(p + 1) * 0x9E3779B97F4A7C15UL >> 56);

    private static Gen<Op> OpGen(int capacity) =>
        Gen.Select(Gen.Int[0, 7], Gen.Int[-capacity - 8, 2 * capacity + 8], Gen.Int[0, capacity + 8]).Select((k, a, b) => new Op(k, a, b));

    [Fact]
    public void Buffer_matches_a_model_of_the_stream() =>
        Gen.Int[1, 48].SelectMany(c => Gen.Select(Gen.Const(c), Gen.UInt, OpGen(c).Array[1, 150]))
            .Sample((capacity, rcvNxtBase, ops) => Run(capacity, rcvNxtBase, ops), iter: 3000,
                print: t => $"capacity {t.Item1}, base {t.Item2}: {string.Join(", ", t.Item3)}");

    private sealed class Model(int capacity)
    {
        // Positions at or beyond RcvNxt that arrived lie in [RcvNxt, ReadPos + capacity): at most capacity of them, so
        // position p lives at p % capacity, holding the step that last covered it (-1: not arrived).
        private readonly int[] _stamp = Enumerable.Repeat(-1, capacity).ToArray();
        public long ReadPos;
        public long RcvNxt;

        public int Readable => (int)(RcvNxt - ReadPos);
        public int HeldCount { get; private set; }

        /// <summary>Takes [start, end) as far as the window reaches; returns how far RcvNxt advanced.</summary>
        public int Insert(long start, long end, int step)
        {
            start = Math.Max(start, RcvNxt);
            end = Math.Min(end, ReadPos + capacity); // the window's right edge
            for (var p = start; p < end; p++)
            {
                if (_stamp[p % capacity] < 0) HeldCount++;
                _stamp[p % capacity] = step;
            }
            var before = RcvNxt;
            while (RcvNxt < ReadPos + capacity && _stamp[RcvNxt % capacity] >= 0)
            {
                _stamp[RcvNxt % capacity] = -1;
                HeldCount--;
                RcvNxt++;
            }
            return (int)(RcvNxt - before);
        }

        /// <summary>Maximal runs of held positions, most recently touched first.</summary>
        public List<(long Start, long End)> Runs()
        {
            var runs = new List<(long Start, long End, int Stamp)>();
            for (var p = RcvNxt; p < ReadPos + capacity; p++)
            {
                var stamp = _stamp[p % capacity];
                if (stamp < 0) continue;
                if (runs.Count > 0 && runs[^1].End == p) runs[^1] = (runs[^1].Start, p + 1, Math.Max(runs[^1].Stamp, stamp));
                else runs.Add((p, p + 1, stamp));
            }
            runs.Sort((a, b) => b.Stamp.CompareTo(a.Stamp));
            var result = new List<(long Start, long End)>(runs.Count);
            foreach (var r in runs) result.Add((r.Start, r.End));
            return result;
        }
    }

    private static int Mod(int a, int m) => (a % m + m) % m;

    private static void Run(int capacity, uint rcvNxtBase, Op[] ops)
    {
        var buffer = new ReceiveBuffer(capacity);
        var model = new Model(capacity);
        var all = new SackBlock[64];
        var three = new SackBlock[3];
        for (var step = 0; step < ops.Length; step++)
        {
            var op = ops[step];
            switch (op.Kind)
            {
                case < 5:
                {
                    // offset from RcvNxt, length; the bytes are the stream's at those positions (TCP resends the same bytes).
                    var start = model.RcvNxt + op.A;
                    var data = new byte[op.B];
                    for (var i = 0; i < data.Length; i++) data[i] = StreamByte(start + i);
                    var advanced = buffer.Insert(op.A, data);
                    Assert.Equal(model.Insert(start, start + data.Length, step), advanced);
                    break;
                }
                case 5:
                {
                    var destination = new byte[Mod(op.A, capacity + 4)];
                    var n = buffer.Read(destination);
                    Assert.Equal(Math.Min(destination.Length, model.Readable), n);
                    for (var i = 0; i < n; i++)
                        if (StreamByte(model.ReadPos + i) != destination[i]) Assert.Fail($"step {step}: byte {model.ReadPos + i} read wrong");
                    model.ReadPos += n;
                    break;
                }
                case 6:
                {
                    var destination = new byte[Math.Min(Mod(op.A, capacity + 4), model.Readable)];
                    buffer.Peek(destination);
                    for (var i = 0; i < destination.Length; i++)
                        if (StreamByte(model.ReadPos + i) != destination[i]) Assert.Fail($"step {step}: byte {model.ReadPos + i} peeked wrong");
                    break;
                }
                default:
                {
                    var n = Mod(op.A, model.Readable + 1);
                    buffer.Consume(n);
                    model.ReadPos += n;
                    break;
                }
            }

            Assert.Equal(model.Readable, buffer.Readable);
            Assert.Equal(capacity - model.Readable, buffer.Window);
            Assert.Equal(model.HeldCount > 0, buffer.HasOutOfOrder);
            Assert.Equal(model.HeldCount, buffer.OutOfOrderBytes);

            var runs = model.Runs();
            var count = buffer.SackBlocks(rcvNxtBase, all);
            // What fits in an option (at most 4 blocks, 3 with timestamps) must be the most recent prefix.
            var n3 = buffer.SackBlocks(rcvNxtBase, three);
            var ok = count == runs.Count && n3 == Math.Min(3, runs.Count);
            for (var i = 0; ok && i < runs.Count; i++)
            {
                var block = new SackBlock(rcvNxtBase + (uint)(runs[i].Start - model.RcvNxt), rcvNxtBase + (uint)(runs[i].End - model.RcvNxt));
                ok = all[i] == block && (i >= 3 || three[i] == block);
            }
            if (!ok)
                Assert.Fail($"step {step}: SACK blocks [{string.Join(" ", all.Take(count))}] (first 3: [{string.Join(" ", three.Take(n3))}]), " +
                    $"expected runs [{string.Join(" ", runs.Select(r => $"{r.Start - model.RcvNxt}-{r.End - model.RcvNxt}"))}] from RCV.NXT");
        }

        // Drain: everything in order so far reads back as the stream.
        var rest = new byte[model.Readable];
        Assert.Equal(rest.Length, buffer.Read(rest));
        for (var i = 0; i < rest.Length; i++) Assert.Equal(StreamByte(model.ReadPos + i), rest[i]);
    }

    [Fact]
    public void Out_of_order_data_survives_the_buffer_being_read_empty()
    {
        // The shape of the ByteRing head-reset bug: data parked beyond a hole, the in-order part read to empty, then the hole filled.
        var b = new ReceiveBuffer(16);
        Assert.Equal(0, b.Insert(4, [5, 6, 7, 8]));
        Assert.Equal(2, b.Insert(0, [1, 2]));
        Assert.Equal(2, b.Read(new byte[8]));
        Assert.Equal(6, b.Insert(0, [3, 4]));
        var read = new byte[6];
        Assert.Equal(6, b.Read(read));
        Assert.Equal(new byte[] { 3, 4, 5, 6, 7, 8 }, read);
    }

    [Fact]
    public void Sack_blocks_put_the_block_just_touched_first()
    {
        var b = new ReceiveBuffer(100);
        b.Insert(10, new byte[5]);
        b.Insert(30, new byte[5]);
        b.Insert(50, new byte[5]);
        b.Insert(12, new byte[1]); // a duplicate inside the first block makes it the most recent (RFC 2018 4: the block holding the segment that triggered the ACK)
        Span<SackBlock> blocks = stackalloc SackBlock[4];
        var n = b.SackBlocks(1000, blocks);
        Assert.Equal(new[] { new SackBlock(1010, 1015), new SackBlock(1050, 1055), new SackBlock(1030, 1035) }, blocks[..n].ToArray());
    }
}
