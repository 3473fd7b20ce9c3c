namespace MptcpActors.Transport.Wire.Tcp;

/// <summary>
/// Walks the options area of a TCP header without copying. A malformed option ends the walk and is reported in
/// <see cref="Error"/> with its offset (RFC 9293 3.1: a receiver must not crash on a bad option length).
/// </summary>
public ref struct TcpOptionReader
{
    private readonly ReadOnlySpan<byte> _options;
    private int _offset;

    public TcpOptionReader(ReadOnlySpan<byte> options)
    {
        _options = options;
        _offset = 0;
        Current = default;
        Error = TcpOptionError.None;
        ErrorOffset = -1;
    }

    public TcpOption Current { get; private set; }
    public TcpOptionError Error { get; private set; }
    public int ErrorOffset { get; private set; }
    /// <summary>Offset of <see cref="Current"/> within the options area.</summary>
    public int CurrentOffset { get; private set; }

    public readonly TcpOptionReader GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_offset >= _options.Length || Error != TcpOptionError.None) return false;
        var kind = (TcpOptionKind)_options[_offset];
        CurrentOffset = _offset;
        if (kind is TcpOptionKind.EndOfList or TcpOptionKind.NoOperation)
        {
            Current = new TcpOption(kind, _options.Slice(_offset, 1));
            // Everything after EOL is padding.
            _offset = kind == TcpOptionKind.EndOfList ? _options.Length : _offset + 1;
            return true;
        }
        if (_offset + 1 >= _options.Length) return Fail(TcpOptionError.Truncated);
        int length = _options[_offset + 1];
        if (length < 2) return Fail(TcpOptionError.LengthTooShort);
        if (_offset + length > _options.Length) return Fail(TcpOptionError.LengthPastHeader);
        Current = new TcpOption(kind, _options.Slice(_offset, length));
        _offset += length;
        return true;
    }

    private bool Fail(TcpOptionError error)
    {
        Error = error;
        ErrorOffset = _offset;
        return false;
    }
}
