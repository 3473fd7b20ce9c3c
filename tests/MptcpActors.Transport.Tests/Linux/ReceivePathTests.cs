using System.Buffers.Binary;
using MptcpActors.Transport.Devices.Linux;
using MptcpActors.Transport.Wire;

namespace MptcpActors.Transport.Tests.Linux;

/// <summary>The in-place fix-ups of the receive path, offline: checksum completion and VLAN tag re-insertion.</summary>
public class ReceivePathTests
{
    private static readonly byte[] MacA = [0x02, 0, 0, 0, 0, 1];
    private static readonly byte[] MacB = [0x02, 0, 0, 0, 0, 2];
    private static readonly byte[] Ip4A = [10, 0, 0, 1];
    private static readonly byte[] Ip4B = [10, 0, 0, 2];
    private static readonly byte[] Ip6A = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    private static readonly byte[] Ip6B = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

    /// <summary>Ethernet + IP + a TCP (20-byte header) or UDP segment with some payload and the checksum field set to 0x1234.</summary>
    private static byte[] Frame(bool v6, IpProtocol protocol, int payload = 37, bool fragment = false)
    {
        var l4 = (protocol == IpProtocol.Tcp ? 20 : 8) + payload;
        var ipHeader = v6 ? 40 : 20;
        var b = new byte[14 + ipHeader + l4];
        EthernetFrame.Write(b, MacB, MacA, v6 ? EtherType.Ipv6 : EtherType.Ipv4);
        if (v6) Ipv6Packet.WriteHeader(b.AsSpan(14), Ip6A, Ip6B, protocol, l4);
        else Ipv4Packet.WriteHeader(b.AsSpan(14), Ip4A, Ip4B, protocol, l4, dontFragment: !fragment);
        if (fragment)
        {
            b[14 + 6] = 0x20; // more fragments
            b[14 + 10] = b[14 + 11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(14 + 10), InternetChecksum.Compute(b.AsSpan(14, 20)));
        }
        var seg = b.AsSpan(14 + ipHeader);
        for (var i = 0; i < seg.Length; i++) seg[i] = (byte)(i * 7 + 3);
        if (protocol == IpProtocol.Tcp) seg[12] = 0x50;
        else BinaryPrimitives.WriteUInt16BigEndian(seg[4..], (ushort)l4);
        BinaryPrimitives.WriteUInt16BigEndian(seg[(protocol == IpProtocol.Tcp ? 16 : 6)..], 0x1234);
        return b;
    }

    private static ushort Verify(byte[] frame)
    {
        Assert.True(EthernetFrame.TryParse(frame, out var eth));
        Assert.True(IpPacket.TryParse(eth.Payload, out var ip));
        return InternetChecksum.Transport(ip.Source, ip.Destination, (byte)ip.Protocol, ip.Payload);
    }

    [Theory]
    [InlineData(false, IpProtocol.Tcp)]
    [InlineData(false, IpProtocol.Udp)]
    [InlineData(true, IpProtocol.Tcp)]
    [InlineData(true, IpProtocol.Udp)]
    public void Completion_fills_in_a_valid_transport_checksum(bool v6, IpProtocol protocol)
    {
        var frame = Frame(v6, protocol);
        Assert.NotEqual(0, Verify(frame));
        Assert.True(ChecksumCompletion.TryComplete(frame));
        Assert.Equal(0, Verify(frame));
    }

    [Fact]
    public void Completion_leaves_what_it_cannot_complete_alone()
    {
        var fragment = Frame(false, IpProtocol.Udp, fragment: true);
        var icmp = Frame(false, IpProtocol.Icmp);
        var arp = LinuxTestFrames.ArpRequest(MacA, Ip4A, Ip4B);
        foreach (var f in new[] { fragment, icmp, arp, new byte[10] })
        {
            var before = f.ToArray();
            Assert.False(ChecksumCompletion.TryComplete(f));
            Assert.Equal(before, f);
        }
    }

    [Fact]
    public void A_udp_checksum_of_zero_is_sent_as_ffff()
    {
        // Search a payload whose checksum comes out 0: UDP must then carry 0xFFFF (0 means "no checksum").
        for (var tweak = 0; tweak < 65536; tweak++)
        {
            var frame = Frame(false, IpProtocol.Udp, payload: 2);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 20 + 8), (ushort)tweak);
            Assert.True(ChecksumCompletion.TryComplete(frame));
            if (BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(14 + 20 + 6)) != 0xFFFF) continue;
            Assert.Equal(0, Verify(frame));
            return;
        }
        Assert.Fail("no payload gave a zero checksum");
    }

    [Fact]
    public void Vlan_tags_go_back_between_the_addresses_and_the_ethertype_and_checksums_still_complete()
    {
        var untagged = Frame(false, IpProtocol.Tcp);
        var buffer = new byte[4 + untagged.Length];
        untagged.CopyTo(buffer, 4);

        AfPacketDevice.InsertVlanTag(buffer, 0x8100, 0x2005);

        Assert.Equal(untagged[..12], buffer[..12]);
        Assert.Equal([0x81, 0x00, 0x20, 0x05], buffer[12..16]);
        Assert.Equal(untagged[12..], buffer[16..]);
        Assert.True(EthernetFrame.TryParse(buffer, out var eth));
        Assert.Equal(EtherType.Ipv4, eth.EtherType);
        Assert.True(ChecksumCompletion.TryComplete(buffer));
        Assert.Equal(0, Verify(buffer));
    }
}
