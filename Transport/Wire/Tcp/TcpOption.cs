namespace MptcpActors.Transport.Wire.Tcp;

/// <summary>One option of a TCP header: its kind and its bytes (kind and length included), byte-exact as received.</summary>
public readonly ref struct TcpOption
{
    public TcpOption(TcpOptionKind kind, ReadOnlySpan<byte> raw)
    {
        Kind = kind;
        Raw = raw;
    }

    public TcpOptionKind Kind { get; }
    /// <summary>The whole option: kind, length and data; one byte for EOL and NOP.</summary>
    public ReadOnlySpan<byte> Raw { get; }
    public ReadOnlySpan<byte> Data => Raw.Length > 2 ? Raw[2..] : ReadOnlySpan<byte>.Empty;
}

public enum TcpOptionError : byte
{
    None,
    /// <summary>The length byte is missing (the option is the last byte of the header).</summary>
    Truncated,
    /// <summary>A length of 0 or 1, which cannot describe a kind-length option.</summary>
    LengthTooShort,
    /// <summary>The length runs past the end of the options area.</summary>
    LengthPastHeader,
}
