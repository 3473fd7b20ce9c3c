namespace MptcpActors.Cli.Decode;

/// <summary>The tshark field names <c>mptcp decode</c> knows, in its default column order (CLI.md).</summary>
public static class DecodeFields
{
    public static readonly string[] Default =
    [
        "frame.number", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw",
        "tcp.flags", "tcp.len", "tcp.options", "tcp.options.mptcp.subtype", "tcp.options.mptcp.version", "tcp.options.mptcp.flags",
        "tcp.options.mptcp.sendkey", "tcp.options.mptcp.recvkey", "tcp.options.mptcp.recvtok", "tcp.options.mptcp.sendrand",
        "tcp.options.mptcp.sendtrunchmac", "tcp.options.mptcp.sendhmac", "tcp.options.mptcp.addrid", "tcp.options.mptcp.backup.flag",
        "tcp.options.mptcp.rawdataack", "tcp.options.mptcp.rawdataseqno", "tcp.options.mptcp.subflowseqno",
        "tcp.options.mptcp.datalvllen", "tcp.options.mptcp.checksum", "tcp.options.mptcp.datafin.flag", "tcp.options.mptcp.echo",
        "tcp.options.mptcp.ipv4", "tcp.options.mptcp.ipv6", "tcp.options.mptcp.port", "tcp.options.mptcp.addaddrtrunchmac",
        "tcp.options.mptcp.rst_reason", "mptcp.expected_token", "mptcp.expected_idsn", "mptcp.stream",
    ];

    /// <summary>Fields beyond the default columns, in tshark's names and formats.</summary>
    public static readonly string[] Extra =
    [
        "frame.len", "frame.cap_len", "ip.proto", "ip.ttl", "ip.id", "ipv6.hlim", "ipv6.flow", "tcp.hdr_len", "tcp.window_size_value",
        "tcp.checksum", "tcp.urgent_pointer", "tcp.stream", "tcp.options.mss_val", "tcp.options.wscale.shift",
        "tcp.options.timestamp.tsval", "tcp.options.timestamp.tsecr", "tcp.options.sack_le", "tcp.options.sack_re",
        "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset", "tcp.flags.push",
    ];

    private static readonly Dictionary<string, int> Index = Default.Concat(Extra)
        .Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i, StringComparer.Ordinal);

    public static int Count => Index.Count;

    public static bool TryGetIndex(string name, out int index) => Index.TryGetValue(name, out index);

    public static int IndexOf(string name) => Index[name];
}
