namespace MptcpActors.Transport.Wire.Mptcp;

/// <summary>MP_FASTCLOSE (RFC 8684 3.5): the receiver's key, proving the sender knows the connection; length 12.</summary>
public readonly record struct MpFastCloseOption(ulong ReceiverKey, ushort Reserved = 0) : IMptcpOption
{
    public MptcpSubtype Subtype => MptcpSubtype.MpFastClose;
    public int Length => ReservedAnd64BitOption.Length;

    public void WriteTo(Span<byte> d) => ReservedAnd64BitOption.Write(d, Subtype, Reserved, ReceiverKey);

    public static MptcpOptionError Read(ReadOnlySpan<byte> raw, out MpFastCloseOption option)
    {
        var e = ReservedAnd64BitOption.Read(raw, MptcpSubtype.MpFastClose, out var key, out var reserved);
        option = e == MptcpOptionError.None ? new MpFastCloseOption(key, reserved) : default;
        return e;
    }
}
