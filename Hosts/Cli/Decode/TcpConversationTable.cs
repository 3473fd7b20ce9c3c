namespace MptcpActors.Cli.Decode;

/// <summary>One TCP conversation (tshark's tcp.stream): both directions of a 4-tuple until the ports are reused by a new SYN.</summary>
public sealed class TcpConversation(int stream, string first)
{
    public int Stream { get; } = stream;
    /// <summary>The endpoint (address and port) that sent the first frame seen; it defines direction A.</summary>
    public string First { get; } = first;
    public uint? SynSequenceA { get; set; }
    public uint? SynSequenceB { get; set; }
    public FlowMeta MetaA { get; } = new();
    public FlowMeta MetaB { get; } = new();
    public MptcpConnectionInfo? Mptcp { get; set; }

    public bool IsA(string source) => source == First;
    public FlowMeta Forward(string source) => IsA(source) ? MetaA : MetaB;
    public FlowMeta Reverse(string source) => IsA(source) ? MetaB : MetaA;
}

public sealed class TcpConversationTable
{
    private readonly Dictionary<string, TcpConversation> _byTuple = [];
    private int _next;

    /// <summary>
    /// The conversation of a segment. A SYN without ACK whose sequence number differs from the SYN already seen in
    /// that direction starts a new conversation (the ports were reused), as tshark does.
    /// </summary>
    public TcpConversation Find(string source, string destination, bool pureSyn, uint seq)
    {
        var key = string.CompareOrdinal(source, destination) < 0 ? source + "|" + destination : destination + "|" + source;
        if (_byTuple.TryGetValue(key, out var c))
        {
            var seen = c.IsA(source) ? c.SynSequenceA : c.SynSequenceB;
            if (!pureSyn || seen is null || seen == seq)
            {
                Record(c, source, pureSyn, seq);
                return c;
            }
        }
        c = new TcpConversation(_next++, source);
        _byTuple[key] = c;
        Record(c, source, pureSyn, seq);
        return c;
    }

    private static void Record(TcpConversation c, string source, bool pureSyn, uint seq)
    {
        if (!pureSyn) return;
        if (c.IsA(source)) c.SynSequenceA ??= seq;
        else c.SynSequenceB ??= seq;
    }
}
