using System.Buffers.Binary;

namespace MptcpActors.Transport.Wire;

/// <summary>View over an IPv6 packet (RFC 8200); extension headers are walked to find the upper-layer protocol.</summary>
public readonly ref struct Ipv6Packet
{
    public const int FixedHeaderLength = 40;
    private readonly ReadOnlySpan<byte> _b;
    private readonly int _upperOffset;

    private Ipv6Packet(ReadOnlySpan<byte> b, int upperOffset, IpProtocol upper, bool fragmented)
    {
        _b = b;
        _upperOffset = upperOffset;
        Protocol = upper;
        IsFragment = fragmented;
    }

    public static bool TryParse(ReadOnlySpan<byte> buffer, out Ipv6Packet packet)
    {
        packet = default;
        if (buffer.Length < FixedHeaderLength || buffer[0] >> 4 != 6) return false;
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(buffer[4..]);
        // Jumbograms and offloaded captures carry 0: the buffer is the packet.
        var end = payloadLength == 0 ? buffer.Length : Math.Min(buffer.Length, FixedHeaderLength + payloadLength);
        var b = buffer[..end];
        var next = (IpProtocol)b[6];
        var offset = FixedHeaderLength;
        var fragmented = false;
        for (var guard = 0; guard < 16; guard++)
        {
            switch (next)
            {
                case IpProtocol.HopByHop or IpProtocol.Ipv6Route or IpProtocol.Ipv6Options or IpProtocol.Mobility
                    or IpProtocol.Hip or IpProtocol.Shim6:
                    if (b.Length < offset + 8) return false;
                    var len = (b[offset + 1] + 1) * 8;
                    next = (IpProtocol)b[offset];
                    offset += len;
                    if (offset > b.Length) return false;
                    continue;
                case IpProtocol.Ipv6Fragment:
                    if (b.Length < offset + 8) return false;
                    fragmented |= (BinaryPrimitives.ReadUInt16BigEndian(b[(offset + 2)..]) & 0xFFF9) != 0;
                    next = (IpProtocol)b[offset];
                    offset += 8;
                    continue;
                case IpProtocol.Ah:
                    if (b.Length < offset + 8) return false;
                    var ahLen = (b[offset + 1] + 2) * 4;
                    next = (IpProtocol)b[offset];
                    offset += ahLen;
                    if (offset > b.Length) return false;
                    continue;
            }
            packet = new Ipv6Packet(b, offset, next, fragmented);
            return true;
        }
        return false;
    }

    public byte TrafficClass => (byte)((BinaryPrimitives.ReadUInt16BigEndian(_b) >> 4) & 0xFF);
    public uint FlowLabel => BinaryPrimitives.ReadUInt32BigEndian(_b) & 0xFFFFF;
    public ushort PayloadLength => BinaryPrimitives.ReadUInt16BigEndian(_b[4..]);
    public IpProtocol NextHeader => (IpProtocol)_b[6];
    public byte HopLimit => _b[7];
    public ReadOnlySpan<byte> Source => _b.Slice(8, 16);
    public ReadOnlySpan<byte> Destination => _b.Slice(24, 16);
    /// <summary>The upper-layer protocol after all extension headers.</summary>
    public IpProtocol Protocol { get; }
    public bool IsFragment { get; }
    public int ExtensionHeadersLength => _upperOffset - FixedHeaderLength;
    public ReadOnlySpan<byte> Payload => _b[_upperOffset..];

    public static int WriteHeader(Span<byte> buffer, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, IpProtocol protocol,
        int payloadLength, byte hopLimit = 64, uint flowLabel = 0, byte trafficClass = 0)
    {
        BinaryPrimitives.WriteUInt32BigEndian(buffer, (6u << 28) | ((uint)trafficClass << 20) | (flowLabel & 0xFFFFF));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[4..], checked((ushort)payloadLength));
        buffer[6] = (byte)protocol;
        buffer[7] = hopLimit;
        source.CopyTo(buffer[8..]);
        destination.CopyTo(buffer[24..]);
        return FixedHeaderLength;
    }
}
