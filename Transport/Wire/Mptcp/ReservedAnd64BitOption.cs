using System.Buffers.Binary;

namespace MptcpActors.Transport.Wire.Mptcp;

/// <summary>
/// The layout MP_FAIL (RFC 8684 3.7) and MP_FASTCLOSE (3.5) share: the header, 12 reserved bits (kept as read so a
/// capture re-encodes byte for byte), then one 64-bit value; length 12.
/// </summary>
internal static class ReservedAnd64BitOption
{
    public const int Length = 12;

    public static void Write(Span<byte> d, MptcpSubtype subtype, ushort reserved, ulong value)
    {
        MptcpOptionHeader.Write(d, Length, subtype, (byte)(reserved >> 8));
        d[3] = (byte)reserved;
        BinaryPrimitives.WriteUInt64BigEndian(d[4..], value);
    }

    public static MptcpOptionError Read(ReadOnlySpan<byte> raw, MptcpSubtype subtype, out ulong value, out ushort reserved)
    {
        value = 0;
        reserved = 0;
        var e = MptcpOptionHeader.Check(raw, subtype);
        if (e != MptcpOptionError.None) return e;
        if (raw.Length != Length) return MptcpOptionError.BadLength;
        value = BinaryPrimitives.ReadUInt64BigEndian(raw[4..]);
        reserved = (ushort)(MptcpOptionHeader.Nibble(raw) << 8 | raw[3]);
        return MptcpOptionError.None;
    }
}
