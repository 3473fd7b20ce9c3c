using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;

namespace MptcpActors.Cluster;

/// <summary>
/// A shard lives on the node whose region first asked for it: the node that made a connection registers its token
/// first, so with token-affine keys (<see cref="ShardedTokenRegistry"/>) a connection's entry lives beside it. Shards
/// never move: an entry handed off would lose its connection (connection state is not replicated), so there is no
/// rebalancing.
/// </summary>
public sealed class RequesterAllocationStrategy : IShardAllocationStrategy
{
    public Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations)
    {
        if (currentShardAllocations.ContainsKey(requester)) return Task.FromResult(requester);
        // The requester's region is not registered with the coordinator yet: the region with fewest shards.
        return Task.FromResult(currentShardAllocations.MinBy(kv => kv.Value.Count).Key);
    }

    public Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations,
        IImmutableSet<string> rebalanceInProgress) => Task.FromResult<IImmutableSet<string>>(ImmutableHashSet<string>.Empty);
}
