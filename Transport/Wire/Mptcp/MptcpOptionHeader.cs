namespace MptcpActors.Transport.Wire.Mptcp;

/// <summary>The three bytes every MPTCP option begins with, and the checks every reader shares.</summary>
public static class MptcpOptionHeader
{
    public const byte Kind = 30;

    public static MptcpOptionError Check(ReadOnlySpan<byte> raw, MptcpSubtype subtype)
    {
        if (raw.Length < 3 || raw[1] != raw.Length) return MptcpOptionError.Truncated;
        if (raw[0] != Kind) return MptcpOptionError.NotMptcp;
        return (MptcpSubtype)(raw[2] >> 4) == subtype ? MptcpOptionError.None : MptcpOptionError.UnknownSubtype;
    }

    public static MptcpSubtype SubtypeOf(ReadOnlySpan<byte> raw) => (MptcpSubtype)(raw[2] >> 4);

    /// <summary>The low nibble of the subtype byte: version for MP_CAPABLE, flags for the others.</summary>
    public static byte Nibble(ReadOnlySpan<byte> raw) => (byte)(raw[2] & 0x0F);

    public static void Write(Span<byte> destination, int length, MptcpSubtype subtype, byte nibble)
    {
        destination[0] = Kind;
        destination[1] = (byte)length;
        destination[2] = (byte)((byte)subtype << 4 | (nibble & 0x0F));
    }

    /// <summary>Checks any MPTCP option against its subtype's rules without decoding it into a value.</summary>
    public static MptcpOptionError Validate(ReadOnlySpan<byte> raw)
    {
        if (raw.Length < 3 || raw[1] != raw.Length) return MptcpOptionError.Truncated;
        if (raw[0] != Kind) return MptcpOptionError.NotMptcp;
        return SubtypeOf(raw) switch
        {
            MptcpSubtype.MpCapable => MpCapableOption.Read(raw, out _),
            MptcpSubtype.MpJoin => MpJoinOption.Read(raw, out _),
            MptcpSubtype.Dss => DssOption.Read(raw, out _),
            MptcpSubtype.AddAddr => AddAddrOption.Read(raw, out _),
            MptcpSubtype.RemoveAddr => RemoveAddrOption.Read(raw, out _),
            MptcpSubtype.MpPrio => MpPrioOption.Read(raw, out _),
            MptcpSubtype.MpFail => MpFailOption.Read(raw, out _),
            MptcpSubtype.MpFastClose => MpFastCloseOption.Read(raw, out _),
            MptcpSubtype.MpTcpRst => MpTcpRstOption.Read(raw, out _),
            _ => MptcpOptionError.UnknownSubtype,
        };
    }
}
