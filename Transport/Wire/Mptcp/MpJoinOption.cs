using System.Buffers.Binary;

namespace MptcpActors.Transport.Wire.Mptcp;

public enum MpJoinStage : byte
{
    /// <summary>SYN, 12 bytes: token of the receiver's key and the sender's random number.</summary>
    Syn,
    /// <summary>SYN/ACK, 16 bytes: truncated (leftmost 64 bits) HMAC and random number.</summary>
    SynAck,
    /// <summary>Third ACK, 24 bytes: 160 bits of HMAC.</summary>
    Ack,
}

/// <summary>The 160 HMAC bits of an MP_JOIN third ACK, held in three words so reading one allocates nothing.</summary>
public readonly record struct Hmac160(ulong First, ulong Second, uint Third)
{
    public const int Size = 20;

    /// <summary>The leftmost 160 bits of <paramref name="bytes"/>.</summary>
    public static Hmac160 From(ReadOnlySpan<byte> bytes) => new(BinaryPrimitives.ReadUInt64BigEndian(bytes),
        BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]));

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, First);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Second);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], Third);
    }

    public override string ToString() => $"{First:x16}{Second:x16}{Third:x8}";
}

/// <summary>MP_JOIN (RFC 8684 3.2). The low nibble of the subtype byte holds B (backup) and, on the ACK, reserved bits.</summary>
public readonly record struct MpJoinOption(
    MpJoinStage Stage,
    byte Flags,
    byte AddressId = 0,
    uint Token = 0,
    uint Nonce = 0,
    ulong TruncatedHmac = 0,
    Hmac160 Hmac = default,
    byte Reserved = 0) : IMptcpOption
{
    public const byte FlagBackup = 0x01;

    public MptcpSubtype Subtype => MptcpSubtype.MpJoin;
    public bool Backup => (Flags & FlagBackup) != 0;
    public int Length => Stage switch { MpJoinStage.Syn => 12, MpJoinStage.SynAck => 16, _ => 24 };

    public static MpJoinOption Syn(bool backup, byte addressId, uint token, uint nonce) =>
        new(MpJoinStage.Syn, backup ? FlagBackup : (byte)0, addressId, token, nonce);

    public static MpJoinOption SynAck(bool backup, byte addressId, ulong truncatedHmac, uint nonce) =>
        new(MpJoinStage.SynAck, backup ? FlagBackup : (byte)0, addressId, Nonce: nonce, TruncatedHmac: truncatedHmac);

    public static MpJoinOption Ack(ReadOnlySpan<byte> hmac) => new(MpJoinStage.Ack, 0, Hmac: Hmac160.From(hmac));

    public void WriteTo(Span<byte> d)
    {
        MptcpOptionHeader.Write(d, Length, Subtype, Flags);
        switch (Stage)
        {
            case MpJoinStage.Syn:
                d[3] = AddressId;
                BinaryPrimitives.WriteUInt32BigEndian(d[4..], Token);
                BinaryPrimitives.WriteUInt32BigEndian(d[8..], Nonce);
                break;
            case MpJoinStage.SynAck:
                d[3] = AddressId;
                BinaryPrimitives.WriteUInt64BigEndian(d[4..], TruncatedHmac);
                BinaryPrimitives.WriteUInt32BigEndian(d[12..], Nonce);
                break;
            default:
                d[3] = Reserved;
                Hmac.CopyTo(d[4..]);
                break;
        }
    }

    public static MptcpOptionError Read(ReadOnlySpan<byte> raw, out MpJoinOption option)
    {
        option = default;
        var e = MptcpOptionHeader.Check(raw, MptcpSubtype.MpJoin);
        if (e != MptcpOptionError.None) return e;
        var flags = MptcpOptionHeader.Nibble(raw);
        switch (raw.Length)
        {
            case 12:
                option = new MpJoinOption(MpJoinStage.Syn, flags, raw[3], BinaryPrimitives.ReadUInt32BigEndian(raw[4..]),
                    BinaryPrimitives.ReadUInt32BigEndian(raw[8..]));
                return MptcpOptionError.None;
            case 16:
                option = new MpJoinOption(MpJoinStage.SynAck, flags, raw[3], Nonce: BinaryPrimitives.ReadUInt32BigEndian(raw[12..]),
                    TruncatedHmac: BinaryPrimitives.ReadUInt64BigEndian(raw[4..]));
                return MptcpOptionError.None;
            case 24:
                option = new MpJoinOption(MpJoinStage.Ack, flags, Hmac: Hmac160.From(raw[4..]), Reserved: raw[3]);
                return MptcpOptionError.None;
            default:
                return MptcpOptionError.BadLength;
        }
    }
}
