using System.Buffers.Binary;
using MptcpActors.Cli.Failover.Netns;
using MptcpActors.Transport.Wire;

namespace MptcpActors.Cli.Tests;

/// <summary>The path emulator cuts a GSO super-frame into the frames the wire would carry, each with good checksums.</summary>
public class SuperFrameSegmenterTests
{
    private static byte[] SuperFrame(int payload, byte flags)
    {
        var f = new byte[14 + 20 + 32 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0800);
        var ip = f.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)Math.Min(65535, 20 + 32 + payload));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 1000);
        ip[8] = 64;
        ip[9] = 6;
        new byte[] { 10, 99, 0, 1 }.CopyTo(ip[12..]);
        new byte[] { 10, 99, 0, 2 }.CopyTo(ip[16..]);
        var tcp = ip[20..];
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], 0xFFFF_F000); // wraps while cut
        tcp[12] = 8 << 4; // 32-byte header: 12 bytes of options (copied to every piece)
        tcp[13] = flags;
        for (var i = 20; i < 32; i++) tcp[i] = 1; // NOPs
        for (var i = 0; i < payload; i++) tcp[32 + i] = (byte)(i * 7);
        return f;
    }

    [Theory]
    [InlineData(1448 * 3, 3)]
    [InlineData(1448 * 3 + 1, 4)]
    [InlineData(60000, 42)]
    public void Pieces_carry_the_payload_in_order_with_good_checksums(int payload, int pieces)
    {
        var frame = SuperFrame(payload, 0x18 | 0x01 | 0x80); // PSH ACK FIN CWR
        var got = new List<byte[]>();
        Assert.True(SuperFrameSegmenter.Segment(frame, 1500, new byte[1514], p => got.Add(p.ToArray())));
        Assert.Equal(pieces, got.Count);
        var data = new List<byte>();
        for (var i = 0; i < got.Count; i++)
        {
            var ip = got[i].AsSpan(14);
            Assert.True(got[i].Length <= 1514);
            Assert.Equal(0, InternetChecksum.Compute(ip[..20])); // a header with its right checksum sums to 0
            Assert.Equal(got[i].Length - 14, BinaryPrimitives.ReadUInt16BigEndian(ip[2..]));
            Assert.Equal(1000 + i, BinaryPrimitives.ReadUInt16BigEndian(ip[4..]));
            var tcp = ip[20..];
            Assert.Equal(unchecked(0xFFFF_F000u + (uint)data.Count), BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]));
            var checksum = BinaryPrimitives.ReadUInt16BigEndian(tcp[16..]);
            var copy = tcp.ToArray();
            copy[16] = copy[17] = 0;
            Assert.Equal(InternetChecksum.Transport(ip[12..16], ip[16..20], 6, copy), checksum);
            var last = i == got.Count - 1;
            Assert.Equal(last, (tcp[13] & 0x01) != 0); // FIN only on the last piece
            Assert.Equal(last, (tcp[13] & 0x08) != 0); // PSH likewise
            Assert.Equal(i == 0, (tcp[13] & 0x80) != 0); // CWR only on the first
            Assert.True((tcp[13] & 0x10) != 0); // ACK on all
            Assert.Equal(Enumerable.Repeat((byte)1, 12), tcp[20..32].ToArray());
            data.AddRange(tcp[32..].ToArray());
        }
        Assert.Equal(frame.AsSpan(14 + 52).ToArray(), data.ToArray());
    }

    [Fact]
    public void What_is_not_TCP_over_IPv4_is_not_cut()
    {
        var frame = SuperFrame(3000, 0x10);
        frame[14 + 9] = 17; // UDP
        Assert.False(SuperFrameSegmenter.Segment(frame, 1500, new byte[1514], _ => Assert.Fail("emitted")));
        Assert.False(SuperFrameSegmenter.Segment(new byte[10], 1500, new byte[1514], _ => Assert.Fail("emitted")));
    }
}
