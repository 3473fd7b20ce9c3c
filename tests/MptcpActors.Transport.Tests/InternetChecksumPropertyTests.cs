using System.Buffers.Binary;
using CsCheck;
using MptcpActors.Transport.Wire;

namespace MptcpActors.Transport.Tests;

/// <summary>The checksum, summed wide and in pieces, equals RFC 1071's sum of 16-bit words in network order.</summary>
public class InternetChecksumPropertyTests
{
    /// <summary>RFC 1071 4.1, word by word: the definition the fast sum must match.</summary>
    private static ushort Reference(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (data.Length % 2 == 1) sum += (ulong)data[^1] << 8;
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    [Fact]
    public void Whole_equals_the_word_by_word_sum() =>
        Gen.Byte.Array[0, 3000].Sample(data => Assert.Equal(Reference(data), InternetChecksum.Compute(data)));

    [Fact]
    public void Sum_of_all_ones_and_all_zeros_keeps_its_sign() =>
        Gen.Int[0, 200].Sample(n =>
        {
            var ones = Enumerable.Repeat((byte)0xFF, n).ToArray();
            Assert.Equal(Reference(ones), InternetChecksum.Compute(ones));
            Assert.Equal(0xFFFF, InternetChecksum.Compute(new byte[n]));
        });

    [Fact]
    public void Pieces_at_any_split_equal_the_whole() =>
        Gen.Select(Gen.Byte.Array[0, 3000], Gen.Int[0, 3000], Gen.Int[0, 3000]).Sample((data, a, b) =>
        {
            var first = Math.Min(a, b) % (data.Length + 1);
            var second = Math.Max(first, Math.Max(a, b) % (data.Length + 1));
            var c = new InternetChecksum();
            c.Add(data.AsSpan(0, first));
            c.Add(data.AsSpan(first, second - first));
            c.Add(data.AsSpan(second));
            Assert.Equal(Reference(data), c.Finish());
        });

    [Fact]
    public void Rfc1071_example()
    {
        // RFC 1071 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (one's complement 220d).
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(0x220d, InternetChecksum.Compute(data));
    }
}
