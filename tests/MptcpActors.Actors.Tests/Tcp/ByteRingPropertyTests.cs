using CsCheck;
using MptcpActors.Actors.Tcp;

namespace MptcpActors.Actors.Tests.Tcp;

/// <summary>
/// ByteRing against a model: the ring's capacity seen from its head is a plain array that Consume rotates. Bytes
/// written past Count (out-of-order data the receive buffer parks there) must survive every Consume and Read, even
/// one that empties the ring: a ring that reset its head when empty moved them.
/// </summary>
public class ByteRingPropertyTests
{
    /// <summary>One operation; A and B are raw draws that the runner maps onto the current state (so every op is valid).</summary>
    public readonly record struct Op(int Kind, int A, int B)
    {
        public override string ToString() => Kind switch
        {
            0 => $"Append({B})",
            1 => $"Write(@{A},{B})",
            2 => $"Extend({A})",
            3 => $"Consume({A})",
            4 => $"Read({A})",
            _ => $"Peek(@{A},{B})",
        };
    }

    private static readonly Gen<Op> OpGen = Gen.Select(Gen.Int[0, 5], Gen.Int[0, 1 << 20], Gen.Int[0, 1 << 20]).Select((k, a, b) => new Op(k, a, b));

    [Fact]
    public void Ring_matches_a_rotating_array_model() =>
        Gen.Select(Gen.Int[1, 40], OpGen.Array[1, 120]).Sample((capacity, ops) => Run(capacity, ops), iter: 3000,
            print: t => $"capacity {t.Item1}: {string.Join(", ", t.Item2)}");

    private static void Run(int capacity, Op[] ops)
    {
        var ring = new ByteRing(capacity);
        // The model: logical[i] is the byte i positions after the head (what Peek(i, 1) must return).
        var logical = new byte[capacity];
        var count = 0;
        byte next = 1;
        byte[] Fresh(int n)
        {
            var d = new byte[n];
            for (var i = 0; i < n; i++) d[i] = next++;
            return d;
        }
        void Rotate(int n)
        {
            var copy = (byte[])logical.Clone();
            for (var i = 0; i < capacity; i++) logical[i] = copy[(i + n) % capacity];
        }

        foreach (var op in ops)
        {
            switch (op.Kind)
            {
                case 0:
                {
                    var data = Fresh(op.B % (capacity + 5));
                    var taken = ring.Append(data);
                    var expected = Math.Min(data.Length, capacity - count);
                    Assert.Equal(expected, taken);
                    data.AsSpan(0, taken).CopyTo(logical.AsSpan(count));
                    count += taken;
                    break;
                }
                case 1:
                {
                    var offset = op.A % (capacity + 1);
                    var data = Fresh(op.B % (capacity - offset + 1));
                    ring.Write(offset, data);
                    data.CopyTo(logical.AsSpan(offset));
                    break;
                }
                case 2:
                {
                    var n = op.A % (capacity - count + 1);
                    ring.Extend(n);
                    count += n;
                    break;
                }
                case 3:
                {
                    var n = op.A % (count + 1);
                    ring.Consume(n);
                    Rotate(n);
                    count -= n;
                    break;
                }
                case 4:
                {
                    var destination = new byte[op.A % (capacity + 5)];
                    var n = ring.Read(destination);
                    Assert.Equal(Math.Min(destination.Length, count), n);
                    Assert.Equal(logical.AsSpan(0, n).ToArray(), destination.AsSpan(0, n).ToArray());
                    Rotate(n);
                    count -= n;
                    break;
                }
                default:
                {
                    var offset = op.A % (capacity + 1);
                    var destination = new byte[op.B % (capacity - offset + 1)];
                    ring.Peek(offset, destination);
                    Assert.Equal(logical.AsSpan(offset, destination.Length).ToArray(), destination);
                    break;
                }
            }
            Assert.Equal(count, ring.Count);
            Assert.Equal(capacity - count, ring.Free);
            // The whole capacity, as seen from the head, including bytes parked beyond Count.
            var all = new byte[capacity];
            ring.Peek(0, all);
            Assert.Equal(logical, all);
        }
    }

    [Fact]
    public void Bytes_parked_beyond_the_content_survive_the_ring_running_empty()
    {
        var ring = new ByteRing(8);
        ring.Append([1, 2, 3]);
        ring.Write(5, [9, 9]); // out of order, 2 bytes after a hole
        Assert.Equal(3, ring.Read(new byte[3])); // empty now
        ring.Write(0, [7, 7]);
        ring.Extend(4);
        var read = new byte[4];
        Assert.Equal(4, ring.Read(read));
        Assert.Equal(new byte[] { 7, 7, 9, 9 }, read);
    }
}
