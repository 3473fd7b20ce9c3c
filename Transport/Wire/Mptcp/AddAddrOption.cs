using System.Buffers.Binary;

namespace MptcpActors.Transport.Wire.Mptcp;

/// <summary>
/// ADD_ADDR (RFC 8684 3.4.1). The address family and the presence of port and HMAC follow from the length:
/// IPv4 8/10/16/18, IPv6 20/22/28/30 (port when length % 4 == 2; HMAC in the longer forms). The echo (E bit) carries no HMAC.
/// </summary>
public readonly record struct AddAddrOption(
    byte Flags,
    byte AddressId,
    IpAddressBytes Address,
    ushort? Port = null,
    ulong? TruncatedHmac = null) : IMptcpOption
{
    public const byte FlagEcho = 0x01;

    public MptcpSubtype Subtype => MptcpSubtype.AddAddr;
    public bool Echo => (Flags & FlagEcho) != 0;
    public int Length => 4 + Address.Length + (Port.HasValue ? 2 : 0) + (TruncatedHmac.HasValue ? 8 : 0);

    public void WriteTo(Span<byte> d)
    {
        MptcpOptionHeader.Write(d, Length, Subtype, Flags);
        d[3] = AddressId;
        Address.CopyTo(d[4..]);
        var o = 4 + Address.Length;
        if (Port.HasValue)
        {
            BinaryPrimitives.WriteUInt16BigEndian(d[o..], Port.Value);
            o += 2;
        }
        if (TruncatedHmac.HasValue) BinaryPrimitives.WriteUInt64BigEndian(d[o..], TruncatedHmac.Value);
    }

    public static MptcpOptionError Read(ReadOnlySpan<byte> raw, out AddAddrOption option)
    {
        option = default;
        var e = MptcpOptionHeader.Check(raw, MptcpSubtype.AddAddr);
        if (e != MptcpOptionError.None) return e;
        int addrLen;
        switch (raw.Length)
        {
            case 8 or 10 or 16 or 18: addrLen = 4; break;
            case 20 or 22 or 28 or 30: addrLen = 16; break;
            default: return MptcpOptionError.BadLength;
        }
        var hasPort = raw.Length % 4 == 2;
        var hasHmac = raw.Length - 4 - addrLen - (hasPort ? 2 : 0) == 8;
        var o = 4 + addrLen;
        ushort? port = hasPort ? BinaryPrimitives.ReadUInt16BigEndian(raw[o..]) : null;
        if (hasPort) o += 2;
        ulong? hmac = hasHmac ? BinaryPrimitives.ReadUInt64BigEndian(raw[o..]) : null;
        option = new AddAddrOption(MptcpOptionHeader.Nibble(raw), raw[3], new IpAddressBytes(raw.Slice(4, addrLen)), port, hmac);
        return MptcpOptionError.None;
    }
}
