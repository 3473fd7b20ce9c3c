using CsCheck;
using MptcpActors.Actors.Mptcp;

namespace MptcpActors.Actors.Tests.Mptcp;

/// <summary>BitRing against a bool per slot; lengths around word sizes so runs and fills cross words and the wrap.</summary>
public class BitRingPropertyTests
{
    [Fact]
    public void Ring_matches_an_array_of_bools() =>
        Gen.OneOf(Gen.Int[1, 200], Gen.OneOfConst(63, 64, 65, 128, 129))
            .SelectMany(n => Gen.Select(Gen.Const(n), Gen.Select(Gen.Bool, Gen.Int[0, n - 1], Gen.Int[0, n], Gen.Bool).Array[1, 60]))
            .Sample((length, ops) => Run(length, ops), iter: 3000, print: t => $"length {t.Item1}: {string.Join(", ", t.Item2)}");

    /// <summary>
    /// A run is asked for with a limit larger than the ring (the reassembly asks up to its window, the ring is what is
    /// allocated): it ends where it started at the latest, never reading on past the last slot (into words a pooled
    /// array has beyond the ring's, or beyond the array).
    /// </summary>
    [Fact]
    public void A_run_stops_after_one_turn_of_the_ring() =>
        Gen.OneOf(Gen.Int[1, 200], Gen.OneOfConst(63, 64, 65, 128, 129, 16_384))
            .SelectMany(n => Gen.Select(Gen.Const(n), Gen.Int[0, n - 1], Gen.Int[0, 3 * n + 64], Gen.Bool, Gen.Int[0, n]))
            .Sample((length, start, max, value, holes) =>
            {
                // Every slot holds value but for up to one slot of the other (a hole), anywhere.
                var ring = new BitRing(length);
                ring.Fill(0, length, value);
                var hole = holes < length ? holes : -1;
                if (hole >= 0) ring.Fill(hole, 1, !value);
                var expected = 0;
                while (expected < Math.Min(max, length) && (start + expected) % length != hole) expected++;
                Assert.Equal(expected, ring.Run(start, max, value));
            }, iter: 3000);

    private static void Run(int length, (bool Fill, int Start, int Count, bool Value)[] ops)
    {
        var ring = new BitRing(length);
        var model = new bool[length];
        foreach (var (fill, start, count, value) in ops)
        {
            if (fill)
            {
                ring.Fill(start, count, value);
                for (var i = 0; i < count; i++) model[(start + i) % length] = value;
            }
            var expected = 0;
            while (expected < count && model[(start + expected) % length] == value) expected++;
            Assert.Equal(expected, ring.Run(start, count, value));
        }
    }
}
