using System.Buffers.Binary;

namespace MptcpActors.Transport.Wire.Mptcp;

/// <summary>
/// MP_CAPABLE (RFC 8684 3.1). v1 lengths: 4 (SYN), 12 (SYN/ACK: sender's key), 20 (third ACK: both keys),
/// 22 (first data: + data-level length), 24 (+ DSS checksum). v0 (RFC 6824) uses 12 and 20.
/// </summary>
public readonly record struct MpCapableOption(
    byte Version,
    byte Flags,
    ulong? SenderKey = null,
    ulong? ReceiverKey = null,
    ushort? DataLevelLength = null,
    ushort? Checksum = null) : IMptcpOption
{
    /// <summary>A: the sender requires DSS checksums.</summary>
    public const byte FlagChecksumRequired = 0x80;
    /// <summary>B: extensibility.</summary>
    public const byte FlagExtensibility = 0x40;
    /// <summary>C: do not attempt to open subflows to the source address.</summary>
    public const byte FlagNoSourceAddress = 0x20;
    /// <summary>H: HMAC-SHA256, the only algorithm defined.</summary>
    public const byte FlagHmacSha256 = 0x01;

    public MptcpSubtype Subtype => MptcpSubtype.MpCapable;
    public bool ChecksumRequired => (Flags & FlagChecksumRequired) != 0;

    public int Length =>
        Checksum.HasValue ? 24 : DataLevelLength.HasValue ? 22 : ReceiverKey.HasValue ? 20 : SenderKey.HasValue ? 12 : 4;

    public void WriteTo(Span<byte> d)
    {
        var len = Length;
        MptcpOptionHeader.Write(d, len, Subtype, Version);
        d[3] = Flags;
        if (len >= 12) BinaryPrimitives.WriteUInt64BigEndian(d[4..], SenderKey!.Value);
        if (len >= 20) BinaryPrimitives.WriteUInt64BigEndian(d[12..], ReceiverKey!.Value);
        if (len >= 22) BinaryPrimitives.WriteUInt16BigEndian(d[20..], DataLevelLength!.Value);
        if (len >= 24) BinaryPrimitives.WriteUInt16BigEndian(d[22..], Checksum!.Value);
    }

    public static MptcpOptionError Read(ReadOnlySpan<byte> raw, out MpCapableOption option)
    {
        option = default;
        var e = MptcpOptionHeader.Check(raw, MptcpSubtype.MpCapable);
        if (e != MptcpOptionError.None) return e;
        if (raw.Length < 4) return MptcpOptionError.BadLength;
        var version = MptcpOptionHeader.Nibble(raw);
        if (version > 1) return MptcpOptionError.UnsupportedVersion;
        var len = raw.Length;
        if (version == 0 ? len is not (12 or 20) : len is not (4 or 12 or 20 or 22 or 24)) return MptcpOptionError.BadLength;
        option = new MpCapableOption(version, raw[3],
            len >= 12 ? BinaryPrimitives.ReadUInt64BigEndian(raw[4..]) : null,
            len >= 20 ? BinaryPrimitives.ReadUInt64BigEndian(raw[12..]) : null,
            len >= 22 ? BinaryPrimitives.ReadUInt16BigEndian(raw[20..]) : null,
            len >= 24 ? BinaryPrimitives.ReadUInt16BigEndian(raw[22..]) : null);
        return MptcpOptionError.None;
    }
}
