using System.Buffers.Binary;

namespace MptcpActors.Transport.Wire.Mptcp;

/// <summary>
/// Data Sequence Signal (RFC 8684 3.3): DATA_ACK (4 or 8 bytes), a mapping (DSN of 4 or 8 bytes, subflow sequence
/// number relative to the subflow's ISN, data-level length, optional checksum) and DATA_FIN. The flags byte is kept
/// whole so reserved bits survive a round trip.
/// </summary>
public readonly record struct DssOption(
    byte Flags,
    ulong DataAck = 0,
    ulong DataSequenceNumber = 0,
    uint SubflowSequenceNumber = 0,
    ushort DataLevelLength = 0,
    ushort? Checksum = null,
    byte Reserved = 0) : IMptcpOption
{
    public const byte FlagDataAckPresent = 0x01;
    public const byte FlagDataAck8 = 0x02;
    public const byte FlagMappingPresent = 0x04;
    public const byte FlagDsn8 = 0x08;
    public const byte FlagDataFin = 0x10;

    public MptcpSubtype Subtype => MptcpSubtype.Dss;
    public bool HasDataAck => (Flags & FlagDataAckPresent) != 0;
    public bool DataAckIs64 => (Flags & FlagDataAck8) != 0;
    public bool HasMapping => (Flags & FlagMappingPresent) != 0;
    public bool DsnIs64 => (Flags & FlagDsn8) != 0;
    public bool DataFin => (Flags & FlagDataFin) != 0;
    /// <summary>A mapping with data-level length 0 is the infinite mapping (RFC 8684 3.3.1).</summary>
    public bool IsInfiniteMapping => HasMapping && DataLevelLength == 0;

    public int Length => LengthFor(Flags, Checksum.HasValue);

    public static int LengthFor(byte flags, bool checksum)
    {
        var n = 4;
        if ((flags & FlagDataAckPresent) != 0) n += (flags & FlagDataAck8) != 0 ? 8 : 4;
        if ((flags & FlagMappingPresent) != 0) n += ((flags & FlagDsn8) != 0 ? 8 : 4) + 4 + 2 + (checksum ? 2 : 0);
        return n;
    }

    public static DssOption Create(ulong? dataAck = null, ulong? dsn = null, uint subflowSeq = 0, ushort dataLevelLength = 0,
        ushort? checksum = null, bool dataFin = false, bool ack64 = true, bool dsn64 = true)
    {
        byte flags = 0;
        if (dataAck.HasValue) flags |= (byte)(FlagDataAckPresent | (ack64 ? FlagDataAck8 : 0));
        if (dsn.HasValue) flags |= (byte)(FlagMappingPresent | (dsn64 ? FlagDsn8 : 0));
        if (dataFin) flags |= FlagDataFin;
        return new DssOption(flags, dataAck ?? 0, dsn ?? 0, subflowSeq, dataLevelLength, dsn.HasValue ? checksum : null);
    }

    public void WriteTo(Span<byte> d)
    {
        MptcpOptionHeader.Write(d, Length, Subtype, Reserved);
        d[3] = Flags;
        var o = 4;
        if (HasDataAck) o += WriteSeq(d[o..], DataAck, DataAckIs64);
        if (!HasMapping) return;
        o += WriteSeq(d[o..], DataSequenceNumber, DsnIs64);
        BinaryPrimitives.WriteUInt32BigEndian(d[o..], SubflowSequenceNumber);
        BinaryPrimitives.WriteUInt16BigEndian(d[(o + 4)..], DataLevelLength);
        if (Checksum.HasValue) BinaryPrimitives.WriteUInt16BigEndian(d[(o + 6)..], Checksum.Value);
    }

    private static int WriteSeq(Span<byte> d, ulong value, bool wide)
    {
        if (wide) BinaryPrimitives.WriteUInt64BigEndian(d, value);
        else BinaryPrimitives.WriteUInt32BigEndian(d, (uint)value);
        return wide ? 8 : 4;
    }

    public static MptcpOptionError Read(ReadOnlySpan<byte> raw, out DssOption option)
    {
        option = default;
        var e = MptcpOptionHeader.Check(raw, MptcpSubtype.Dss);
        if (e != MptcpOptionError.None) return e;
        if (raw.Length < 4) return MptcpOptionError.BadLength;
        var flags = raw[3];
        var plain = LengthFor(flags, false);
        var withChecksum = (flags & FlagMappingPresent) != 0 && raw.Length == plain + 2;
        if (raw.Length != plain && !withChecksum) return MptcpOptionError.BadLength;
        var o = 4;
        ulong ack = 0, dsn = 0;
        uint ssn = 0;
        ushort dll = 0;
        ushort? csum = null;
        if ((flags & FlagDataAckPresent) != 0) o += ReadSeq(raw[o..], (flags & FlagDataAck8) != 0, out ack);
        if ((flags & FlagMappingPresent) != 0)
        {
            o += ReadSeq(raw[o..], (flags & FlagDsn8) != 0, out dsn);
            ssn = BinaryPrimitives.ReadUInt32BigEndian(raw[o..]);
            dll = BinaryPrimitives.ReadUInt16BigEndian(raw[(o + 4)..]);
            if (withChecksum) csum = BinaryPrimitives.ReadUInt16BigEndian(raw[(o + 6)..]);
        }
        option = new DssOption(flags, ack, dsn, ssn, dll, csum, MptcpOptionHeader.Nibble(raw));
        return MptcpOptionError.None;
    }

    private static int ReadSeq(ReadOnlySpan<byte> s, bool wide, out ulong value)
    {
        value = wide ? BinaryPrimitives.ReadUInt64BigEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);
        return wide ? 8 : 4;
    }
}
