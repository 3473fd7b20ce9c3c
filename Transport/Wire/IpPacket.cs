namespace MptcpActors.Transport.Wire;

/// <summary>An IPv4 or IPv6 packet seen through what both have: addresses, upper protocol and its payload.</summary>
public readonly ref struct IpPacket
{
    private IpPacket(int version, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, IpProtocol protocol,
        ReadOnlySpan<byte> payload, int declaredPayloadLength, bool fragment)
    {
        Version = version;
        Source = source;
        Destination = destination;
        Protocol = protocol;
        Payload = payload;
        DeclaredPayloadLength = declaredPayloadLength;
        IsFragment = fragment;
    }

    public int Version { get; }
    public ReadOnlySpan<byte> Source { get; }
    public ReadOnlySpan<byte> Destination { get; }
    public IpProtocol Protocol { get; }
    /// <summary>The upper-layer bytes present in the buffer.</summary>
    public ReadOnlySpan<byte> Payload { get; }
    /// <summary>The upper-layer length the IP header declares (more than <see cref="Payload"/> when a capture cut the packet).</summary>
    public int DeclaredPayloadLength { get; }
    public bool IsFragment { get; }

    public static bool TryParse(ReadOnlySpan<byte> buffer, out IpPacket packet)
    {
        packet = default;
        if (buffer.IsEmpty) return false;
        switch (buffer[0] >> 4)
        {
            case 4 when Ipv4Packet.TryParse(buffer, out var v4):
                var declared4 = v4.TotalLength == 0 ? v4.Payload.Length : v4.TotalLength - v4.HeaderLength;
                packet = new IpPacket(4, v4.Source, v4.Destination, v4.Protocol, v4.Payload, declared4, v4.IsFragment);
                return true;
            case 6 when Ipv6Packet.TryParse(buffer, out var v6):
                var declared6 = v6.PayloadLength == 0 ? v6.Payload.Length : v6.PayloadLength - v6.ExtensionHeadersLength;
                packet = new IpPacket(6, v6.Source, v6.Destination, v6.Protocol, v6.Payload, declared6, v6.IsFragment);
                return true;
            default:
                return false;
        }
    }
}
