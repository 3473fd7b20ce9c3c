using System.Collections.Frozen;
using Akka.Actor;
using Akka.Cluster.Sharding;

namespace MptcpActors.Cluster;

/// <summary>
/// Keeps <see cref="ShardedTokenRegistry.Affinity"/> current: asks the region for the cluster's shard allocation
/// (<see cref="GetClusterShardingStats"/>) every <paramref name="every"/> and publishes which shards are this
/// node's and which are other nodes'.
/// </summary>
public sealed class ShardAffinityRefresher(ShardedTokenRegistry registry, TimeSpan every) : UntypedActor, IWithTimers
{
    private sealed class Refresh
    {
        public static readonly Refresh Instance = new();
    }

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
                var self = Akka.Cluster.Cluster.Get(Context.System).SelfAddress;
                registry.Affinity = new ShardAffinity(
                    stats.Regions.Where(r => r.Key.Equals(self)).SelectMany(r => r.Value.Stats.Keys).ToFrozenSet(),
                    stats.Regions.Where(r => !r.Key.Equals(self)).SelectMany(r => r.Value.Stats.Keys).ToFrozenSet());
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
