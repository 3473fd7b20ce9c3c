namespace MptcpActors.Actors.Configuration;

/// <summary>One invalid setting: the full HOCON path (<c>mptcp.tcp.mss</c>, <c>mptcp.interfaces[1].address</c>) and what is wrong with it.</summary>
public sealed record MptcpConfigurationError(string Key, string Message)
{
    public override string ToString() => $"{Key}: {Message}";
}
