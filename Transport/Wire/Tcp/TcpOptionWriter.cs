namespace MptcpActors.Transport.Wire.Tcp;

/// <summary>
/// Builds a TCP options area the way Linux's tcp_options_write does: every option sits in 32-bit words, padded with
/// NOPs (SACK-permitted shares its word with the timestamps' leading NOPs), and nothing exceeds 40 bytes.
/// Each Try method writes nothing and returns false when the option would not fit.
/// </summary>
public ref struct TcpOptionWriter
{
    private readonly Span<byte> _buffer;

    public TcpOptionWriter(Span<byte> buffer)
    {
        _buffer = buffer.Length > TcpSegment.MaxOptionsLength ? buffer[..TcpSegment.MaxOptionsLength] : buffer;
        Length = 0;
    }

    public int Length { get; private set; }
    public readonly int Remaining => _buffer.Length - Length;
    public readonly ReadOnlySpan<byte> Written => _buffer[..Length];

    public bool TryWriteMss(ushort mss)
    {
        if (!Reserve(4, out var s)) return false;
        TcpOptions.WriteMss(s, mss);
        return true;
    }

    /// <summary>Timestamps, led by SACK-permitted (on a SYN) or by two NOPs.</summary>
    public bool TryWriteTimestamps(uint value, uint echoReply, bool sackPermitted = false)
    {
        if (!Reserve(12, out var s)) return false;
        if (sackPermitted) TcpOptions.WriteSackPermitted(s);
        else s[0] = s[1] = (byte)TcpOptionKind.NoOperation;
        TcpOptions.WriteTimestamps(s[2..], value, echoReply);
        return true;
    }

    /// <summary>SACK-permitted on its own (when timestamps are off).</summary>
    public bool TryWriteSackPermitted()
    {
        if (!Reserve(4, out var s)) return false;
        s[0] = s[1] = (byte)TcpOptionKind.NoOperation;
        TcpOptions.WriteSackPermitted(s[2..]);
        return true;
    }

    public bool TryWriteWindowScale(byte shift)
    {
        if (!Reserve(4, out var s)) return false;
        s[0] = (byte)TcpOptionKind.NoOperation;
        TcpOptions.WriteWindowScale(s[1..], shift);
        return true;
    }

    /// <summary>Writes as many SACK blocks as fit (at most 4); returns how many were written.</summary>
    public int WriteSackBlocks(scoped ReadOnlySpan<SackBlock> blocks)
    {
        var n = Math.Min(Math.Min(blocks.Length, 4), (Remaining - 4) / 8);
        if (n <= 0) return 0;
        Reserve(4 + n * 8, out var s);
        s[0] = s[1] = (byte)TcpOptionKind.NoOperation;
        TcpOptions.WriteSackBlocks(s[2..], blocks[..n]);
        return n;
    }

    /// <summary>Any option, byte for byte (an unknown kind is carried unchanged), padded with NOPs to a word.</summary>
    public bool TryWriteRaw(scoped ReadOnlySpan<byte> option)
    {
        if (!Reserve(Align(option.Length), out var s)) return false;
        option.CopyTo(s);
        s[option.Length..].Fill((byte)TcpOptionKind.NoOperation);
        return true;
    }

    /// <summary>An MPTCP option, padded with NOPs after it like mptcp_write_options (or left unaligned, to reproduce a received header).</summary>
    public bool TryWrite<T>(in T option, bool pad = true) where T : struct, Mptcp.IMptcpOption
    {
        var len = option.Length;
        if (!pad)
        {
            if (Remaining < len) return false;
            option.WriteTo(_buffer[Length..]);
            Length += len;
            return true;
        }
        if (!Reserve(Align(len), out var s)) return false;
        option.WriteTo(s);
        s[len..].Fill((byte)TcpOptionKind.NoOperation);
        return true;
    }

    /// <summary>Unaligned single bytes, for reproducing a received header exactly; <see cref="Finish"/> pads what is left.</summary>
    public bool TryWriteByte(TcpOptionKind kind)
    {
        if (Remaining < 1) return false;
        _buffer[Length++] = (byte)kind;
        return true;
    }

    public bool TryWriteUnaligned(scoped ReadOnlySpan<byte> option)
    {
        if (Remaining < option.Length) return false;
        option.CopyTo(_buffer[Length..]);
        Length += option.Length;
        return true;
    }

    /// <summary>Pads with EOL to a multiple of 4 and returns the options length to put in the data offset.</summary>
    public int Finish()
    {
        var padded = Align(Length);
        _buffer[Length..padded].Clear();
        Length = padded;
        return Length;
    }

    private static int Align(int n) => (n + 3) & ~3;

    private bool Reserve(int n, out Span<byte> slot)
    {
        // Aligned writers start on a word boundary; an unaligned prefix is padded with NOPs first.
        var start = Align(Length);
        if (start + n > _buffer.Length)
        {
            slot = default;
            return false;
        }
        _buffer[Length..start].Fill((byte)TcpOptionKind.NoOperation);
        slot = _buffer.Slice(start, n);
        Length = start + n;
        return true;
    }
}
