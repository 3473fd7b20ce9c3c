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
    private readonly HashSet<uint> _tokens = [];
    private volatile ShardAffinity _affinity = ShardAffinity.Unknown;

    public IActorRef Region { get; } = region;

    public TokenShards Shards { get; } = shards;

    public ShardAffinity Affinity
    {
        get => _affinity;
        set => _affinity = value;
    }

    public bool CanTake(uint token) => !_tokens.Contains(token) && !_affinity.Foreign.Contains(Shards.ShardOf(token));

    public void Register(uint token, IActorRef connection)
    {
        _tokens.Add(token);
        Region.Tell(new TokenEnvelope(token, new RegisterConnection(connection)));
    }

    // The entry stops by itself when it sees its connection terminate.
    public void Unregister(uint token) => _tokens.Remove(token);

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
