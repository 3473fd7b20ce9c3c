using System.Buffers.Binary;
using System.Net;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Transport.Sim;

/// <summary>
/// The 5-tuple of an IPv4 or IPv6 packet: addresses as 128-bit numbers (IPv4 in the low 32 bits, with
/// <see cref="IpVersion"/> telling them apart) so that a key is a plain struct, hashed and compared without allocating.
/// Ports are 0 for protocols without them and for fragments.
/// </summary>
public readonly record struct FlowKey(byte IpVersion, UInt128 Source, UInt128 Destination, IpProtocol Protocol, ushort SourcePort, ushort DestinationPort)
{
    public IPAddress SourceAddress => ToAddress(Source);
    public IPAddress DestinationAddress => ToAddress(Destination);

    /// <summary>The other direction of the same conversation.</summary>
    public FlowKey Reversed => new(IpVersion, Destination, Source, Protocol, DestinationPort, SourcePort);

    /// <summary>
    /// Reads the key of an Ethernet frame carrying IPv4 or IPv6 (VLAN tags stepped over); <paramref name="payloadLength"/>
    /// is the transport payload (TCP/UDP data, else the IP payload). False for anything else (ARP, runts).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> ethernetFrame, out FlowKey key, out int payloadLength)
    {
        key = default;
        payloadLength = 0;
        if (!EthernetFrame.TryParse(ethernetFrame, out var eth) || eth.EtherType is not (EtherType.Ipv4 or EtherType.Ipv6)) return false;
        if (!IpPacket.TryParse(eth.Payload, out var ip)) return false;
        var src = ip.Version == 4 ? BinaryPrimitives.ReadUInt32BigEndian(ip.Source) : BinaryPrimitives.ReadUInt128BigEndian(ip.Source);
        var dst = ip.Version == 4 ? BinaryPrimitives.ReadUInt32BigEndian(ip.Destination) : BinaryPrimitives.ReadUInt128BigEndian(ip.Destination);
        ushort sport = 0, dport = 0;
        payloadLength = ip.Payload.Length;
        if (!ip.IsFragment && ip.Protocol is IpProtocol.Tcp or IpProtocol.Udp && ip.Payload.Length >= 4)
        {
            sport = BinaryPrimitives.ReadUInt16BigEndian(ip.Payload);
            dport = BinaryPrimitives.ReadUInt16BigEndian(ip.Payload[2..]);
            if (ip.Protocol == IpProtocol.Tcp && TcpSegment.TryParse(ip.Payload, out var tcp)) payloadLength = tcp.Payload.Length;
            else if (ip.Protocol == IpProtocol.Udp) payloadLength = Math.Max(0, ip.Payload.Length - 8);
        }
        key = new FlowKey((byte)ip.Version, src, dst, ip.Protocol, sport, dport);
        return true;
    }

    private IPAddress ToAddress(UInt128 value)
    {
        if (IpVersion == 4) return new IPAddress(BinaryPrimitives.ReverseEndianness((uint)value));
        Span<byte> b = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(b, value);
        return new IPAddress(b);
    }

    public override string ToString()
    {
        var proto = Protocol.ToString().ToLowerInvariant();
        return IpVersion == 4
            ? $"{SourceAddress}:{SourcePort} > {DestinationAddress}:{DestinationPort} {proto}"
            : $"[{SourceAddress}]:{SourcePort} > [{DestinationAddress}]:{DestinationPort} {proto}";
    }
}
