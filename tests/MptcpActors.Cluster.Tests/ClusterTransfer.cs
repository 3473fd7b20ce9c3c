using System.Net;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Subflow;
using MptcpActors.Actors.Tests.Connection;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Cluster.Tests;

/// <summary>A transfer through a <see cref="SimCluster"/>, the client connecting to node A, and what the cluster tests check of it.</summary>
public static class ClusterTransfer
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Both nodes listen on port 8080 (A's listener sends <paramref name="down"/>, B's nothing: a join arriving at B
    /// goes through B's listener entry), the client connects to A and sends <paramref name="up"/>: the reports of
    /// the client's and A's ends.
    /// </summary>
    public static (TestProbe Client, TestProbe Server) Start(TestKit kit, SimCluster cluster, byte[] up, byte[] down)
    {
        var serverReport = kit.CreateTestProbe();
        var clientReport = kit.CreateTestProbe();
        var bound = kit.CreateTestProbe();
        var listener = cluster.A.ActorOf(Props.Create(() => new TransferListener(down, serverReport.Ref)));
        cluster.ManagerA.Tell(new TcpMsg.Bind(listener, new IPEndPoint(IPAddress.Any, 8080)), bound.Ref);
        bound.ExpectMsg<TcpMsg.Bound>(Wait);
        var idle = cluster.B.ActorOf(Props.Create(() => new TransferListener(Array.Empty<byte>(), serverReport.Ref)));
        cluster.ManagerB.Tell(new TcpMsg.Bind(idle, new IPEndPoint(IPAddress.Any, 8080)), bound.Ref);
        bound.ExpectMsg<TcpMsg.Bound>(Wait);
        var client = kit.Sys.ActorOf(Props.Create(() => new TransferHandler(up, clientReport.Ref)));
        cluster.ClientManager.Tell(new TcpMsg.Connect(new IPEndPoint(SimCluster.AddressA, 8080)), client);
        return (clientReport, serverReport);
    }

    /// <summary>
    /// A transfer of <paramref name="bytes"/> each way (<see cref="Start"/>) to its end: both directions intact and the
    /// subflow on node B having carried data both ways.
    /// </summary>
    public static void AssertTransferAcrossNodes(TestKit kit, SimCluster cluster, int bytes, int seed)
    {
        var up = TransferHandler.RandomBytes(bytes, seed);
        var down = TransferHandler.RandomBytes(bytes, seed + 1);
        var (clientReport, serverReport) = Start(kit, cluster, up, down);
        var c = clientReport.ExpectMsg<TransferResult>(Wait);
        var s = serverReport.ExpectMsg<TransferResult>(Wait);
        AssertIntact(up, s.Received);
        AssertIntact(down, c.Received);
        var onB = Assert.Single(s.Finished!.Subflows, OnB);
        Assert.True(onB.BytesReceived > 0 && onB.BytesSent > 0, $"the subflow on B carried {onB.BytesReceived} / {onB.BytesSent} bytes");
    }

    /// <summary>Polls node A's connection until <paramref name="until"/> holds of it (its join came up, it sent enough).</summary>
    public static ConnectionInfo AwaitServerConnection(TestKit kit, SimCluster cluster, Func<ConnectionInfo, bool> until)
    {
        ConnectionInfo? info = null;
        var probe = kit.CreateTestProbe();
        kit.AwaitCondition(() =>
        {
            SimCluster.Connections(cluster.A, cluster.ManagerA).Tell(GetConnectionInfo.Instance, probe.Ref);
            // No connection yet means no answer: ask again soon rather than waiting long and missing a short transfer.
            info = probe.ReceiveOne(TimeSpan.FromMilliseconds(500)) as ConnectionInfo;
            return info is not null && until(info);
        }, Wait, TimeSpan.FromMilliseconds(100));
        return info!;
    }

    public static void AssertIntact(byte[] sent, byte[] received) => Assert.Equal(TransferHandler.Sha256(sent), TransferHandler.Sha256(received));

    /// <summary>A subflow of node B's address (the client's join on path p1).</summary>
    public static bool OnB(SubflowFinished s) => s.Key.LocalAddress.ToIPAddress().Equals(SimCluster.AddressB);

    public static bool JoinedOnB(ConnectionInfo i) => i.Subflows.Any(s => s.Key.LocalAddress.ToIPAddress().Equals(SimCluster.AddressB));
}
