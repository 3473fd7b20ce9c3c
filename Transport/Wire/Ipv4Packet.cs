using System.Buffers.Binary;

namespace MptcpActors.Transport.Wire;

/// <summary>View over an IPv4 packet (RFC 791). Options are skipped; the payload ends at Total Length, not at the buffer's end (Ethernet pads short frames).</summary>
public readonly ref struct Ipv4Packet
{
    public const int MinHeaderLength = 20;
    private readonly ReadOnlySpan<byte> _b;

    private Ipv4Packet(ReadOnlySpan<byte> b) => _b = b;

    public static bool TryParse(ReadOnlySpan<byte> buffer, out Ipv4Packet packet)
    {
        packet = default;
        if (buffer.Length < MinHeaderLength || buffer[0] >> 4 != 4) return false;
        var ihl = (buffer[0] & 0x0F) * 4;
        if (ihl < MinHeaderLength || buffer.Length < ihl) return false;
        int total = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        // A zero total length is what segmentation offload leaves in captures; trust the buffer then.
        if (total == 0) total = buffer.Length;
        if (total < ihl) return false;
        packet = new Ipv4Packet(buffer[..Math.Min(total, buffer.Length)]);
        return true;
    }

    public int HeaderLength => (_b[0] & 0x0F) * 4;
    public byte Tos => _b[1];
    public ushort TotalLength => BinaryPrimitives.ReadUInt16BigEndian(_b[2..]);
    public ushort Identification => BinaryPrimitives.ReadUInt16BigEndian(_b[4..]);
    public bool DontFragment => (_b[6] & 0x40) != 0;
    public bool MoreFragments => (_b[6] & 0x20) != 0;
    public int FragmentOffset => (BinaryPrimitives.ReadUInt16BigEndian(_b[6..]) & 0x1FFF) * 8;
    public bool IsFragment => MoreFragments || FragmentOffset != 0;
    public byte Ttl => _b[8];
    public IpProtocol Protocol => (IpProtocol)_b[9];
    public ushort HeaderChecksum => BinaryPrimitives.ReadUInt16BigEndian(_b[10..]);
    public ReadOnlySpan<byte> Source => _b.Slice(12, 4);
    public ReadOnlySpan<byte> Destination => _b.Slice(16, 4);
    public ReadOnlySpan<byte> Header => _b[..HeaderLength];
    public ReadOnlySpan<byte> Payload => _b[HeaderLength..];
    /// <summary>True when the whole datagram is in the buffer (a capture may have cut it).</summary>
    public bool IsComplete => _b.Length >= TotalLength;
    public bool HeaderChecksumValid => InternetChecksum.Compute(Header) == 0;

    /// <summary>Writes a 20-byte header (no options) with its checksum; returns the header length.</summary>
    public static int WriteHeader(Span<byte> buffer, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, IpProtocol protocol,
        int payloadLength, ushort identification = 0, byte ttl = 64, bool dontFragment = true, byte tos = 0)
    {
        buffer[0] = 0x45;
        buffer[1] = tos;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], checked((ushort)(MinHeaderLength + payloadLength)));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[4..], identification);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[6..], (ushort)(dontFragment ? 0x4000 : 0));
        buffer[8] = ttl;
        buffer[9] = (byte)protocol;
        buffer[10] = buffer[11] = 0;
        source.CopyTo(buffer[12..]);
        destination.CopyTo(buffer[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[10..], InternetChecksum.Compute(buffer[..MinHeaderLength]));
        return MinHeaderLength;
    }
}
