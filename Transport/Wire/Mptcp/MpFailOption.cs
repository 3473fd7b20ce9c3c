namespace MptcpActors.Transport.Wire.Mptcp;

/// <summary>MP_FAIL (RFC 8684 3.7): the 64-bit DSN at which a checksum failed; length 12.</summary>
public readonly record struct MpFailOption(ulong DataSequenceNumber, ushort Reserved = 0) : IMptcpOption
{
    public MptcpSubtype Subtype => MptcpSubtype.MpFail;
    public int Length => ReservedAnd64BitOption.Length;

    public void WriteTo(Span<byte> d) => ReservedAnd64BitOption.Write(d, Subtype, Reserved, DataSequenceNumber);

    public static MptcpOptionError Read(ReadOnlySpan<byte> raw, out MpFailOption option)
    {
        var e = ReservedAnd64BitOption.Read(raw, MptcpSubtype.MpFail, out var dsn, out var reserved);
        option = e == MptcpOptionError.None ? new MpFailOption(dsn, reserved) : default;
        return e;
    }
}
