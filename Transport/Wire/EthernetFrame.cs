using System.Buffers.Binary;

namespace MptcpActors.Transport.Wire;

/// <summary>View over an Ethernet II frame; 802.1Q / 802.1ad tags are stepped over.</summary>
public readonly ref struct EthernetFrame
{
    public const int HeaderLength = 14;
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly int _payloadOffset;

    private EthernetFrame(ReadOnlySpan<byte> buffer, int payloadOffset, EtherType type)
    {
        _buffer = buffer;
        _payloadOffset = payloadOffset;
        EtherType = type;
    }

    public static bool TryParse(ReadOnlySpan<byte> buffer, out EthernetFrame frame)
    {
        frame = default;
        if (buffer.Length < HeaderLength) return false;
        var offset = 12;
        var type = BinaryPrimitives.ReadUInt16BigEndian(buffer[offset..]);
        while (type is (ushort)EtherType.Vlan or (ushort)EtherType.QinQ)
        {
            offset += 4;
            if (buffer.Length < offset + 2) return false;
            type = BinaryPrimitives.ReadUInt16BigEndian(buffer[offset..]);
        }
        frame = new EthernetFrame(buffer, offset + 2, (EtherType)type);
        return true;
    }

    public ReadOnlySpan<byte> Destination => _buffer[..6];
    public ReadOnlySpan<byte> Source => _buffer[6..12];
    public EtherType EtherType { get; }
    public ReadOnlySpan<byte> Payload => _buffer[_payloadOffset..];

    public static int Write(Span<byte> buffer, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> source, EtherType type)
    {
        destination.CopyTo(buffer);
        source.CopyTo(buffer[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[12..], (ushort)type);
        return HeaderLength;
    }
}
