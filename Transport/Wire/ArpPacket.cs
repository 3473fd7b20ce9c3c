using System.Buffers.Binary;

namespace MptcpActors.Transport.Wire;

/// <summary>View over an ARP packet for IPv4 over Ethernet (RFC 826).</summary>
public readonly ref struct ArpPacket
{
    public const int Length = 28;
    public const ushort OperationRequest = 1;
    public const ushort OperationReply = 2;
    private readonly ReadOnlySpan<byte> _b;

    private ArpPacket(ReadOnlySpan<byte> b) => _b = b;

    public static bool TryParse(ReadOnlySpan<byte> buffer, out ArpPacket packet)
    {
        packet = default;
        if (buffer.Length < Length) return false;
        // Only Ethernet (1) hardware with IPv4 protocol addresses is meaningful to the engine.
        if (BinaryPrimitives.ReadUInt16BigEndian(buffer) != 1 || BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]) != 0x0800
            || buffer[4] != 6 || buffer[5] != 4) return false;
        packet = new ArpPacket(buffer[..Length]);
        return true;
    }

    public ushort Operation => BinaryPrimitives.ReadUInt16BigEndian(_b[6..]);
    public ReadOnlySpan<byte> SenderHardware => _b.Slice(8, 6);
    public ReadOnlySpan<byte> SenderProtocol => _b.Slice(14, 4);
    public ReadOnlySpan<byte> TargetHardware => _b.Slice(18, 6);
    public ReadOnlySpan<byte> TargetProtocol => _b.Slice(24, 4);

    public static int Write(Span<byte> buffer, ushort operation, ReadOnlySpan<byte> senderHardware, ReadOnlySpan<byte> senderProtocol,
        ReadOnlySpan<byte> targetHardware, ReadOnlySpan<byte> targetProtocol)
    {
        BinaryPrimitives.WriteUInt16BigEndian(buffer, 1);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 0x0800);
        buffer[4] = 6;
        buffer[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[6..], operation);
        senderHardware.CopyTo(buffer[8..]);
        senderProtocol.CopyTo(buffer[14..]);
        targetHardware.CopyTo(buffer[18..]);
        targetProtocol.CopyTo(buffer[24..]);
        return Length;
    }
}
