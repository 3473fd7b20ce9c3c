namespace MptcpActors.Transport.Wire.Mptcp;

/// <summary>MP_PRIO (RFC 8684 3.3.8): the B bit; v1 has length 3, RFC 6824's form adds an address ID (length 4).</summary>
public readonly record struct MpPrioOption(byte Flags, byte? AddressId = null) : IMptcpOption
{
    public const byte FlagBackup = 0x01;

    public MptcpSubtype Subtype => MptcpSubtype.MpPrio;
    public bool Backup => (Flags & FlagBackup) != 0;
    public int Length => AddressId.HasValue ? 4 : 3;

    public void WriteTo(Span<byte> d)
    {
        MptcpOptionHeader.Write(d, Length, Subtype, Flags);
        if (AddressId.HasValue) d[3] = AddressId.Value;
    }

    public static MptcpOptionError Read(ReadOnlySpan<byte> raw, out MpPrioOption option)
    {
        option = default;
        var e = MptcpOptionHeader.Check(raw, MptcpSubtype.MpPrio);
        if (e != MptcpOptionError.None) return e;
        if (raw.Length is not (3 or 4)) return MptcpOptionError.BadLength;
        option = new MpPrioOption(MptcpOptionHeader.Nibble(raw), raw.Length == 4 ? raw[3] : null);
        return MptcpOptionError.None;
    }
}
