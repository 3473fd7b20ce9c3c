using System.Buffers.Binary;
using MptcpActors.Actors.Stack;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Interface;

/// <summary>
/// Recognizes ICMP "fragmentation needed" (RFC 1191) and ICMPv6 "packet too big" (RFC 8201) about one of our own
/// TCP segments, from the invoking packet the message quotes.
/// </summary>
public static class IcmpTooBig
{
    public static bool TryParse(ReadOnlySpan<byte> frame, IpAddressBytes ours, out TcpFlowKey key, out int mtu, out int ipHeaderLength)
    {
        key = default;
        mtu = 0;
        ipHeaderLength = ours.IsIpv6 ? Ipv6Packet.FixedHeaderLength : Ipv4Packet.MinHeaderLength;
        if (!EthernetFrame.TryParse(frame, out var eth) || !IpPacket.TryParse(eth.Payload, out var ip)) return false;
        if (ip.Protocol != (ours.IsIpv6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp) || !IcmpMessage.TryParse(ip.Payload, out var icmp)) return false;
        mtu = icmp.ReportedMtu(ours.IsIpv6);
        if (mtu <= 0) return false;
        // The quoted packet is cut after 8 bytes of TCP in IPv4; parse its header by hand, not as a whole packet.
        var inner = icmp.Body;
        ReadOnlySpan<byte> src, dst;
        int tcpOffset;
        if (ours.IsIpv6)
        {
            if (inner.Length < Ipv6Packet.FixedHeaderLength + 4 || inner[0] >> 4 != 6 || inner[6] != (byte)IpProtocol.Tcp) return false;
            src = inner.Slice(8, 16);
            dst = inner.Slice(24, 16);
            tcpOffset = Ipv6Packet.FixedHeaderLength;
        }
        else
        {
            if (inner.Length < Ipv4Packet.MinHeaderLength + 4 || inner[0] >> 4 != 4 || inner[9] != (byte)IpProtocol.Tcp) return false;
            tcpOffset = (inner[0] & 0x0F) * 4;
            if (tcpOffset < Ipv4Packet.MinHeaderLength || inner.Length < tcpOffset + 4) return false;
            src = inner.Slice(12, 4);
            dst = inner.Slice(16, 4);
        }
        var ourBytes = new byte[ours.Length];
        ours.CopyTo(ourBytes);
        if (!src.SequenceEqual(ourBytes)) return false;
        key = new TcpFlowKey(ours, BinaryPrimitives.ReadUInt16BigEndian(inner[tcpOffset..]), new IpAddressBytes(dst),
            BinaryPrimitives.ReadUInt16BigEndian(inner[(tcpOffset + 2)..]));
        return true;
    }
}
