using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Actors.Stack;

/// <summary>
/// Puts a TCP segment into an Ethernet/IP frame and takes one out: the part of an interface that is the same for
/// the simulator and for raw sockets. The segment is written in place after <see cref="HeaderRoom"/> bytes.
/// </summary>
public static class TcpFraming
{
    public static int HeaderRoom(bool ipv6) => EthernetFrame.HeaderLength + (ipv6 ? Ipv6Packet.FixedHeaderLength : Ipv4Packet.MinHeaderLength);

    /// <summary>
    /// Fills checksum, IP and Ethernet headers around the segment at <c>frame[HeaderRoom..]</c>; returns the frame length.
    /// With <paramref name="checksumOffload"/> the TCP checksum is left for the device to finish (a super-segment it cuts up).
    /// </summary>
    public static int Wrap(Span<byte> frame, ReadOnlySpan<byte> sourceMac, ReadOnlySpan<byte> destinationMac, ReadOnlySpan<byte> sourceIp,
        ReadOnlySpan<byte> destinationIp, int segmentLength, ushort ipId, bool checksumOffload = false)
    {
        var v6 = sourceIp.Length == 16;
        var room = HeaderRoom(v6);
        if (checksumOffload) TcpSegment.WritePartialChecksum(frame.Slice(room, segmentLength), sourceIp, destinationIp);
        else TcpSegment.WriteChecksum(frame.Slice(room, segmentLength), sourceIp, destinationIp);
        var ip = frame[EthernetFrame.HeaderLength..];
        if (v6) Ipv6Packet.WriteHeader(ip, sourceIp, destinationIp, IpProtocol.Tcp, segmentLength);
        else Ipv4Packet.WriteHeader(ip, sourceIp, destinationIp, IpProtocol.Tcp, segmentLength, ipId);
        EthernetFrame.Write(frame, destinationMac, sourceMac, v6 ? EtherType.Ipv6 : EtherType.Ipv4);
        return room + segmentLength;
    }

    /// <summary>What an arriving frame is to a TCP interface.</summary>
    public enum Verdict
    {
        /// <summary>A TCP segment for this address with a good checksum.</summary>
        Segment,
        /// <summary>Not IP, not TCP, a fragment, or for another address: not ours to answer.</summary>
        NotForUs,
        /// <summary>Ours, but the TCP checksum is wrong: dropped silently (RFC 9293 3.10.7).</summary>
        BadChecksum,
        /// <summary>Ours, but the TCP header cannot be parsed.</summary>
        Malformed,
    }

    public static Verdict Unwrap(ReadOnlySpan<byte> frame, LocalAddresses local, out IpPacket ip, out TcpSegment segment)
    {
        segment = default;
        ip = default;
        if (!EthernetFrame.TryParse(frame, out var eth) || !IpPacket.TryParse(eth.Payload, out ip) || ip.Protocol != IpProtocol.Tcp
            || ip.IsFragment || !local.Contains(ip.Destination))
            return Verdict.NotForUs;
        if (!TcpSegment.TryParse(ip.Payload, out segment)) return Verdict.Malformed;
        return segment.ChecksumValid(ip.Source, ip.Destination) ? Verdict.Segment : Verdict.BadChecksum;
    }
}
