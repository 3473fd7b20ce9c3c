using System.Buffers.Binary;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Wire;

namespace MptcpActors.Transport.Tests.Linux;

/// <summary>Frames the namespace tests send to the kernel, built with the Transport/Wire writers.</summary>
internal static class LinuxTestFrames
{
    public static readonly byte[] Broadcast = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

    public static int ArpRequest(Span<byte> buffer, ReadOnlySpan<byte> mac, ReadOnlySpan<byte> senderIp, ReadOnlySpan<byte> targetIp)
    {
        var o = EthernetFrame.Write(buffer, Broadcast, mac, EtherType.Arp);
        o += ArpPacket.Write(buffer[o..], ArpPacket.OperationRequest, mac, senderIp, new byte[6], targetIp);
        return o;
    }

    public static byte[] ArpRequest(ReadOnlySpan<byte> mac, ReadOnlySpan<byte> senderIp, ReadOnlySpan<byte> targetIp)
    {
        var b = new byte[60];
        ArpRequest(b, mac, senderIp, targetIp);
        return b; // padded to the Ethernet minimum
    }

    public static byte[] ArpReply(ReadOnlySpan<byte> mac, ReadOnlySpan<byte> ip, ReadOnlySpan<byte> toMac, ReadOnlySpan<byte> toIp)
    {
        var b = new byte[60];
        var o = EthernetFrame.Write(b, toMac, mac, EtherType.Arp);
        ArpPacket.Write(b.AsSpan(o), ArpPacket.OperationReply, mac, ip, toMac, toIp);
        return b;
    }

    /// <summary>Ethernet + IPv4 + ICMP echo request with <paramref name="dataLength"/> bytes of data.</summary>
    public static byte[] Icmp4Echo(ReadOnlySpan<byte> srcMac, ReadOnlySpan<byte> dstMac, ReadOnlySpan<byte> srcIp, ReadOnlySpan<byte> dstIp,
        ushort id, ushort seq, int dataLength = 32)
    {
        var icmpLength = IcmpMessage.HeaderLength + dataLength;
        var b = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + icmpLength];
        var o = EthernetFrame.Write(b, dstMac, srcMac, EtherType.Ipv4);
        o += Ipv4Packet.WriteHeader(b.AsSpan(o), srcIp, dstIp, IpProtocol.Icmp, icmpLength, identification: seq);
        var icmp = b.AsSpan(o, icmpLength);
        icmp[0] = IcmpTypes.EchoRequest;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], seq);
        for (var i = 0; i < dataLength; i++) icmp[8 + i] = (byte)i;
        IcmpMessage.WriteChecksum(icmp);
        return b;
    }

    /// <summary>Ethernet + IPv6 + ICMPv6 echo request.</summary>
    public static byte[] Icmp6Echo(ReadOnlySpan<byte> srcMac, ReadOnlySpan<byte> dstMac, ReadOnlySpan<byte> srcIp, ReadOnlySpan<byte> dstIp,
        ushort id, ushort seq, int dataLength = 32)
    {
        var icmpLength = IcmpMessage.HeaderLength + dataLength;
        var b = new byte[EthernetFrame.HeaderLength + Ipv6Packet.FixedHeaderLength + icmpLength];
        var o = EthernetFrame.Write(b, dstMac, srcMac, EtherType.Ipv6);
        o += Ipv6Packet.WriteHeader(b.AsSpan(o), srcIp, dstIp, IpProtocol.Icmpv6, icmpLength);
        var icmp = b.AsSpan(o, icmpLength);
        icmp[0] = IcmpTypes.V6EchoRequest;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], seq);
        for (var i = 0; i < dataLength; i++) icmp[8 + i] = (byte)i;
        IcmpMessage.WriteChecksum(icmp, srcIp, dstIp);
        return b;
    }

    /// <summary>A solicited neighbour advertisement for <paramref name="target"/> with our MAC (RFC 4861 4.4).</summary>
    public static byte[] NeighborAdvertisement(ReadOnlySpan<byte> mac, ReadOnlySpan<byte> target, ReadOnlySpan<byte> toMac, ReadOnlySpan<byte> toIp)
    {
        const int icmpLength = 32;
        var b = new byte[EthernetFrame.HeaderLength + Ipv6Packet.FixedHeaderLength + icmpLength];
        var o = EthernetFrame.Write(b, toMac, mac, EtherType.Ipv6);
        o += Ipv6Packet.WriteHeader(b.AsSpan(o), target, toIp, IpProtocol.Icmpv6, icmpLength, hopLimit: 255);
        var icmp = b.AsSpan(o, icmpLength);
        icmp[0] = IcmpTypes.V6NeighborAdvertisement;
        icmp[4] = 0x60; // solicited, override
        target.CopyTo(icmp[8..]);
        icmp[24] = 2; // target link-layer address option
        icmp[25] = 1;
        mac.CopyTo(icmp[26..]);
        IcmpMessage.WriteChecksum(icmp, target, toIp);
        return b;
    }

    /// <summary>An Ethernet frame with the local-experimental EtherType 0x88B5 (no kernel handler takes it) and a marker.</summary>
    public static int Experimental(Span<byte> buffer, int length, ReadOnlySpan<byte> srcMac, ReadOnlySpan<byte> dstMac, uint marker)
    {
        var frame = buffer[..length];
        frame.Clear();
        EthernetFrame.Write(frame, dstMac, srcMac, (EtherType)0x88B5);
        BinaryPrimitives.WriteUInt32BigEndian(frame[14..], 0x4D504154); // "MPAT"
        BinaryPrimitives.WriteUInt32BigEndian(frame[18..], marker);
        return length;
    }

    public static bool IsExperimental(ReadOnlySpan<byte> frame, out uint marker)
    {
        marker = 0;
        if (frame.Length < 22 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x88B5
            || BinaryPrimitives.ReadUInt32BigEndian(frame[14..]) != 0x4D504154) return false;
        marker = BinaryPrimitives.ReadUInt32BigEndian(frame[18..]);
        return true;
    }

    /// <summary>The ICMP(v6) message of an IPv4/IPv6 frame, with its IP addresses; false for anything else.</summary>
    public static bool TryIcmp(ReadOnlySpan<byte> frame, out IpPacket ip, out IcmpMessage icmp)
    {
        icmp = default;
        ip = default;
        return EthernetFrame.TryParse(frame, out var eth) && IpPacket.TryParse(eth.Payload, out ip)
            && ip.Protocol is IpProtocol.Icmp or IpProtocol.Icmpv6 && IcmpMessage.TryParse(ip.Payload, out icmp);
    }

    public static bool IsEchoReply(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> to, ushort id, ushort seq)
    {
        if (!TryIcmp(frame, out var ip, out var icmp) || !ip.Destination.SequenceEqual(to)) return false;
        var type = ip.Version == 4 ? IcmpTypes.EchoReply : IcmpTypes.V6EchoReply;
        return icmp.Type == type && icmp.RestOfHeader == ((uint)id << 16 | seq);
    }

    public static bool IsArpReply(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> fromIp, ReadOnlySpan<byte> toIp) =>
        EthernetFrame.TryParse(frame, out var eth) && eth.EtherType == EtherType.Arp && ArpPacket.TryParse(eth.Payload, out var arp)
        && arp.Operation == ArpPacket.OperationReply && arp.SenderProtocol.SequenceEqual(fromIp) && arp.TargetProtocol.SequenceEqual(toIp);
}

/// <summary>Keeps a copy of every frame received and lets a test wait for one that matches.</summary>
internal sealed class CollectingReceiver : IFrameReceiver
{
    private readonly List<byte[]> _frames = [];
    private readonly Action<IFrameDevice, byte[]>? _onFrame;

    public CollectingReceiver(Action<IFrameDevice, byte[]>? onFrame = null) => _onFrame = onFrame;

    public int Count
    {
        get { lock (_frames) return _frames.Count; }
    }

    public byte[][] Frames
    {
        get { lock (_frames) return [.. _frames]; }
    }

    public void Receive(IFrameDevice device, ReadOnlySpan<byte> frame, long timeNs)
    {
        var copy = frame.ToArray();
        lock (_frames)
        {
            _frames.Add(copy);
            Monitor.PulseAll(_frames);
        }
        _onFrame?.Invoke(device, copy);
    }

    public byte[]? WaitFor(Func<byte[], bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_frames)
        {
            var seen = 0;
            while (true)
            {
                for (; seen < _frames.Count; seen++)
                    if (match(_frames[seen])) return _frames[seen];
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) return null;
                Monitor.Wait(_frames, left);
            }
        }
    }

    public bool Any(Func<byte[], bool> match)
    {
        lock (_frames) return _frames.Any(match);
    }
}
