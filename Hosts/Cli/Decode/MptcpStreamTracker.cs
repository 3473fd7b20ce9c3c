using MptcpActors.Transport.Crypto;

namespace MptcpActors.Cli.Decode;

/// <summary>
/// Numbers MPTCP connections the way tshark's MPTCP analysis does (mptcp.stream, mptcp.expected_token/idsn):
/// a connection is created by the first key, join token or post-handshake option seen on a TCP conversation, and
/// keys and join tokens are registered so later subflows of the same connection find its number.
/// </summary>
public sealed class MptcpStreamTracker
{
    private readonly Dictionary<uint, MptcpConnectionInfo> _byToken = [];
    private int _next;

    /// <summary>An option of a subtype past MP_JOIN on a conversation with no connection yet creates one.</summary>
    public void SawOption(TcpConversation conversation, int subtype)
    {
        if (conversation.Mptcp is null && subtype > 1) conversation.Mptcp = Allocate();
    }

    /// <summary>MP_JOIN SYN/ACK or ACK (anything but the SYN) on a conversation with no connection creates one.</summary>
    public void SawJoinReply(TcpConversation conversation) => conversation.Mptcp ??= Allocate();

    /// <summary>A key in MP_CAPABLE (SHA-1 derived for v0, SHA-256 for v1): registers the direction's token and IDSN, and the connection.</summary>
    public void SawKey(TcpConversation conversation, FlowMeta flow, ulong key, byte version)
    {
        if (flow.HasKey) return;
        var (token, idsn) = version == 0 ? MptcpCrypto.TokenAndIdsnV0(key) : MptcpCrypto.TokenAndIdsn(key);
        SawToken(conversation, flow, token);
        flow.HasKey = true;
        flow.Idsn = idsn;
    }

    /// <summary>A token: from a key, or the receiver's token in an MP_JOIN SYN.</summary>
    public void SawToken(TcpConversation conversation, FlowMeta flow, uint token)
    {
        if (flow.HasToken) return;
        if (_byToken.TryGetValue(token, out var existing)) conversation.Mptcp = existing;
        else conversation.Mptcp ??= Allocate();
        flow.Token = token;
        flow.HasToken = true;
        _byToken[token] = conversation.Mptcp;
    }

    private MptcpConnectionInfo Allocate() => new(_next++);
}

public sealed record MptcpConnectionInfo(int Stream);

/// <summary>What the analysis knows of one direction of a subflow's connection.</summary>
public sealed class FlowMeta
{
    public bool HasKey { get; set; }
    public bool HasToken { get; set; }
    public uint Token { get; set; }
    public ulong Idsn { get; set; }
}
