using System.Buffers.Binary;

namespace MptcpActors.Transport.Wire;

/// <summary>View over an ICMP (RFC 792) or ICMPv6 (RFC 4443) message: enough for echo, errors carrying an invoking packet, and neighbour discovery.</summary>
public readonly ref struct IcmpMessage
{
    public const int HeaderLength = 8;
    private readonly ReadOnlySpan<byte> _b;

    private IcmpMessage(ReadOnlySpan<byte> b) => _b = b;

    public static bool TryParse(ReadOnlySpan<byte> buffer, out IcmpMessage message)
    {
        message = default;
        if (buffer.Length < HeaderLength) return false;
        message = new IcmpMessage(buffer);
        return true;
    }

    public byte Type => _b[0];
    public byte Code => _b[1];
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_b[2..]);
    /// <summary>Bytes 4..7: identifier/sequence for echo, next-hop MTU for "fragmentation needed", MTU for ICMPv6 Packet Too Big.</summary>
    public uint RestOfHeader => BinaryPrimitives.ReadUInt32BigEndian(_b[4..]);
    public ReadOnlySpan<byte> Body => _b[HeaderLength..];
    public ReadOnlySpan<byte> Message => _b;

    public bool IsIpv4Error => Type is IcmpTypes.DestinationUnreachable or IcmpTypes.TimeExceeded or IcmpTypes.ParameterProblem;
    public bool IsIpv6Error => Type < 128;
    /// <summary>The path MTU an error reports, or 0 when it reports none (RFC 1191, RFC 8201).</summary>
    public int ReportedMtu(bool v6) => v6
        ? Type == IcmpTypes.V6PacketTooBig ? (int)Math.Min(RestOfHeader, int.MaxValue) : 0
        : Type == IcmpTypes.DestinationUnreachable && Code == 4 ? (int)(RestOfHeader & 0xFFFF) : 0;

    /// <summary>For ICMPv4 the checksum covers the message; for ICMPv6 it also covers the pseudo-header.</summary>
    public static void WriteChecksum(Span<byte> message, ReadOnlySpan<byte> v6Source = default, ReadOnlySpan<byte> v6Destination = default)
    {
        message[2] = message[3] = 0;
        var sum = v6Source.IsEmpty
            ? InternetChecksum.Compute(message)
            : InternetChecksum.Transport(v6Source, v6Destination, (byte)IpProtocol.Icmpv6, message);
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], sum);
    }
}

public static class IcmpTypes
{
    public const byte EchoReply = 0;
    public const byte DestinationUnreachable = 3;
    public const byte EchoRequest = 8;
    public const byte TimeExceeded = 11;
    public const byte ParameterProblem = 12;
    public const byte V6DestinationUnreachable = 1;
    public const byte V6PacketTooBig = 2;
    public const byte V6EchoRequest = 128;
    public const byte V6EchoReply = 129;
    public const byte V6RouterSolicitation = 133;
    public const byte V6RouterAdvertisement = 134;
    public const byte V6NeighborSolicitation = 135;
    public const byte V6NeighborAdvertisement = 136;
}
