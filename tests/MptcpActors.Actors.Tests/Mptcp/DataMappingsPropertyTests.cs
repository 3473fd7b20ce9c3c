using CsCheck;
using MptcpActors.Actors.Mptcp;

namespace MptcpActors.Actors.Tests.Mptcp;

/// <summary>
/// DataMappings' lookup against a DSN per byte: sent mappings appended in order (bisected) and received ones inserted
/// in any order, repeated and overlapping (scanned), across the 32-bit wrap of subflow sequence numbers.
/// </summary>
public class DataMappingsPropertyTests
{
    private const int Span = 600;

    [Fact]
    public void Appended_mappings_are_found_for_every_byte() =>
        Gen.Select(Gen.UInt, Gen.Select(Gen.Int[0, 3], Gen.Int[1, 40]).Array[1, 13])
            .Sample((start, pieces) =>
            {
                var mappings = new DataMappings();
                var expected = new ulong?[Span];
                var seq = start;
                ulong dsn = 1000;
                foreach (var (hole, length) in pieces)
                {
                    seq += (uint)hole;
                    dsn += (ulong)(hole * 7);
                    mappings.Append(seq, dsn, length);
                    for (var i = 0; i < length; i++) expected[seq - start + i] = dsn + (ulong)i;
                    seq += (uint)length;
                    dsn += (ulong)length;
                }
                Check(mappings, start, expected);
            }, iter: 2000);

    [Fact]
    public void Inserted_mappings_in_any_order_are_found_for_every_byte() =>
        Gen.Select(Gen.UInt, Gen.Select(Gen.Int[0, Span - 50], Gen.Int[1, 50]).Array[1, 20])
            .Sample((start, ranges) =>
            {
                // One offset between subflow and data sequence for all: overlaps agree, as a well-behaved peer's do.
                const ulong offset = 5_000_000;
                var mappings = new DataMappings();
                var expected = new ulong?[Span];
                foreach (var (at, length) in ranges)
                {
                    Assert.True(mappings.Insert(new DataMapping(start + (uint)at, offset + (ulong)at, length)));
                    for (var i = at; i < at + length; i++) expected[i] = offset + (ulong)i;
                }
                Check(mappings, start, expected);
            }, iter: 2000);

    [Fact]
    public void Lookup_bisects_again_once_overlapping_mappings_are_dropped()
    {
        var mappings = new DataMappings();
        Assert.True(mappings.Insert(new DataMapping(100, 1100, 50)));
        Assert.True(mappings.Insert(new DataMapping(120, 1120, 50)));
        mappings.DropBefore(150);
        mappings.Append(170, 2000, 10);
        mappings.Append(180, 3000, 10);
        Assert.True(mappings.TryFind(185, out var m));
        Assert.Equal(3000ul, m.Dsn);
        Assert.True(mappings.TryFind(160, out m));
        Assert.Equal(1120ul, m.Dsn);
        Assert.False(mappings.TryFind(199, out _));
    }

    private static void Check(DataMappings mappings, uint start, ulong?[] expected)
    {
        for (var i = -5; i < Span; i++)
        {
            var seq = start + (uint)i;
            var found = mappings.TryFind(seq, out var m);
            var want = i >= 0 ? expected[i] : null;
            Assert.Equal(want is not null, found);
            if (!found) continue;
            Assert.True(m.Covers(seq));
            Assert.Equal(want, m.Dsn + (seq - m.SubflowSeq));
        }
    }
}
