using System.Collections.Concurrent;
using System.Collections.Frozen;
using Akka.Actor;
using MptcpActors.Actors.Connection;

namespace MptcpActors.Cluster;

/// <summary>
/// The cluster's token registry: each token's entry is a sharded <see cref="ConnectionEntry"/>, so a join arriving
/// on any node reaches its connection. Keys are token-affine: a node takes a token only if its shard is not hosted
/// by another node, so the shard is (or, allocated on first use by <see cref="RequesterAllocationStrategy"/>, becomes)
/// this node's and a connection's entry lives where the connection does. Tokens stay unique cluster-wide because
/// only a shard's owner hands out its tokens. Used by the node's MptcpManager only; the affinity snapshot is
/// published by <see cref="ShardAffinityRefresher"/> as an immutable value swapped atomically.
/// </summary>
public sealed class ShardedTokenRegistry(IActorRef region, TokenShards shards, IActorRef nodeWatcher) : ITokenRegistry
{
    // Concurrent: the manager registers and unregisters, the affinity refresher reads when it registers again.
    private readonly ConcurrentDictionary<uint, IActorRef> _connections = new();
    private volatile ShardAffinity _affinity = ShardAffinity.Unknown;

    public IActorRef Region { get; } = region;

    public TokenShards Shards { get; } = shards;

    public ShardAffinity Affinity
    {
        get => _affinity;
        set => _affinity = value;
    }

    public bool CanTake(uint token) => !_connections.ContainsKey(token) && !_affinity.Foreign.Contains(Shards.ShardOf(token));

    public void Register(uint token, IActorRef connection)
    {
        _connections[token] = connection;
        Region.Tell(new TokenEnvelope(token, new RegisterConnection(connection)));
    }

    // The entry stops by itself when it sees its connection terminate.
    public void Unregister(uint token) => _connections.TryRemove(token, out _);

    /// <summary>
    /// Registers this node's tokens of <paramref name="shards"/> again: their entries lived on a node that is gone
    /// (the affinity race of a fresh shard put them there), and a join for them would be refused while the connection
    /// lives. The registration allocates the shard anew; an entry told twice keeps the same connection. Returns the
    /// shards this node has tokens in.
    /// </summary>
    public HashSet<string> RegisterAgain(IReadOnlySet<string> shards)
    {
        var registered = new HashSet<string>();
        foreach (var (token, connection) in _connections)
        {
            var shard = Shards.ShardOf(token);
            if (!shards.Contains(shard)) continue;
            Region.Tell(new TokenEnvelope(token, new RegisterConnection(connection)));
            registered.Add(shard);
        }
        return registered;
    }

    public bool TryRoute(JoinRequest join)
    {
        Region.Tell(new TokenEnvelope(join.Join.Token, join));
        return true;
    }

    public IActorRef? NodeWatcher { get; } = nodeWatcher;
}

/// <summary>Which shards this node hosts and which other nodes host, as last heard from the cluster.</summary>
public sealed record ShardAffinity(FrozenSet<string> Own, FrozenSet<string> Foreign)
{
    public static readonly ShardAffinity Unknown = new(FrozenSet<string>.Empty, FrozenSet<string>.Empty);
}
