using System.Diagnostics;
using System.Net;
using Akka.Actor;
using MptcpActors.Actors.Sim;
using MptcpActors.Actors.Tests.Connection;
using MptcpActors.Cluster.Tests;
using MptcpActors.Transport.Sim;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Benchmarks;

/// <summary>
/// <c>--cluster [--mb N] [--runs R] [--rate-mbit M]</c>: one MPTCP connection whose two subflows sit on two cluster
/// nodes (owner A, join on B) against the same connection with both subflows on A, on the simulator with the
/// cluster tests' <see cref="SimCluster"/> (two in-process ActorSystems on loopback remoting; B is a member in both
/// modes, so only where the second subflow lives differs). Each run sends N MB each way over two paths of M Mbit/s
/// and 5 ms; the modes alternate, R runs each, medians compared. Goodput: both directions' bytes over the time from
/// Connect to both ends' reports. MP_JOIN time: on path p1's wire (virtual time), SYN sent to the server's ACK of
/// the third ACK; the server's share is SYN arrival to SYN/ACK sent plus third ACK arrival to its ACK sent (the
/// non-owner looks the token up across the cluster and asks the owner for the key). Before the measured connection
/// each run makes a 1 MB one on another port: its join, the cluster's first, is reported apart (one-time costs).
/// </summary>
public static class ClusterBenchmark
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);

    public static int Run(string[] args)
    {
        var mb = IntArgument.Read(args, "--mb", 16);
        var runs = IntArgument.Read(args, "--runs", 3);
        var rate = IntArgument.Read(args, "--rate-mbit", 50);
        var link = new LinkParameters(RateBps: rate * 1e6, Delay: TimeSpan.FromMilliseconds(5), QueueLimitPackets: 200);
        Console.WriteLine($"cluster: one connection, {mb} MB each way, two paths of {rate} Mbit/s and 5 ms, {runs} runs per mode (alternating)");
        var split = new List<Result>();
        var single = new List<Result>();
        for (var r = 0; r < runs; r++)
        {
            foreach (var oneNode in new[] { false, true })
            {
                var result = Measure(link, mb, oneNode, seed: r);
                if (result is null) return 1;
                (oneNode ? single : split).Add(result);
                Console.WriteLine($"  run {r + 1} {(oneNode ? "one node " : "two nodes")}: {result.GoodputMbit,7:0.0} Mbit/s, " +
                                  $"join {result.JoinMs,6:0.00} ms (server {result.JoinServerMs,6:0.00} ms), " +
                                  $"cluster's first join {result.FirstJoinMs,6:0.00} ms (server {result.FirstJoinServerMs,6:0.00} ms)");
            }
        }
        Console.WriteLine($"{"",-34} {"goodput Mbit/s",15} {"join ms",8} {"join server ms",15} {"first join ms",14} {"first server ms",16}");
        foreach (var (name, r) in new[] { ("subflows on two nodes (join on B)", split), ("subflows on one node (join on A)", single) })
            Console.WriteLine($"{name,-34} {Median(r, x => x.GoodputMbit),15:0.0} {Median(r, x => x.JoinMs),8:0.00} {Median(r, x => x.JoinServerMs),15:0.00} " +
                              $"{Median(r, x => x.FirstJoinMs),14:0.00} {Median(r, x => x.FirstJoinServerMs),16:0.00}");
        Console.WriteLine($"ratio (two nodes / one node): goodput {Median(split, x => x.GoodputMbit) / Median(single, x => x.GoodputMbit):0.00} (target >= 0.8), " +
                          $"MP_JOIN time {Median(split, x => x.JoinMs) / Median(single, x => x.JoinMs):0.00}x, " +
                          $"server's share {Median(split, x => x.JoinServerMs) / Median(single, x => x.JoinServerMs):0.00}x; " +
                          $"the cluster's first join {Median(split, x => x.FirstJoinMs) / Median(single, x => x.FirstJoinMs):0.00}x");
        return 0;
    }

    private sealed record Result(double GoodputMbit, double JoinMs, double JoinServerMs, double FirstJoinMs, double FirstJoinServerMs);

    private static Result? Measure(LinkParameters link, int mb, bool oneNode, int seed)
    {
        var client = ActorSystem.Create("bench-client", "akka.loglevel = WARNING");
        try
        {
            using var cluster = new SimCluster(client, link, "akka.loglevel = WARNING", oneNode);
            var join = new JoinHandshakeWatch();
            cluster.Sim.Tell(new SimNetworkActor.ChangeNetwork(net => join.Attach(net.GetLink("p1"))));
            // The cluster's first join pays one-time costs (the region finding the shard's home, remoting's and
            // Hyperion's first messages of each type): a short connection first, its join reported apart.
            if (Transfer(client, cluster, oneNode, WarmUpPort, 1, 100 + seed) is not { } first) return null;
            if (!join.TryTimes(out var firstMs, out var firstServerMs)) return Fail<Result>("no complete MP_JOIN handshake seen on path p1");
            cluster.Sim.Tell(new SimNetworkActor.ChangeNetwork(_ => join.Reset()));
            if (Transfer(client, cluster, oneNode, Port, mb, seed) is not { } elapsed) return null;
            if (!join.TryTimes(out var joinMs, out var serverMs)) return Fail<Result>("no complete MP_JOIN handshake seen on path p1");
            return new Result(2.0 * (mb << 20) * 8 / elapsed.TotalSeconds / 1e6, joinMs, serverMs, firstMs, firstServerMs);
        }
        finally
        {
            client.Terminate().Wait(TimeSpan.FromSeconds(30));
        }
    }

    private const int Port = 8080;
    private const int WarmUpPort = 8081;

    /// <summary>One connection sending <paramref name="mb"/> MB each way, checked intact and joined on p1; its time from Connect to both reports.</summary>
    private static TimeSpan? Transfer(ActorSystem client, SimCluster cluster, bool oneNode, int port, int mb, int seed)
    {
        var up = TransferHandler.RandomBytes(mb << 20, 2 * seed + 1);
        var down = TransferHandler.RandomBytes(mb << 20, 2 * seed + 2);
        var serverReport = Inbox.Create(client);
        var clientReport = Inbox.Create(client);
        var bound = Inbox.Create(client);
        var listener = cluster.A.ActorOf(Props.Create(() => new TransferListener(down, serverReport.Receiver)));
        cluster.ManagerA.Tell(new TcpMsg.Bind(listener, new IPEndPoint(IPAddress.Any, port)), bound.Receiver);
        if (bound.Receive(Wait) is not TcpMsg.Bound) return Fail<TimeSpan?>("node A did not bind");
        if (!oneNode)
        {
            // Every node of the service listens on the port: the join arriving at B goes through B's listener entry.
            var idle = cluster.B.ActorOf(Props.Create(() => new TransferListener(Array.Empty<byte>(), serverReport.Receiver)));
            cluster.ManagerB.Tell(new TcpMsg.Bind(idle, new IPEndPoint(IPAddress.Any, port)), bound.Receiver);
            if (bound.Receive(Wait) is not TcpMsg.Bound) return Fail<TimeSpan?>("node B did not bind");
        }

        var start = Stopwatch.GetTimestamp();
        var handler = client.ActorOf(Props.Create(() => new TransferHandler(up, clientReport.Receiver)));
        cluster.ClientManager.Tell(new TcpMsg.Connect(new IPEndPoint(SimCluster.AddressA, port)), handler);
        var c = (TransferResult)clientReport.Receive(Wait);
        var s = (TransferResult)serverReport.Receive(Wait);
        var elapsed = Stopwatch.GetElapsedTime(start);

        if (TransferHandler.Sha256(up) != TransferHandler.Sha256(s.Received) || TransferHandler.Sha256(down) != TransferHandler.Sha256(c.Received))
            return Fail<TimeSpan?>("the transfer arrived corrupted or incomplete");
        var onP1 = s.Finished?.Subflows.FirstOrDefault(sf => sf.Key.LocalAddress.ToIPAddress().Equals(SimCluster.AddressB));
        if (onP1 is null || onP1.BytesSent == 0 || onP1.BytesReceived == 0)
            return Fail<TimeSpan?>("the joined subflow on path p1 carried no data");
        return elapsed;
    }

    private static T? Fail<T>(string why)
    {
        Console.Error.WriteLine($"cluster benchmark: {why}");
        return default;
    }

    private static double Median(List<Result> results, Func<Result, double> value)
    {
        var sorted = results.Select(value).Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
