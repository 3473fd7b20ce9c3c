using System.Collections.Frozen;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;

namespace MptcpActors.Cluster;

/// <summary>
/// Keeps <see cref="ShardedTokenRegistry.Affinity"/> current: asks the region for the cluster's shard allocation
/// (<see cref="GetClusterShardingStats"/>) every <paramref name="every"/> and publishes which shards are this
/// node's and which are other nodes'. A shard last seen on a node that is no longer a member, or seen on another node
/// since, has lost its entries:
/// this node's tokens in it are registered again (<see cref="ShardedTokenRegistry.RegisterAgain"/>), at every
/// refresh until the shard is seen with a new home (the registration itself allocates one).
/// </summary>
public sealed class ShardAffinityRefresher(ShardedTokenRegistry registry, TimeSpan every) : UntypedActor, IWithTimers
{
    private sealed class Refresh
    {
        public static readonly Refresh Instance = new();
    }

    // Where the shards hosted by other nodes were last seen.
    private readonly Dictionary<string, Address> _foreignHomes = [];

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ShardedTokenRegistry registry, TimeSpan every) => Akka.Actor.Props.Create(() => new ShardAffinityRefresher(registry, every));

    protected override void PreStart() => Timers.StartPeriodicTimer("refresh", Refresh.Instance, TimeSpan.Zero, every);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Refresh:
                registry.Region.Tell(new GetClusterShardingStats(every), Self);
                break;
            case ClusterShardingStats stats:
                var cluster = Akka.Cluster.Cluster.Get(Context.System);
                var self = cluster.SelfAddress;
                registry.Affinity = new ShardAffinity(
                    stats.Regions.Where(r => r.Key.Equals(self)).SelectMany(r => r.Value.Stats.Keys).ToFrozenSet(),
                    stats.Regions.Where(r => !r.Key.Equals(self)).SelectMany(r => r.Value.Stats.Keys).ToFrozenSet());
                RegisterOrphans(stats, self, cluster.State.Members.Select(m => m.Address).ToHashSet());
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void RegisterOrphans(ClusterShardingStats stats, Address self, HashSet<Address> members)
    {
        // Orphans: shards last seen on a node that is gone, whether or not a join or registration has given them a new home
        // since; or seen with a new home while that node is still leaving (shards are never rebalanced: a shard moves only
        // when its region is gone, its entries with it).
        var orphans = _foreignHomes.Where(h => !members.Contains(h.Value) || MovedFrom(stats, h.Key, h.Value)).Select(h => h.Key).ToHashSet();
        foreach (var (node, region) in stats.Regions)
        foreach (var shard in region.Stats.Keys)
        {
            if (node.Equals(self)) _foreignHomes.Remove(shard);
            else _foreignHomes[shard] = node;
        }
        if (orphans.Count == 0) return;
        var registered = registry.RegisterAgain(orphans);
        // A shard without tokens of this node is none of its business (and gets no new home until someone uses it).
        foreach (var shard in orphans.Except(registered)) _foreignHomes.Remove(shard);
        if (registered.Count > 0)
            Context.GetLogger().Info("shards {0} lost their node: this node's tokens in them registered again", string.Join(",", registered.Order()));
    }

    private static bool MovedFrom(ClusterShardingStats stats, string shard, Address home)
    {
        foreach (var (node, region) in stats.Regions)
            if (!node.Equals(home) && region.Stats.ContainsKey(shard)) return true;
        return false;
    }
}
