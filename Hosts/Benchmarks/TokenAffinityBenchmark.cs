using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using MptcpActors.Cluster;

namespace MptcpActors.Benchmarks;

/// <summary>
/// <c>--token-affinity [--nodes N] [--connections C]</c>: where a connection's registry entry lands, and what that
/// costs, with token-affine keys (a node takes only tokens whose shard no other node hosts) versus the allocation
/// strategy alone (random tokens; a shard goes to the node that first asks for it, <see cref="RequesterAllocationStrategy"/>).
/// N cluster nodes in this process on loopback remoting; the same arrival schedule of C connections (spread over the
/// nodes, over about ten seconds, as connections arrive) in each mode; then every entry's node from the coordinator's
/// allocation, the registry's cross-node messages per connection that placement implies (its registration, and a join
/// arriving at every node of the service), and the measured round trip of a lookup from the connection's own node.
/// </summary>
public static class TokenAffinityBenchmark
{
    public static int Run(string[] args)
    {
        var nodes = IntArgument.Read(args, "--nodes", 3);
        var connections = IntArgument.Read(args, "--connections", 3000);
        Console.WriteLine($"token registry, {nodes} nodes, {connections} connections arriving over ~10 s");
        var affine = Measure(nodes, connections, tokenAffine: true);
        var random = Measure(nodes, connections, tokenAffine: false);
        Console.WriteLine($"{"",-22} {"entries local",14} {"last third",11} {"msgs/connection",16} {"lookup mean ms",15} {"lookup p90 ms",14} {"entries per node",18}");
        foreach (var (name, r) in new[] { ("token-affine keys", affine), ("allocation strategy", random) })
            Console.WriteLine($"{name,-22} {r.LocalShare,14:P1} {r.LocalShareLastThird,11:P1} {r.MessagesPerConnection,16:0.00} {r.LookupMeanMs,15:0.000} {r.LookupP90Ms,14:0.000} {string.Join("/", r.PerNode),18}");
        Console.WriteLine($"ratio (allocation strategy / token-affine): cross-node messages {random.MessagesPerConnection / Math.Max(affine.MessagesPerConnection, 1e-9):0.00}x, " +
                          $"lookup mean {random.LookupMeanMs / affine.LookupMeanMs:0.00}x, p90 {random.LookupP90Ms / affine.LookupP90Ms:0.00}x");
        return 0;
    }

    private sealed record Result(double LocalShare, double LocalShareLastThird, double MessagesPerConnection, double LookupMeanMs, double LookupP90Ms, int[] PerNode);

    private sealed class Connection : ReceiveActor
    {
    }

    private static Result Measure(int count, int connections, bool tokenAffine)
    {
        var config = ConfigurationFactory.ParseString("akka.loglevel = ERROR").WithFallback(MptcpCluster.Config(new ClusterOptions("127.0.0.1", 0, [])));
        var systems = Enumerable.Range(0, count).Select(_ => ActorSystem.Create(ClusterOptions.SystemName, config)).ToList();
        try
        {
            var seed = Akka.Cluster.Cluster.Get(systems[0]).SelfAddress;
            foreach (var s in systems) Akka.Cluster.Cluster.Get(s).Join(seed);
            while (systems.Any(s => Akka.Cluster.Cluster.Get(s).State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) < count)) Thread.Sleep(100);
            var registries = systems.Select(s => MptcpCluster.StartAsync(s).GetAwaiter().GetResult()).ToList();

            // The same arrival schedule in both modes: connection i arrives at node i % count, in 100 batches 100 ms apart.
            var placed = new List<(int Node, uint Token)>();
            var rng = new Random(1);
            for (var i = 0; i < connections; i++)
            {
                var node = i % count;
                uint token;
                do token = (uint)rng.NextInt64(0, 1L << 32);
                while (tokenAffine ? !registries[node].CanTake(token) : placed.Any(p => p.Token == token));
                registries[node].Register(token, systems[node].ActorOf(Props.Create<Connection>()));
                placed.Add((node, token));
                if (i % Math.Max(1, connections / 100) == 0) Thread.Sleep(100);
            }

            var stats = registries[0].Region.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(10)), TimeSpan.FromSeconds(15)).GetAwaiter().GetResult();
            var addresses = systems.Select(s => Akka.Cluster.Cluster.Get(s).SelfAddress).ToList();
            var shardNode = stats.Regions.SelectMany(r => r.Value.Stats.Keys.Select(shard => (shard, node: addresses.IndexOf(r.Key)))).ToDictionary(x => x.shard, x => x.node);
            var entryNodes = placed.Select(p => shardNode.GetValueOrDefault(registries[0].Shards.ShardOf(p.Token), -1)).ToList();
            var local = placed.Where((p, i) => entryNodes[i] == p.Node).Count();
            var lastThird = placed.Select((p, i) => entryNodes[i] == p.Node).Skip(connections * 2 / 3).ToList();
            // Registration: one message across when the entry is elsewhere. A join arriving at node j: to the entry's
            // node (if not j), then to the connection (if the entry is not beside it). The accept that follows crosses
            // the same way in both modes and is left out.
            var messages = placed.Select((p, i) =>
                (entryNodes[i] != p.Node ? 1 : 0) + Enumerable.Range(0, count).Sum(j => (entryNodes[i] != j ? 1 : 0) + (entryNodes[i] != p.Node ? 1 : 0))).Average();

            var lookups = new List<double>();
            // The last connections: by then most shards are allocated (the steady state); the first ones found fresh shards.
            foreach (var (node, token) in placed.TakeLast(500))
            {
                var sw = Stopwatch.StartNew();
                registries[node].Region.Ask<ConnectionLocation>(new TokenEnvelope(token, LookupConnection.Instance), TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
                lookups.Add(sw.Elapsed.TotalMilliseconds);
            }
            lookups.Sort();
            var perNode = Enumerable.Range(0, count).Select(n => entryNodes.Count(e => e == n)).ToArray();
            return new Result((double)local / connections, (double)lastThird.Count(l => l) / lastThird.Count, messages, lookups.Average(), lookups[lookups.Count * 9 / 10], perNode);
        }
        finally
        {
            foreach (var s in systems) s.Terminate().Wait(TimeSpan.FromSeconds(20));
        }
    }
}
