namespace MptcpActors.Transport.Wire.Mptcp;

/// <summary>REMOVE_ADDR (RFC 8684 3.4.2): one or more address IDs, held inline in five words.</summary>
public readonly record struct RemoveAddrOption : IMptcpOption
{
    /// <summary>The most IDs a 40-byte options area can carry after kind, length and subtype.</summary>
    public const int MaxIds = 37;

    private readonly ulong _w0, _w1, _w2, _w3, _w4;

    public RemoveAddrOption(ReadOnlySpan<byte> addressIds, byte flags = 0)
    {
        if (addressIds.Length is 0 or > MaxIds)
            throw new ArgumentOutOfRangeException(nameof(addressIds), addressIds.Length, "REMOVE_ADDR carries 1 to 37 ids");
        Span<ulong> w = stackalloc ulong[5];
        for (var i = 0; i < addressIds.Length; i++) w[i / 8] |= (ulong)addressIds[i] << (i % 8 * 8);
        (_w0, _w1, _w2, _w3, _w4) = (w[0], w[1], w[2], w[3], w[4]);
        Count = (byte)addressIds.Length;
        Flags = flags;
    }

    public byte Flags { get; }
    public byte Count { get; }
    public MptcpSubtype Subtype => MptcpSubtype.RemoveAddr;
    public int Length => 3 + Count;

    public byte this[int index]
    {
        get
        {
            if ((uint)index >= Count) throw new ArgumentOutOfRangeException(nameof(index));
            var word = (index / 8) switch { 0 => _w0, 1 => _w1, 2 => _w2, 3 => _w3, _ => _w4 };
            return (byte)(word >> (index % 8 * 8));
        }
    }

    public int CopyIdsTo(Span<byte> destination)
    {
        for (var i = 0; i < Count; i++) destination[i] = this[i];
        return Count;
    }

    public void WriteTo(Span<byte> d)
    {
        MptcpOptionHeader.Write(d, Length, Subtype, Flags);
        CopyIdsTo(d[3..]);
    }

    public static MptcpOptionError Read(ReadOnlySpan<byte> raw, out RemoveAddrOption option)
    {
        option = default;
        var e = MptcpOptionHeader.Check(raw, MptcpSubtype.RemoveAddr);
        if (e != MptcpOptionError.None) return e;
        if (raw.Length is < 4 or > 3 + MaxIds) return MptcpOptionError.BadLength;
        option = new RemoveAddrOption(raw[3..], MptcpOptionHeader.Nibble(raw));
        return MptcpOptionError.None;
    }
}
