namespace MptcpActors.Transport.Wire.Mptcp;

/// <summary>MP_TCPRST (RFC 8684 3.6): flags U/V/W/T and the reason a subflow was reset; length 4.</summary>
public readonly record struct MpTcpRstOption(byte Flags, MpTcpRstReason Reason) : IMptcpOption
{
    /// <summary>T: the error is transient, the sender may try again later.</summary>
    public const byte FlagTransient = 0x01;

    public MptcpSubtype Subtype => MptcpSubtype.MpTcpRst;
    public bool Transient => (Flags & FlagTransient) != 0;
    public int Length => 4;

    public void WriteTo(Span<byte> d)
    {
        MptcpOptionHeader.Write(d, 4, Subtype, Flags);
        d[3] = (byte)Reason;
    }

    public static MptcpOptionError Read(ReadOnlySpan<byte> raw, out MpTcpRstOption option)
    {
        option = default;
        var e = MptcpOptionHeader.Check(raw, MptcpSubtype.MpTcpRst);
        if (e != MptcpOptionError.None) return e;
        if (raw.Length != 4) return MptcpOptionError.BadLength;
        option = new MpTcpRstOption(MptcpOptionHeader.Nibble(raw), (MpTcpRstReason)raw[3]);
        return MptcpOptionError.None;
    }
}

/// <summary>MP_TCPRST reason codes (RFC 8684 3.6).</summary>
public enum MpTcpRstReason : byte
{
    Unspecified = 0x00,
    MptcpSpecific = 0x01,
    LackOfResources = 0x02,
    AdministrativelyProhibited = 0x03,
    TooMuchOutstandingData = 0x04,
    UnacceptablePerformance = 0x05,
    MiddleboxInterference = 0x06,
}
