using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster.Sharding;
using Akka.Configuration;

namespace MptcpActors.Cluster;

/// <summary>How a node joins the service's cluster (CLI.md "Cluster": --cluster-host, --cluster-port, --cluster-seed).</summary>
public sealed record ClusterOptions(string Host, int Port, IReadOnlyList<string> Seeds)
{
    /// <summary>Every node of one service must use the same system name: remoting refuses the others.</summary>
    public const string SystemName = "mptcp";
    public const int DefaultPort = 4053;
    /// <summary>Shards of the token registry: many more than nodes, so each node can own enough for token-affine keys.</summary>
    public int Shards { get; init; } = 1000;
    /// <summary>
    /// The largest remoting message: a subflow's data batch is at most 128 KB plus one 64 KB mapping, a send chunk
    /// 64 KB; anything bigger is dropped by remoting with an error log, never delivered in part.
    /// </summary>
    public const int MaximumFrameSizeBytes = 256_000;
    /// <summary>TLS on the cluster's remoting (mutual); null: plain TCP, for a cluster network trusted as a whole.</summary>
    public ClusterTls? Tls { get; init; }
}

/// <summary>
/// A node of the MPTCP service on Akka.Cluster: its configuration (remoting bound to the cluster address only,
/// seed nodes, role, split-brain resolver, Hyperion bound to the engine's messages) and its start (the token
/// registry's shard region, the membership watcher, the shard-affinity refresher).
/// </summary>
public static class MptcpCluster
{
    public const string Role = "mptcp";
    public const string TypeName = "mptcp-token";

    /// <summary>The whole configuration of a node: remoting on the cluster address only, seeds, role, split-brain resolver, and <see cref="EngineConfig"/>.</summary>
    public static Config Config(ClusterOptions options)
    {
        var seeds = string.Join(", ", SeedAddresses(options).Select(s => $"\"{s}\""));
        return ConfigurationFactory.ParseString($$"""
            akka {
              actor.provider = cluster
              remote.dot-netty.tcp {
                hostname = "{{options.Host}}"
                port = {{options.Port}}
                maximum-frame-size = {{ClusterOptions.MaximumFrameSizeBytes}}b
              }
              cluster {
                seed-nodes = [{{seeds}}]
                roles = [{{Role}}]
                downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
                split-brain-resolver.active-strategy = keep-majority
              }
            }
            {{(options.Tls is null ? "" : ClusterTls.Hocon)}}
            """).WithFallback(EngineConfig());
    }

    /// <summary>
    /// The node's actor system setup: <paramref name="config"/> (made with <see cref="Config"/>) and, with TLS, the
    /// certificate and peer validation, which HOCON cannot carry.
    /// </summary>
    public static ActorSystemSetup SystemSetup(ClusterOptions options, Config config)
    {
        var setup = BootstrapSetup.Create().WithConfig(config);
        return options.Tls is { } tls ? setup.And(tls.Setup()) : ActorSystemSetup.Create(setup);
    }

    /// <summary>The seed nodes' addresses (akka.tcp://mptcp@HOST:PORT, with TLS akka.ssl.tcp://mptcp@HOST:PORT).</summary>
    public static IEnumerable<string> SeedAddresses(ClusterOptions options) =>
        options.Seeds.Select(s => $"{(options.Tls is null ? "akka.tcp" : "akka.ssl.tcp")}://{ClusterOptions.SystemName}@{s}");

    /// <summary>
    /// What the engine needs of a cluster set up elsewhere (Akka.Cluster.Hosting's WithRemoting / WithClustering):
    /// the split-brain resolver's wait, the token region's role, no remembered entities and no passivation of idle entries, room for many remote death watches, Hyperion bound to the
    /// engine's messages, sharding's defaults.
    /// </summary>
    public static Config EngineConfig() => ConfigurationFactory.ParseString($$"""
        # Every subflow on another node than its connection watches its owner and is watched by it (remote death watch,
        # system messages acknowledged by the peer node). Remoting keeps at most resend-limit of them unacknowledged per
        # node (default 200) and fails the association past that: opening ~1,000 cross-node subflows a second on a
        # loaded machine overflowed it at 50,000 connections (ResendBufferCapacityReachedException, the nodes cut off).
        akka.remote.resend-limit = 20000
        akka.cluster {
          split-brain-resolver.stable-after = 10s
          sharding {
            role = {{Role}}
            remember-entities = off
            # The coordinator's state lives as long as the cluster: kept in memory. Sharding's default (persistence with
            # the local snapshot store) wrote a snapshot every 1000 allocations into the working directory, which a
            # coordinator started later in that directory recovered: shards of a cluster long gone.
            journal-plugin-id = "akka.persistence.journal.inmem"
            snapshot-plugin-id = "akka.persistence.snapshot-store.inmem"
            # An entry is idle for as long as its connection takes no join: passivated (sharding's default after
            # 120 s) it would be gone, and a join to a connection idle for two minutes refused as for an unknown token.
            passivate-idle-entity-after = off
          }
        }
        {{EngineMessages.Hocon()}}
        """).WithFallback(ClusterSharding.DefaultConfig());

    /// <summary>
    /// Hyperion compiles a serializer per type on first use, which on a loaded machine takes long enough for a
    /// join's SYN to be retransmitted: every cross-node message type is written and read once at start instead.
    /// </summary>
    private static void WarmUp(ActorSystem system)
    {
        foreach (var type in EngineMessages.CrossNode)
        {
            var sample = System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(type);
            var serializer = system.Serialization.FindSerializerFor(sample);
            serializer.FromBinary(serializer.ToBinary(sample), type);
        }
    }

    /// <summary>
    /// Cluster-wide signal endpoints for the node's <paramref name="manager"/> (its MptcpManager, made with the registry
    /// <see cref="StartAsync"/> returned): this node's signal addresses are announced on the other nodes' connections and
    /// theirs on this node's.
    /// </summary>
    public static IActorRef ShareSignalEndpoints(ActorSystem system, IActorRef manager) =>
        system.ActorOf(ClusterSignalEndpoints.Props(manager), ClusterSignalEndpoints.Name);

    /// <summary>
    /// Starts this node's part of the registry and completes once the shard coordinator knows this node's region:
    /// before that a token's registration could lose the race for its shard against a join arriving elsewhere. Hand
    /// the result to the node's MptcpManager.
    /// </summary>
    public static async Task<ShardedTokenRegistry> StartAsync(ActorSystem system, int shards = 1000, TimeSpan? timeout = null)
    {
        var tokenShards = new TokenShards(shards);
        var region = await ClusterSharding.Get(system).StartAsync(TypeName, ConnectionEntry.Props, ClusterShardingSettings.Create(system).WithRole(Role),
            tokenShards, new RequesterAllocationStrategy(), PoisonPill.Instance);
        var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var stats = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(3)), TimeSpan.FromSeconds(5));
            if (stats.Regions.ContainsKey(self)) break;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the shard coordinator did not register {self}'s region");
            await Task.Delay(200);
        }
        WarmUp(system);
        var watcher = system.ActorOf(SubflowNodeWatcher.Props(), "mptcp-subflow-nodes");
        var registry = new ShardedTokenRegistry(region, tokenShards, watcher);
        system.ActorOf(ShardAffinityRefresher.Props(registry, TimeSpan.FromSeconds(2)), "mptcp-shard-affinity");
        return registry;
    }
}
