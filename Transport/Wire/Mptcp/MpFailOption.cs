using System.Buffers.Binary;

namespace MptcpActors.Transport.Wire.Mptcp;

/// <summary>MP_FAIL (RFC 8684 3.7): the 64-bit DSN at which a checksum failed; length 12.</summary>
public readonly record struct MpFailOption(ulong DataSequenceNumber, ushort Reserved = 0) : IMptcpOption
{
    public MptcpSubtype Subtype => MptcpSubtype.MpFail;
    public int Length => 12;

    public void WriteTo(Span<byte> d)
    {
        MptcpOptionHeader.Write(d, 12, Subtype, (byte)(Reserved >> 8));
        d[3] = (byte)Reserved;
        BinaryPrimitives.WriteUInt64BigEndian(d[4..], DataSequenceNumber);
    }

    public static MptcpOptionError Read(ReadOnlySpan<byte> raw, out MpFailOption option)
    {
        option = default;
        var e = MptcpOptionHeader.Check(raw, MptcpSubtype.MpFail);
        if (e != MptcpOptionError.None) return e;
        if (raw.Length != 12) return MptcpOptionError.BadLength;
        option = new MpFailOption(BinaryPrimitives.ReadUInt64BigEndian(raw[4..]), (ushort)(MptcpOptionHeader.Nibble(raw) << 8 | raw[3]));
        return MptcpOptionError.None;
    }
}
