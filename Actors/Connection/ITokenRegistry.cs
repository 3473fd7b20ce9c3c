using Akka.Actor;

namespace MptcpActors.Actors.Connection;

/// <summary>
/// The node's MPTCP tokens and how an MP_JOIN finds the connection its token names (RFC 8684 3.2). Only the node's
/// <see cref="MptcpManager"/> calls it, from its own turns. On a lone node it is a dictionary
/// (<see cref="LocalTokenRegistry"/>); in a cluster a shard region takes its place, so a join arriving at any node
/// reaches its connection wherever that lives.
/// </summary>
public interface ITokenRegistry
{
    /// <summary>Whether a new connection of this node may take this token: no open connection has it (and, in a cluster, its shard stays on this node).</summary>
    bool CanTake(uint token);

    void Register(uint token, IActorRef connection);

    void Unregister(uint token);

    /// <summary>
    /// Passes the join to the connection with its token; false when this registry knows at once there is none (the
    /// manager refuses the SYN). A registry that answers later refuses the SYN itself.
    /// </summary>
    bool TryRoute(JoinRequest join);

    /// <summary>Who connections tell of their subflows on other nodes (<see cref="WatchSubflowNode"/>); null on a lone node.</summary>
    IActorRef? NodeWatcher { get; }
}

/// <summary>The tokens of a lone node: connections are found in a dictionary.</summary>
public sealed class LocalTokenRegistry : ITokenRegistry
{
    private readonly Dictionary<uint, IActorRef> _tokens = [];

    public bool CanTake(uint token) => !_tokens.ContainsKey(token);

    public void Register(uint token, IActorRef connection) => _tokens[token] = connection;

    public void Unregister(uint token) => _tokens.Remove(token);

    public bool TryRoute(JoinRequest join)
    {
        if (!_tokens.TryGetValue(join.Join.Token, out var connection)) return false;
        connection.Tell(join);
        return true;
    }

    public IActorRef? NodeWatcher => null;
}
