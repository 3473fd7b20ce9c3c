using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Transport.Wire.Tcp;

/// <summary>How to check one option kind: its name and whether a received option of that kind is well-formed.</summary>
public interface ITcpOptionCodec
{
    TcpOptionKind Kind { get; }
    string Name { get; }
    bool IsValid(ReadOnlySpan<byte> raw);
}

/// <summary>
/// The option kinds the engine understands, by kind. MPTCP is one entry among MSS, window scale, SACK and timestamps;
/// a kind nobody registered is carried byte-exact and never rejected (RFC 9293 3.2: unknown options are ignored).
/// </summary>
public sealed class TcpOptionRegistry
{
    private readonly ITcpOptionCodec?[] _codecs = new ITcpOptionCodec?[256];

    public static TcpOptionRegistry Default { get; } = CreateDefault();

    public static TcpOptionRegistry CreateDefault()
    {
        var r = new TcpOptionRegistry();
        r.Register(new FixedLengthCodec(TcpOptionKind.MaximumSegmentSize, "MSS", TcpOptions.MssLength));
        r.Register(new FixedLengthCodec(TcpOptionKind.WindowScale, "window scale", TcpOptions.WindowScaleLength));
        r.Register(new FixedLengthCodec(TcpOptionKind.SackPermitted, "SACK permitted", TcpOptions.SackPermittedLength));
        r.Register(new FixedLengthCodec(TcpOptionKind.Timestamps, "timestamps", TcpOptions.TimestampsLength));
        r.Register(new SackCodec());
        r.Register(new MptcpCodec());
        return r;
    }

    /// <summary>Adds or replaces the codec of a kind (an experiment, TCP-AO, ...).</summary>
    public void Register(ITcpOptionCodec codec) => _codecs[(byte)codec.Kind] = codec;

    public ITcpOptionCodec? Find(TcpOptionKind kind) => _codecs[(byte)kind];

    public string NameOf(TcpOptionKind kind) => _codecs[(byte)kind]?.Name ?? $"kind {(byte)kind}";

    /// <summary>False only for a registered kind whose bytes break its rules; NOP, EOL and unknown kinds are always valid.</summary>
    public bool IsValid(TcpOption option) => _codecs[(byte)option.Kind] is not { } c || c.IsValid(option.Raw);

    private sealed class FixedLengthCodec(TcpOptionKind kind, string name, int length) : ITcpOptionCodec
    {
        public TcpOptionKind Kind => kind;
        public string Name => name;
        public bool IsValid(ReadOnlySpan<byte> raw) => raw.Length == length;
    }

    private sealed class SackCodec : ITcpOptionCodec
    {
        public TcpOptionKind Kind => TcpOptionKind.Sack;
        public string Name => "SACK";
        public bool IsValid(ReadOnlySpan<byte> raw) => raw.Length >= 10 && (raw.Length - 2) % 8 == 0;
    }

    private sealed class MptcpCodec : ITcpOptionCodec
    {
        public TcpOptionKind Kind => TcpOptionKind.Mptcp;
        public string Name => "MPTCP";
        public bool IsValid(ReadOnlySpan<byte> raw) => MptcpOptionHeader.Validate(raw) == MptcpOptionError.None;
    }
}
