using System.Buffers.Binary;
using MptcpActors.Transport.Wire;

namespace MptcpActors.Transport.Capture;

/// <summary>Finds the IP packet inside a captured frame, whatever link-layer header the capture used.</summary>
public static class LinkLayer
{
    public static bool TryGetIpPacket(LinkType linkType, ReadOnlySpan<byte> frame, out ReadOnlySpan<byte> ip)
    {
        ip = default;
        switch (linkType)
        {
            case LinkType.Ethernet:
                if (!EthernetFrame.TryParse(frame, out var eth) || eth.EtherType is not (EtherType.Ipv4 or EtherType.Ipv6)) return false;
                ip = eth.Payload;
                return true;
            case LinkType.Raw or LinkType.RawBsd12 or LinkType.RawBsd14 or LinkType.Ipv4 or LinkType.Ipv6:
                ip = frame;
                return true;
            case LinkType.Null or LinkType.Loop:
                if (frame.Length < 4) return false;
                ip = frame[4..];
                return true;
            case LinkType.LinuxSll:
                return ByProtocol(frame, 14, 16, out ip);
            case LinkType.LinuxSll2:
                return ByProtocol(frame, 0, 20, out ip);
            default:
                return false;
        }
    }

    private static bool ByProtocol(ReadOnlySpan<byte> frame, int protocolOffset, int headerLength, out ReadOnlySpan<byte> ip)
    {
        ip = default;
        if (frame.Length < headerLength) return false;
        var proto = (EtherType)BinaryPrimitives.ReadUInt16BigEndian(frame[protocolOffset..]);
        if (proto is not (EtherType.Ipv4 or EtherType.Ipv6)) return false;
        ip = frame[headerLength..];
        return true;
    }
}
