using System.Buffers.Binary;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Interface;

/// <summary>
/// The link-level duties of an address the engine owns where the kernel has none: answer ARP (RFC 826) and IPv6
/// neighbour solicitations (RFC 4861), learn neighbours from what arrives, answer ICMP echo so ping works, and build
/// the requests that resolve next hops. Sans-I/O: frames in, frames out.
/// </summary>
public sealed class LinkResponder(byte[] mac, IpAddressBytes address)
{
    private static readonly byte[] Broadcast = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    private readonly byte[] _address = Bytes(address);

    public byte[] Mac => mac;
    public IpAddressBytes Address => address;

    /// <summary>
    /// Handles a frame that is not TCP for us. Learns the sender's MAC where the protocol shows it; returns a reply
    /// frame to send, or null.
    /// </summary>
    public byte[]? Handle(ReadOnlySpan<byte> frame, Action<IpAddressBytes, byte[]> learn)
    {
        if (!EthernetFrame.TryParse(frame, out var eth)) return null;
        if (eth.EtherType == EtherType.Arp && !address.IsIpv6) return HandleArp(eth.Payload, learn);
        if (!IpPacket.TryParse(eth.Payload, out var ip)) return null;
        if (ip.Version == 4 && ip.Protocol == IpProtocol.Icmp && ip.Destination.SequenceEqual(_address)) return HandleEcho4(eth.Source, ip);
        if (ip.Version == 6 && ip.Protocol == IpProtocol.Icmpv6) return HandleIcmp6(eth.Source, ip, learn);
        return null;
    }

    private byte[]? HandleArp(ReadOnlySpan<byte> payload, Action<IpAddressBytes, byte[]> learn)
    {
        if (!ArpPacket.TryParse(payload, out var arp)) return null;
        var forUs = arp.TargetProtocol.SequenceEqual(_address);
        // RFC 826: merge the sender's mapping when we know it or the packet is for us.
        if (forUs || arp.Operation == ArpPacket.OperationReply) learn(new IpAddressBytes(arp.SenderProtocol), arp.SenderHardware.ToArray());
        if (!forUs || arp.Operation != ArpPacket.OperationRequest) return null;
        var reply = new byte[EthernetFrame.HeaderLength + ArpPacket.Length];
        EthernetFrame.Write(reply, arp.SenderHardware, mac, EtherType.Arp);
        ArpPacket.Write(reply.AsSpan(EthernetFrame.HeaderLength), ArpPacket.OperationReply, mac, _address, arp.SenderHardware, arp.SenderProtocol);
        return reply;
    }

    private byte[]? HandleEcho4(ReadOnlySpan<byte> sourceMac, IpPacket ip)
    {
        if (!IcmpMessage.TryParse(ip.Payload, out var icmp) || icmp.Type != IcmpTypes.EchoRequest || InternetChecksum.Compute(ip.Payload) != 0) return null;
        var reply = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + ip.Payload.Length];
        EthernetFrame.Write(reply, sourceMac, mac, EtherType.Ipv4);
        Ipv4Packet.WriteHeader(reply.AsSpan(EthernetFrame.HeaderLength), _address, ip.Source, IpProtocol.Icmp, ip.Payload.Length, dontFragment: false);
        var body = reply.AsSpan(EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength);
        ip.Payload.CopyTo(body);
        body[0] = IcmpTypes.EchoReply;
        IcmpMessage.WriteChecksum(body);
        return reply;
    }

    private byte[]? HandleIcmp6(ReadOnlySpan<byte> sourceMac, IpPacket ip, Action<IpAddressBytes, byte[]> learn)
    {
        if (!IcmpMessage.TryParse(ip.Payload, out var icmp)) return null;
        if (InternetChecksum.Transport(ip.Source, ip.Destination, (byte)IpProtocol.Icmpv6, ip.Payload) != 0) return null;
        switch (icmp.Type)
        {
            case IcmpTypes.V6NeighborSolicitation when icmp.Body.Length >= 16 && icmp.Body[..16].SequenceEqual(_address):
                if (LinkLayerOption(icmp.Body[16..], 1) is { } srcMac && !IsUnspecified(ip.Source)) learn(new IpAddressBytes(ip.Source), srcMac);
                return NeighborAdvertisement(sourceMac, IsUnspecified(ip.Source) ? AllNodes : ip.Source.ToArray());
            case IcmpTypes.V6NeighborAdvertisement when icmp.Body.Length >= 16:
                if (LinkLayerOption(icmp.Body[16..], 2) is { } targetMac) learn(new IpAddressBytes(icmp.Body[..16]), targetMac);
                return null;
            case IcmpTypes.V6EchoRequest when ip.Destination.SequenceEqual(_address):
                return Icmp6(sourceMac, ip.Source.ToArray(), IcmpTypes.V6EchoReply, ip.Payload[4..], 64);
            default:
                return null;
        }
    }

    private static readonly byte[] AllNodes = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

    private byte[] NeighborAdvertisement(ReadOnlySpan<byte> dstMac, byte[] dst)
    {
        Span<byte> body = stackalloc byte[4 + 16 + 8];
        BinaryPrimitives.WriteUInt32BigEndian(body, 0x60000000); // Solicited | Override (RFC 4861 4.4)
        _address.CopyTo(body[4..]);
        body[20] = 2; // target link-layer address
        body[21] = 1;
        mac.CopyTo(body[22..]);
        return Icmp6(dstMac, dst, IcmpTypes.V6NeighborAdvertisement, body, 255);
    }

    /// <summary>An ARP request (IPv4) or neighbour solicitation to the solicited-node group (IPv6) for <paramref name="target"/>.</summary>
    public byte[] Request(IpAddressBytes target)
    {
        var t = Bytes(target);
        if (!address.IsIpv6)
        {
            var f = new byte[EthernetFrame.HeaderLength + ArpPacket.Length];
            EthernetFrame.Write(f, Broadcast, mac, EtherType.Arp);
            ArpPacket.Write(f.AsSpan(EthernetFrame.HeaderLength), ArpPacket.OperationRequest, mac, _address, new byte[6], t);
            return f;
        }
        byte[] group = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, t[13], t[14], t[15]];
        byte[] groupMac = [0x33, 0x33, 0xff, t[13], t[14], t[15]];
        Span<byte> body = stackalloc byte[4 + 16 + 8];
        body[..4].Clear();
        t.CopyTo(body[4..]);
        body[20] = 1; // source link-layer address
        body[21] = 1;
        mac.CopyTo(body[22..]);
        return Icmp6(groupMac, group, IcmpTypes.V6NeighborSolicitation, body, 255);
    }

    /// <summary>An ICMPv6 message (type, code 0, checksum, then <paramref name="rest"/>) in an Ethernet/IPv6 frame.</summary>
    private byte[] Icmp6(ReadOnlySpan<byte> dstMac, byte[] dst, byte type, ReadOnlySpan<byte> rest, byte hopLimit)
    {
        var len = 4 + rest.Length;
        var f = new byte[EthernetFrame.HeaderLength + Ipv6Packet.FixedHeaderLength + len];
        EthernetFrame.Write(f, dstMac, mac, EtherType.Ipv6);
        Ipv6Packet.WriteHeader(f.AsSpan(EthernetFrame.HeaderLength), _address, dst, IpProtocol.Icmpv6, len, hopLimit);
        var m = f.AsSpan(EthernetFrame.HeaderLength + Ipv6Packet.FixedHeaderLength);
        m[0] = type;
        rest.CopyTo(m[4..]);
        IcmpMessage.WriteChecksum(m, _address, dst);
        return f;
    }

    private static byte[]? LinkLayerOption(ReadOnlySpan<byte> options, byte type)
    {
        while (options.Length >= 8)
        {
            var len = options[1] * 8;
            if (len == 0 || len > options.Length) return null;
            if (options[0] == type && len >= 8) return options.Slice(2, 6).ToArray();
            options = options[len..];
        }
        return null;
    }

    private static bool IsUnspecified(ReadOnlySpan<byte> a) => a.IndexOfAnyExcept((byte)0) < 0;

    private static byte[] Bytes(IpAddressBytes a)
    {
        var b = new byte[a.Length];
        a.CopyTo(b);
        return b;
    }
}
