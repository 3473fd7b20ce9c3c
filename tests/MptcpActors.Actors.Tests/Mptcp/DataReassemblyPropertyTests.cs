using CsCheck;
using MptcpActors.Actors.Mptcp;

namespace MptcpActors.Actors.Tests.Mptcp;

/// <summary>
/// DataReassembly as the connection sees it: one data stream cut into overlapping DSN ranges, delivered over several
/// subflows in any order, some twice (reinjection), some below what was already read, some beyond the window, with the
/// application reading in between. The initial DSN is often just below 2^64, so the stream wraps.
/// </summary>
public class DataReassemblyPropertyTests
{
    public readonly record struct Op(int Kind, int A, int B, int Version)
    {
        public override string ToString() => Kind switch
        {
            < 5 => $"Insert(+{A},{B},v{Version})",
            5 => $"Read({A})",
            6 => $"Peek({A})",
            _ => $"Consume({A})",
        };
    }

    /// <summary>Byte of version v of the stream at position p: a misplaced byte, or a later copy overwriting an earlier one, shows.</summary>
    private static byte StreamByte(long p, int version = 0) => (byte)(((ulong)(p + 1) * 0x9E3779B97F4A7C15UL >> 56) + (ulong)version * 77);

    /// <summary>Initial DSNs anywhere, and often within a few hundred bytes of 2^64 so the stream crosses it.</summary>
    private static readonly Gen<ulong> InitialDsn = Gen.OneOf(Gen.ULong, Gen.Int[0, 600].Select(k => ulong.MaxValue - 300 + (ulong)k));

    [Fact]
    public void Bytes_read_are_the_stream_whatever_the_chunking_order_and_duplicates() =>
        Gen.Byte.Array[0, 400].SelectMany(stream => Gen.Select(Gen.Int[1, 64], InitialDsn, Gen.Const(stream),
                Gen.Select(Gen.Int[-12, stream.Length], Gen.Int[0, 48], Gen.Int[0, 64]).Array[0, 120]))
            .Sample((capacity, dsn, stream, chunks) => Deliver(capacity, dsn, stream, chunks), iter: 2000,
                print: t => $"capacity {t.Item1}, initial DSN {t.Item2}, {t.Item3.Length} bytes: {string.Join(", ", t.Item4)}");

    /// <summary>
    /// The chunk's bytes, cut at the stream's end; bytes before the stream's start are garbage: they lie below the
    /// initial DSN and must never be delivered.
    /// </summary>
    private static byte[] ChunkBytes(byte[] stream, int start, int length)
    {
        var end = Math.Min(start + length, stream.Length);
        var data = new byte[Math.Max(0, end - start)];
        for (var i = 0; i < data.Length; i++) data[i] = start + i >= 0 ? stream[start + i] : (byte)0xEE;
        return data;
    }

    /// <summary>Each chunk is (start relative to the initial DSN, length, bytes to read afterwards).</summary>
    private static void Deliver(int capacity, ulong initialDsn, byte[] stream, (int Start, int Length, int Read)[] chunks)
    {
        var r = new DataReassembly(initialDsn, capacity);
        var read = new List<byte>();
        var buffer = new byte[64];
        foreach (var (start, length, toRead) in chunks)
        {
            var data = ChunkBytes(stream, start, length);
            var dsn = initialDsn + (ulong)(long)start;
            var beyond = (long)(dsn - r.WindowEnd) >= 0;
            var (readable, ooo) = (r.Readable, r.OutOfOrderBytes);

            r.Insert(dsn, data);

            if (beyond) Assert.Equal((readable, ooo), (r.Readable, r.OutOfOrderBytes));
            Assert.InRange(r.Buffered, 0, capacity);
            var n = r.Read(buffer.AsSpan(0, Math.Min(toRead, buffer.Length)));
            read.AddRange(buffer.AsSpan(0, n));
        }

        // The missing rest, in order, one window at a time.
        while (read.Count < stream.Length)
        {
            var next = (int)(r.NextDsn - initialDsn);
            var end = Math.Min(stream.Length, read.Count + capacity);
            r.Insert(r.NextDsn, stream.AsSpan(next, end - next));
            var n = r.Read(buffer);
            Assert.True(n > 0, "no progress with the window open");
            read.AddRange(buffer.AsSpan(0, n));
        }
        Assert.Equal(stream, read.ToArray());
        Assert.Equal(0, r.OutOfOrderBytes);
    }

    /// <summary>
    /// The connection's shortcut: a chunk that <see cref="DataReassembly.TryReadThrough"/> accepts goes to the
    /// application as it is. Against a twin that inserts every chunk, the two stay at the same in-order edge and held
    /// bytes after every chunk, and the application gets the same bytes; the shortcut is taken (the generator is not
    /// only duplicates and holes).
    /// </summary>
    [Fact]
    public void Reading_through_gives_what_insert_then_read_gives()
    {
        var taken = 0;
        var takenPastHeld = 0;
        Gen.Byte.Array[0, 400].SelectMany(stream => Gen.Select(Gen.Int[1, 64], InitialDsn, Gen.Const(stream),
                Gen.Select(Gen.Int[-12, stream.Length], Gen.Int[0, 48], Gen.Int[0, 64]).Array[0, 120]))
            .Sample((capacity, dsn, stream, chunks) => ReadThrough(capacity, dsn, stream, chunks, ref taken, ref takenPastHeld), iter: 2000,
                print: t => $"capacity {t.Item1}, initial DSN {t.Item2}, {t.Item3.Length} bytes: {string.Join(", ", t.Item4)}");
        Assert.True(taken > 200 && takenPastHeld > 10, $"the shortcut was taken {taken} times, {takenPastHeld} with bytes held");
    }

    [Fact]
    public void Reading_through_is_taken_for_in_order_chunks_with_bytes_held_beyond()
    {
        var r = new DataReassembly(1000, 64);
        var held = Enumerable.Range(1, 10).Select(i => (byte)i).ToArray();
        Assert.Equal(0, r.Insert(1010, held));          // held beyond a hole of 10
        Assert.False(r.TryReadThrough(1000, 11));       // would overlap the held bytes
        Assert.False(r.TryReadThrough(1001, 9));        // not the next in order
        Assert.True(r.TryReadThrough(1000, 10));        // fills the hole exactly: the held bytes become readable
        Assert.Equal(10, r.Readable);
        Assert.Equal(0, r.OutOfOrderBytes);
        Assert.Equal(1010UL, r.ReadDsn);
        Assert.False(r.TryReadThrough(1020, 5));        // bytes are readable: they go first
        var read = new byte[64];
        Assert.Equal(10, r.Read(read));
        Assert.Equal(held, read[..10]);
        Assert.True(r.TryReadThrough(1020, 5));
        Assert.Equal(1025UL, r.NextDsn);
    }

    private static void ReadThrough(int capacity, ulong initialDsn, byte[] stream, (int Start, int Length, int Read)[] chunks, ref int taken,
        ref int takenPastHeld)
    {
        var through = new DataReassembly(initialDsn, capacity);
        var twin = new DataReassembly(initialDsn, capacity);
        var gotThrough = new List<byte>();
        var gotTwin = new List<byte>();
        var buffer = new byte[64];
        foreach (var (start, length, toRead) in chunks)
        {
            var data = ChunkBytes(stream, start, length);
            var dsn = initialDsn + (ulong)(long)start;

            twin.Insert(dsn, data);
            var held = through.OutOfOrderBytes > 0;
            if (through.TryReadThrough(dsn, data.Length))
            {
                if (held) Interlocked.Increment(ref takenPastHeld);
                // The application takes the chunk at once: the twin reads it from the ring.
                gotThrough.AddRange(data);
                var read = new byte[data.Length];
                Assert.Equal(data.Length, twin.Read(read));
                gotTwin.AddRange(read);
                Interlocked.Increment(ref taken);
            }
            else through.Insert(dsn, data);

            Assert.Equal(twin.ReadDsn, through.ReadDsn);
            Assert.Equal(twin.NextDsn, through.NextDsn);
            Assert.Equal(twin.OutOfOrderBytes, through.OutOfOrderBytes);
            gotThrough.AddRange(buffer.AsSpan(0, through.Read(buffer.AsSpan(0, Math.Min(toRead, buffer.Length)))));
            gotTwin.AddRange(buffer.AsSpan(0, twin.Read(buffer.AsSpan(0, Math.Min(toRead, buffer.Length)))));
        }
        foreach (var (r, got) in new[] { (through, gotThrough), (twin, gotTwin) })
            while (r.Readable > 0) got.AddRange(buffer.AsSpan(0, r.Read(buffer)));
        Assert.Equal(gotTwin, gotThrough);
        Assert.Equal(stream.AsSpan(0, gotTwin.Count).ToArray(), gotTwin.ToArray());
    }

    private static Gen<Op> OpGen(int capacity) =>
        Gen.Select(Gen.Int[0, 7], Gen.Int[-capacity - 8, 2 * capacity + 8], Gen.Int[0, capacity + 8], Gen.Int[0, 3])
            .Select((k, a, b, v) => new Op(k, a, b, v));

    [Fact]
    public void Buffer_matches_a_model_where_the_first_copy_of_a_byte_wins() =>
        Gen.Int[1, 48].SelectMany(c => Gen.Select(Gen.Const(c), InitialDsn, OpGen(c).Array[1, 150]))
            .Sample((capacity, dsn, ops) => RunModel(capacity, dsn, ops), iter: 3000,
                print: t => $"capacity {t.Item1}, initial DSN {t.Item2}: {string.Join(", ", t.Item3)}");

    private static int Mod(int a, int m) => (a % m + m) % m;

    private static void RunModel(int capacity, ulong initialDsn, Op[] ops)
    {
        var r = new DataReassembly(initialDsn, capacity);
        // Stream positions relative to the initial DSN: what the application has read up to, what is in order, and
        // the bytes held beyond a hole (the first version to arrive at each position).
        long readPos = 0, nextPos = 0;
        var inOrder = new Queue<byte>();
        var held = new Dictionary<long, byte>();
        for (var step = 0; step < ops.Length; step++)
        {
            var op = ops[step];
            switch (op.Kind)
            {
                case < 5:
                {
                    var start = nextPos + op.A;
                    var data = new byte[op.B];
                    for (var i = 0; i < data.Length; i++) data[i] = StreamByte(start + i, op.Version);
                    var advanced = r.Insert(initialDsn + (ulong)start, data);

                    for (var p = Math.Max(start, nextPos); p < Math.Min(start + data.Length, readPos + capacity); p++)
                        held.TryAdd(p, data[p - start]);
                    var before = nextPos;
                    while (held.Remove(nextPos, out var b))
                    {
                        inOrder.Enqueue(b);
                        nextPos++;
                    }
                    Assert.Equal(nextPos - before, advanced);
                    break;
                }
                case 5:
                {
                    var destination = new byte[Mod(op.A, capacity + 4)];
                    var n = r.Read(destination);
                    Assert.Equal(Math.Min(destination.Length, inOrder.Count), n);
                    for (var i = 0; i < n; i++) Assert.Equal(inOrder.Dequeue(), destination[i]);
                    readPos += n;
                    break;
                }
                case 6:
                {
                    var destination = new byte[Math.Min(Mod(op.A, capacity + 4), inOrder.Count)];
                    r.Peek(destination);
                    Assert.Equal(inOrder.Take(destination.Length).ToArray(), destination);
                    break;
                }
                default:
                {
                    var n = Mod(op.A, inOrder.Count + 1);
                    r.Consume(n);
                    for (var i = 0; i < n; i++) inOrder.Dequeue();
                    readPos += n;
                    break;
                }
            }

            Assert.Equal(initialDsn + (ulong)readPos, r.ReadDsn);
            Assert.Equal(initialDsn + (ulong)nextPos, r.NextDsn);
            Assert.Equal(initialDsn + (ulong)(readPos + capacity), r.WindowEnd);
            Assert.Equal(inOrder.Count, r.Readable);
            Assert.Equal(held.Count, r.OutOfOrderBytes);
            Assert.InRange(r.Buffered, 0, capacity);
        }
    }

    /// <summary>
    /// The window far larger than what the ring allocates (16 KiB first, doubling with what is held; given back when all
    /// is read): chunks up to several ring sizes long anywhere in the window, their ends often on a power of two from
    /// the read position (where a fresh or given-back ring has its slot 0, and where data filling the whole ring ends),
    /// reads of everything or a part. A model of held ranges says what must be in order; every byte read must be the
    /// stream's at its position.
    /// </summary>
    [Fact]
    public void A_window_larger_than_the_ring_matches_a_model_of_held_ranges() =>
        Gen.Select(Gen.Int[16_385, 300_000], InitialDsn,
                Gen.Select(Gen.Int[0, 5], Gen.Int[-3000, 140_000], Gen.Int[0, 70_000], Gen.Int[10, 18]).Array[1, 50])
            .Sample((capacity, dsn, ops) => RunRanges(capacity, dsn, ops), iter: 200,
                print: t => $"capacity {t.Item1}, initial DSN {t.Item2}: {string.Join(", ", t.Item3)}");

    /// <summary>Kinds 0–1: a chunk at A past NextDsn, B long; 2–3: a chunk ending 2^C past the read position, B long; 4: read all; 5: read B.</summary>
    private static void RunRanges(int capacity, ulong initialDsn, (int Kind, int A, int B, int C)[] ops)
    {
        var r = new DataReassembly(initialDsn, capacity);
        long readPos = 0, nextPos = 0;
        var held = new List<(long Start, long End)>(); // beyond nextPos, sorted, disjoint, not touching
        var buffer = new byte[capacity];
        foreach (var (kind, a, b, c) in ops)
        {
            if (kind >= 4)
            {
                var n = r.Read(buffer.AsSpan(0, kind == 4 ? capacity : Math.Min(b, capacity)));
                Assert.Equal(Math.Min(kind == 4 ? capacity : Math.Min(b, capacity), nextPos - readPos), n);
                for (var i = 0; i < n; i++)
                    if (buffer[i] != StreamByte(readPos + i)) Assert.Fail($"byte {readPos + i} read wrong");
                readPos += n;
            }
            else
            {
                var start = kind < 2 ? nextPos + a : readPos + (1L << c) - b;
                var data = new byte[b];
                for (var i = 0; i < b; i++) data[i] = StreamByte(start + i);
                var advanced = r.Insert(initialDsn + (ulong)start, data);

                var from = Math.Max(start, nextPos);
                var to = Math.Min(start + b, readPos + capacity);
                if (from < to) AddRange(held, from, to);
                var before = nextPos;
                if (held.Count > 0 && held[0].Start == nextPos)
                {
                    nextPos = held[0].End;
                    held.RemoveAt(0);
                }
                Assert.Equal(nextPos - before, advanced);
            }
            Assert.Equal(initialDsn + (ulong)readPos, r.ReadDsn);
            Assert.Equal(initialDsn + (ulong)nextPos, r.NextDsn);
            Assert.Equal(held.Sum(h => h.End - h.Start), r.OutOfOrderBytes);
        }
    }

    private static void AddRange(List<(long Start, long End)> ranges, long start, long end)
    {
        var i = 0;
        while (i < ranges.Count && ranges[i].End < start) i++;
        while (i < ranges.Count && ranges[i].Start <= end)
        {
            start = Math.Min(start, ranges[i].Start);
            end = Math.Max(end, ranges[i].End);
            ranges.RemoveAt(i);
        }
        ranges.Insert(i, (start, end));
    }
}
