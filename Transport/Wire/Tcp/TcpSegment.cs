using System.Buffers.Binary;

namespace MptcpActors.Transport.Wire.Tcp;

/// <summary>View over a TCP segment (RFC 9293 3.1).</summary>
public readonly ref struct TcpSegment
{
    public const int MinHeaderLength = 20;
    public const int MaxOptionsLength = 40;
    private readonly ReadOnlySpan<byte> _b;

    private TcpSegment(ReadOnlySpan<byte> b) => _b = b;

    public static bool TryParse(ReadOnlySpan<byte> buffer, out TcpSegment segment)
    {
        segment = default;
        if (buffer.Length < MinHeaderLength) return false;
        var dataOffset = (buffer[12] >> 4) * 4;
        if (dataOffset < MinHeaderLength || dataOffset > buffer.Length) return false;
        segment = new TcpSegment(buffer);
        return true;
    }

    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_b);
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_b[2..]);
    public uint SequenceNumber => BinaryPrimitives.ReadUInt32BigEndian(_b[4..]);
    public uint AcknowledgmentNumber => BinaryPrimitives.ReadUInt32BigEndian(_b[8..]);
    public int HeaderLength => (_b[12] >> 4) * 4;
    public TcpFlags Flags => (TcpFlags)(BinaryPrimitives.ReadUInt16BigEndian(_b[12..]) & 0x01FF);
    /// <summary>The 12 bits after the data offset, reserved bits included, as tshark's tcp.flags shows them.</summary>
    public ushort RawFlags => (ushort)(BinaryPrimitives.ReadUInt16BigEndian(_b[12..]) & 0x0FFF);
    public ushort Window => BinaryPrimitives.ReadUInt16BigEndian(_b[14..]);
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_b[16..]);
    public ushort UrgentPointer => BinaryPrimitives.ReadUInt16BigEndian(_b[18..]);
    public ReadOnlySpan<byte> Options => _b[MinHeaderLength..HeaderLength];
    public ReadOnlySpan<byte> Payload => _b[HeaderLength..];
    public ReadOnlySpan<byte> Bytes => _b;
    public bool Has(TcpFlags f) => (Flags & f) == f;
    public TcpOptionReader ReadOptions() => new(Options);

    /// <summary>Writes the fixed header; options must already sit at offset 20 (optionsLength bytes, a multiple of 4).</summary>
    public static int WriteHeader(Span<byte> buffer, ushort sourcePort, ushort destinationPort, uint seq, uint ack, TcpFlags flags,
        ushort window, int optionsLength, ushort urgentPointer = 0)
    {
        if (optionsLength % 4 != 0 || optionsLength > MaxOptionsLength)
            throw new ArgumentOutOfRangeException(nameof(optionsLength), optionsLength, "TCP options must be padded to 4 bytes and at most 40");
        BinaryPrimitives.WriteUInt16BigEndian(buffer, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[8..], ack);
        var headerLength = MinHeaderLength + optionsLength;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[12..], (ushort)((headerLength / 4) << 12 | ((ushort)flags & 0x01FF)));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[14..], window);
        buffer[16] = buffer[17] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[18..], urgentPointer);
        return headerLength;
    }

    /// <summary>Fills the checksum of a complete segment in place.</summary>
    public static void WriteChecksum(Span<byte> segment, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        segment[16] = segment[17] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(segment[16..], InternetChecksum.Transport(source, destination, (byte)IpProtocol.Tcp, segment));
    }

    /// <summary>Leaves the checksum to the device (offload): the field holds the pseudo-header sum over the whole segment.</summary>
    public static void WritePartialChecksum(Span<byte> segment, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination) =>
        BinaryPrimitives.WriteUInt16BigEndian(segment[16..], InternetChecksum.PseudoHeaderSum(source, destination, (byte)IpProtocol.Tcp, segment.Length));

    public bool ChecksumValid(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination) =>
        InternetChecksum.Transport(source, destination, (byte)IpProtocol.Tcp, _b) == 0;
}
