using System.Net;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit.Xunit2;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Actors.Tests.Subflow;

/// <summary>Plain TCP over the engine's actors on the simulated network, through Akka.IO's message protocol.</summary>
public class SubflowActorTests : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private (SimActors Net, IActorRef Client) Connected(Props serverHandler, ushort port = 80)
    {
        var net = new SimActors(Sys);
        var handler = Sys.ActorOf(Props.Create(() => new ListenerHandler(serverHandler)));
        net.Server.Tell(new TcpMsg.Bind(handler, new IPEndPoint(SimActors.ServerIp, port)));
        ExpectMsg<TcpMsg.Bound>(Wait);
        net.Client.Tell(new TcpMsg.Connect(new IPEndPoint(SimActors.ServerIp, port)));
        var connected = ExpectMsg<TcpMsg.Connected>(Wait);
        Assert.Equal(new IPEndPoint(SimActors.ServerIp, port), connected.RemoteAddress);
        var connection = LastSender;
        connection.Tell(new TcpMsg.Register(TestActor));
        return (net, connection);
    }

    /// <summary>Binds as a listener; each new connection gets a fresh handler from the props.</summary>
    private sealed class ListenerHandler : ReceiveActor
    {
        public ListenerHandler(Props perConnection) =>
            Receive<TcpMsg.Connected>(c => Context.ActorOf(perConnection).Forward(c));
    }

    private sealed class Ack(int n) : TcpMsg.Event
    {
        public int N { get; } = n;
        public override bool Equals(object? obj) => obj is Ack a && a.N == N;
        public override int GetHashCode() => N;
    }

    [Fact]
    public void Echo_with_write_acks_then_close()
    {
        var (_, connection) = Connected(Props.Create<EchoHandler>());
        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("hello, multipath"), new Ack(1)));
        ExpectMsg(new Ack(1), Wait);
        var echoed = "";
        while (echoed.Length < 16) echoed += ExpectMsg<TcpMsg.Received>(Wait).Data.ToString();
        Assert.Equal("hello, multipath", echoed);
        connection.Tell(TcpMsg.Close.Instance);
        FishForMessage(m => m is TcpMsg.Closed, Wait);
    }

    [Fact]
    public void Megabytes_arrive_intact_with_backpressure_by_acks()
    {
        var (_, connection) = Connected(Props.Create<EchoHandler>());
        var data = RandomNumberGenerator.GetBytes(2_000_000);
        const int chunk = 100_000;
        var received = new MemoryStream();
        for (var i = 0; i < data.Length / chunk; i++)
        {
            connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(data, i * chunk, chunk), new Ack(i)));
            FishForMessage(m =>
            {
                if (m is TcpMsg.Received r) received.Write(r.Data.ToArray());
                return m is Ack a && a.N == i;
            }, Wait);
        }
        while (received.Length < data.Length) received.Write(ExpectMsg<TcpMsg.Received>(Wait).Data.ToArray());
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received.ToArray()));
    }

    [Fact]
    public void A_second_write_before_the_first_is_taken_fails()
    {
        var net = new SimActors(Sys, new Transport.Sim.LinkParameters(RateBps: 1e6, Delay: TimeSpan.FromMilliseconds(50)));
        var handler = Sys.ActorOf(Props.Create(() => new ListenerHandler(Props.Create<EchoHandler>())));
        net.Server.Tell(new TcpMsg.Bind(handler, new IPEndPoint(SimActors.ServerIp, 80)));
        ExpectMsg<TcpMsg.Bound>(Wait);
        net.Client.Tell(new TcpMsg.Connect(new IPEndPoint(SimActors.ServerIp, 80)));
        ExpectMsg<TcpMsg.Connected>(Wait);
        var connection = LastSender;
        connection.Tell(new TcpMsg.Register(TestActor));
        var big = TcpMsg.Write.Create(ByteString.FromBytes(new byte[8 << 20]), new Ack(1));
        connection.Tell(big);
        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("x"), new Ack(2)));
        var failed = FishForMessage<TcpMsg.CommandFailed>(_ => true, Wait);
        Assert.Equal("x", ((TcpMsg.Write)failed.Cmd).Data.ToString());
    }

    [Fact]
    public void Connecting_to_a_port_nobody_listens_on_is_refused()
    {
        var net = new SimActors(Sys);
        var connect = new TcpMsg.Connect(new IPEndPoint(SimActors.ServerIp, 81));
        net.Client.Tell(connect);
        var failed = ExpectMsg<TcpMsg.CommandFailed>(Wait);
        Assert.Same(connect, failed.Cmd);
    }

    /// <summary>A connection with a probe on each end: the test actor holds the client side, the returned probe the server side.</summary>
    private (IActorRef Client, IActorRef Server, Akka.TestKit.TestProbe ServerSide) Pair(bool serverKeepsOpen = false)
    {
        var serverSide = CreateTestProbe();
        var net = new SimActors(Sys);
        net.Server.Tell(new TcpMsg.Bind(serverSide.Ref, new IPEndPoint(SimActors.ServerIp, 80)));
        ExpectMsg<TcpMsg.Bound>(Wait);
        net.Client.Tell(new TcpMsg.Connect(new IPEndPoint(SimActors.ServerIp, 80)));
        ExpectMsg<TcpMsg.Connected>(Wait);
        var client = LastSender;
        client.Tell(new TcpMsg.Register(TestActor));
        serverSide.ExpectMsg<TcpMsg.Connected>(Wait);
        var server = serverSide.LastSender;
        server.Tell(new TcpMsg.Register(serverSide.Ref, keepOpenOnPeerClosed: serverKeepsOpen));
        return (client, server, serverSide);
    }

    [Fact]
    public void Abort_resets_the_peer()
    {
        var (client, _, serverSide) = Pair();
        client.Tell(TcpMsg.Abort.Instance);
        ExpectMsg<TcpMsg.Aborted>(Wait);
        var closed = serverSide.ExpectMsg<TcpMsg.ErrorClosed>(Wait);
        Assert.Contains("reset", closed.Cause);
    }

    [Fact]
    public void Confirmed_close_waits_for_the_peer()
    {
        var (client, server, serverSide) = Pair(serverKeepsOpen: true);
        client.Tell(TcpMsg.ConfirmedClose.Instance);
        serverSide.ExpectMsg<TcpMsg.PeerClosed>(Wait);
        // Half close: the server may still send after the client's FIN.
        server.Tell(TcpMsg.Write.Create(ByteString.FromString("last words")));
        Assert.Equal("last words", ExpectMsg<TcpMsg.Received>(Wait).Data.ToString());
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        server.Tell(TcpMsg.Close.Instance);
        ExpectMsg<TcpMsg.ConfirmedClosed>(Wait);
    }

    /// <summary>
    /// SuspendReading (what `mptcp proxy` does while its server is slow): what arrives waits in the receive buffer, whose
    /// window closes instead of memory growing; ResumeReading hands all of it over, and a FIN that came meanwhile is
    /// reported only after the data before it.
    /// </summary>
    [Fact]
    public void Suspended_reading_holds_the_data_and_the_fin_behind_it()
    {
        var (client, server, serverSide) = Pair(serverKeepsOpen: true);
        server.Tell(TcpMsg.SuspendReading.Instance);
        var data = RandomNumberGenerator.GetBytes(100_000);
        client.Tell(TcpMsg.Write.Create(ByteString.FromBytes(data), new Ack(1)));
        ExpectMsg(new Ack(1), Wait);
        client.Tell(TcpMsg.ConfirmedClose.Instance);
        serverSide.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        server.Tell(TcpMsg.ResumeReading.Instance);
        var received = new MemoryStream();
        while (received.Length < data.Length) received.Write(serverSide.ExpectMsg<TcpMsg.Received>(Wait).Data.ToArray());
        serverSide.ExpectMsg<TcpMsg.PeerClosed>(Wait);
        Assert.Equal(data, received.ToArray());
        server.Tell(TcpMsg.Close.Instance);
        ExpectMsg<TcpMsg.ConfirmedClosed>(Wait);
    }
}

public class SubflowOverArpTests : TestKit
{
    [Fact]
    public void Interfaces_resolve_each_other_with_arp_before_the_handshake()
    {
        var net = new SimActors(Sys, staticNeighbors: false);
        var serverSide = CreateTestProbe();
        net.Server.Tell(new TcpMsg.Bind(serverSide.Ref, new IPEndPoint(SimActors.ServerIp, 80)));
        ExpectMsg<TcpMsg.Bound>();
        net.Client.Tell(new TcpMsg.Connect(new IPEndPoint(SimActors.ServerIp, 80)));
        ExpectMsg<TcpMsg.Connected>(TimeSpan.FromSeconds(10));
        serverSide.ExpectMsg<TcpMsg.Connected>(TimeSpan.FromSeconds(10));
    }
}
