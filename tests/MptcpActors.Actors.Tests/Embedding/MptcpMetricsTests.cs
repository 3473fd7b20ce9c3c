using System.Net;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Metrics;
using MptcpActors.Actors.Sim;
using MptcpActors.Actors.Tests.Connection;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Tests.Shared;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Actors.Tests.Embedding;

/// <summary>
/// Each node counts what it sent and received under the kernel's MPTcpExt names, read with a MeterListener over that
/// node's own Meter: a client that follows the server's ADD_ADDR and joins, then aborts.
/// </summary>
public class MptcpMetricsTests(Xunit.Abstractions.ITestOutputHelper output) : TestKit("akka.loglevel = INFO", output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private static readonly LinkParameters Path = SimMptcpNodes.FastPath;

    [Fact]
    public void Handshakes_announcements_joins_and_the_fast_close_are_counted_on_each_side_with_per_connection_gauges()
    {
        using var clientMetrics = new MptcpMetrics();
        using var serverMetrics = new MptcpMetrics();
        using var client = new MetricReadings(clientMetrics);
        using var server = new MetricReadings(serverMetrics);
        var paths = new[] { 0, 1 }.Select(i => new SimPath($"p{i}", IpAddressBytes.From(SimMptcpNodes.ClientIp(i)),
            IpAddressBytes.From(SimMptcpNodes.ServerIp(i)), 24, Path)).ToList();
        var nodes = new SimTwoNodes(Sys, paths, MptcpSettings.FromHocon("mptcp.path-manager.limits { subflows = 2, add-addr-accepted = 2 }"),
            MptcpSettings.FromHocon("mptcp.path-manager { limits.subflows = 2, endpoints = [ { address = 10.7.1.2, flags = [signal] } ] }"),
            localMetrics: clientMetrics, peerMetrics: serverMetrics);
        var accepted = CreateTestProbe();
        nodes.Peer.Tell(new TcpMsg.Bind(accepted.Ref, new IPEndPoint(IPAddress.Any, 7201)));
        ExpectMsg<TcpMsg.Bound>(Wait);
        var handler = CreateTestProbe();

        nodes.Local.Tell(new TcpMsg.Connect(new IPEndPoint(SimMptcpNodes.ServerIp(0), 7201)), handler.Ref);
        handler.ExpectMsg<TcpMsg.Connected>(Wait);
        var connection = handler.LastSender;
        connection.Tell(new TcpMsg.Register(handler.Ref));
        accepted.ExpectMsg<TcpMsg.Connected>(Wait);
        accepted.LastSender.Tell(new TcpMsg.Register(accepted.Ref));
        AwaitAssert(() =>
        {
            Assert.Equal(1, client["MPJoinSynAckRx"]);
            Assert.Equal(1, server["MPJoinAckRx"]);
        }, Wait, TimeSpan.FromMilliseconds(100));

        Assert.Equal(1, client["MPCapableSYNTX"]);
        Assert.Equal(1, client["MPCapableSYNACKRX"]);
        Assert.Equal(1, server["MPCapableSYNRX"]);
        Assert.Equal(1, server["MPCapableACKRX"]);
        Assert.Equal(1, server["AddAddrTx"]);
        Assert.Equal(1, client["AddAddr"]);
        Assert.Equal(1, client["EchoAddTx"]);
        Assert.Equal(1, client["MPJoinSynTx"]);
        Assert.Equal(1, server["MPJoinSynRx"]);
        Assert.Equal(0, client["MPCapableFallbackSYNACK"] + server["MPCapableFallbackACK"] + server["MPJoinNoTokenFound"]);
        Assert.Equal(1, client["MPCurrEstab"]);
        Assert.Equal(1, server["MPCurrEstab"]);
        client.Collect();
        var gauge = Assert.Single(client.Gauges, g => g.Key.Item1 == "mptcp.connection.subflows");
        Assert.Equal(2, gauge.Value);
        Assert.Matches("^[0-9a-f]{8}$", gauge.Key.Item2);

        connection.Tell(TcpMsg.Abort.Instance, handler.Ref);
        handler.FishForMessage(m => m is TcpMsg.Aborted, Wait);
        AwaitAssert(() =>
        {
            Assert.Equal(0, client["MPCurrEstab"]);
            Assert.Equal(2, client["MPFastcloseTx"]);
            Assert.True(server["MPFastcloseRx"] >= 1);
        }, Wait, TimeSpan.FromMilliseconds(100));
        client.Gauges.Clear();
        client.Collect();
        Assert.Empty(client.Gauges);
    }

    [Fact]
    public void Adding_to_a_counter_that_is_listened_to_allocates_nothing()
    {
        using var metrics = new MptcpMetrics();
        using var readings = new MetricReadings(metrics);
        metrics.ReinjectedBytes.Add(1);

        Assert.Equal(0, Allocations.Least(() =>
        {
            for (var i = 0; i < 1000; i++) metrics.ReinjectedBytes.Add(1460);
        }));
        // Every attempt was counted (Least stops at the first that allocated nothing).
        var counted = readings.Totals["mptcp.reinjected"] - 1;
        Assert.True(counted > 0 && counted % (1000 * 1460L) == 0, $"{counted}");
    }
}
