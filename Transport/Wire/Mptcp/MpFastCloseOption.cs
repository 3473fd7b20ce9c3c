using System.Buffers.Binary;

namespace MptcpActors.Transport.Wire.Mptcp;

/// <summary>MP_FASTCLOSE (RFC 8684 3.5): the receiver's key, proving the sender knows the connection; length 12.</summary>
public readonly record struct MpFastCloseOption(ulong ReceiverKey, ushort Reserved = 0) : IMptcpOption
{
    public MptcpSubtype Subtype => MptcpSubtype.MpFastClose;
    public int Length => 12;

    public void WriteTo(Span<byte> d)
    {
        MptcpOptionHeader.Write(d, 12, Subtype, (byte)(Reserved >> 8));
        d[3] = (byte)Reserved;
        BinaryPrimitives.WriteUInt64BigEndian(d[4..], ReceiverKey);
    }

    public static MptcpOptionError Read(ReadOnlySpan<byte> raw, out MpFastCloseOption option)
    {
        option = default;
        var e = MptcpOptionHeader.Check(raw, MptcpSubtype.MpFastClose);
        if (e != MptcpOptionError.None) return e;
        if (raw.Length != 12) return MptcpOptionError.BadLength;
        option = new MpFastCloseOption(BinaryPrimitives.ReadUInt64BigEndian(raw[4..]), (ushort)(MptcpOptionHeader.Nibble(raw) << 8 | raw[3]));
        return MptcpOptionError.None;
    }
}
