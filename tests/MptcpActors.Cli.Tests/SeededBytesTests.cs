using System.Buffers.Binary;
using CsCheck;
using MptcpActors.Cli.Failover;

namespace MptcpActors.Cli.Tests;

/// <summary>A traffic end's seeded stream is SplitMix64's, whatever the sizes of the writes that take it (four lanes at once or one word at a time).</summary>
public class SeededBytesTests
{
    /// <summary>SplitMix64 one word at a time, a tail taking a whole word: the stream every run's hashes were made of.</summary>
    private static void Reference(ref ulong state, Span<byte> destination)
    {
        Span<byte> word = stackalloc byte[8];
        while (!destination.IsEmpty)
        {
            var z = state += 0x9E3779B97F4A7C15;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            BinaryPrimitives.WriteUInt64LittleEndian(word, z ^ (z >> 31));
            var n = Math.Min(8, destination.Length);
            word[..n].CopyTo(destination);
            destination = destination[n..];
        }
    }

    [Fact]
    public void First_word_of_seed_zero_is_splitmix64s()
    {
        var bytes = new byte[8];
        new SeededBytes(0).Fill(bytes);
        Assert.Equal(0xE220A8397B1DCDAFUL, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
    }

    [Fact]
    public void Any_sequence_of_writes_gives_the_reference_stream() =>
        Gen.Select(Gen.Int, Gen.Int[0, 300].Array[1, 12]).Sample((seed, lengths) =>
        {
            var bytes = new SeededBytes(seed);
            var state = (ulong)seed;
            foreach (var length in lengths)
            {
                var got = new byte[length];
                var want = new byte[length];
                bytes.Fill(got);
                Reference(ref state, want);
                Assert.Equal(want, got);
            }
        });
}
