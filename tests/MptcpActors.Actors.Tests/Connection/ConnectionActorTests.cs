using System.Net;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Mptcp.Scheduling;
using MptcpActors.Actors.PathManagement;
using MptcpActors.Actors.Tcp;
using MptcpActors.Actors.Tcp.Congestion;
using MptcpActors.Transport.Sim;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Actors.Tests.Connection;

/// <summary>Engine to engine MPTCP over two simulated paths: joins, ADD_ADDR, data on both paths, failover, close, abort.</summary>
public class ConnectionActorTests(Xunit.Abstractions.ITestOutputHelper output) : TestKit("akka.loglevel = INFO", output)
{
    // Generous: these run the simulator in real time, and a loaded machine stretches every RTT and so every RTO.
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private static readonly LinkParameters Path = SimMptcpNodes.FastPath;

    private const string ClientWithSubflowEndpoint = """
        mptcp.path-manager {
          limits { subflows = 2, add-addr-accepted = 2 }
          endpoints = [ { address = 10.7.1.1, flags = [subflow] } ]
        }
        """;

    private const string ClientAcceptingAddAddr = """
        mptcp.path-manager.limits { subflows = 2, add-addr-accepted = 2 }
        """;

    private const string ServerSignalling = """
        mptcp.path-manager {
          limits { subflows = 2 }
          endpoints = [ { address = 10.7.1.2, flags = [signal] } ]
        }
        """;

    private const string ServerAcceptingJoins = "mptcp.path-manager.limits.subflows = 2";

    private (TransferResult Client, TransferResult Server) Transfer(SimMptcpNodes nodes, byte[] up, byte[] down, Action? midway = null,
        params Akka.IO.Inet.SocketOption[] options)
    {
        var serverReport = CreateTestProbe();
        var clientReport = CreateTestProbe();
        var listener = Sys.ActorOf(Props.Create(() => new TransferListener(down, serverReport.Ref)));
        nodes.Server.Tell(new TcpMsg.Bind(listener, new IPEndPoint(IPAddress.Any, 8080)));
        ExpectMsg<TcpMsg.Bound>(Wait);
        var client = Sys.ActorOf(Props.Create(() => new TransferHandler(up, clientReport.Ref)));
        nodes.Client.Tell(new TcpMsg.Connect(new IPEndPoint(SimMptcpNodes.ServerIp(0), 8080), options: options), client);
        midway?.Invoke();
        var c = clientReport.ExpectMsg<TransferResult>(Wait);
        var s = serverReport.ExpectMsg<TransferResult>(Wait);
        return (c, s);
    }

    /// <summary>
    /// A connection the test drives itself: the client's end registered to the test actor, the server's to the returned
    /// probe; <paramref name="connected"/> runs on the client's end the moment it is connected, before anything else.
    /// </summary>
    private (IActorRef Client, IActorRef Server, TestProbe ServerSide) OpenDriven(SimMptcpNodes nodes, Action<IActorRef>? connected = null)
    {
        var serverSide = CreateTestProbe();
        var listener = Sys.ActorOf(Props.Create(() => new Forwarder(serverSide.Ref)));
        nodes.Server.Tell(new TcpMsg.Bind(listener, new IPEndPoint(IPAddress.Any, 8080)));
        ExpectMsg<TcpMsg.Bound>(Wait);
        nodes.Client.Tell(new TcpMsg.Connect(new IPEndPoint(SimMptcpNodes.ServerIp(0), 8080)));
        ExpectMsg<TcpMsg.Connected>(Wait);
        var client = LastSender;
        connected?.Invoke(client);
        client.Tell(new TcpMsg.Register(TestActor));
        serverSide.ExpectMsg<TcpMsg.Connected>(Wait);
        var server = serverSide.LastSender;
        server.Tell(new TcpMsg.Register(serverSide.Ref));
        return (client, server, serverSide);
    }

    /// <summary>
    /// A connection over both paths, the client's join up at both ends (see <see cref="OpenDriven"/>). The server writes
    /// first: data from it completes the MPTCP handshake at the client (RFC 8684 3.1), which only then opens its join.
    /// </summary>
    private (IActorRef Client, IActorRef Server, TestProbe ServerSide) JoinedConnection()
    {
        var (client, server, serverSide) = OpenDriven(new SimMptcpNodes(Sys, ClientWithSubflowEndpoint, ServerAcceptingJoins, Path, Path));
        server.Tell(TcpMsg.Write.Create(Akka.IO.ByteString.FromString("hello")));
        ExpectMsg<TcpMsg.Received>(Wait);
        AwaitCondition(() => client.Ask<ConnectionInfo>(GetConnectionInfo.Instance).Result.Subflows.Count == 2
                             && server.Ask<ConnectionInfo>(GetConnectionInfo.Instance).Result.Subflows.Count == 2, Wait);
        return (client, server, serverSide);
    }

    private static void AssertIntact(byte[] sent, byte[] received) =>
        Assert.Equal(TransferHandler.Sha256(sent), TransferHandler.Sha256(received));

    [Fact]
    public void A_client_subflow_endpoint_joins_and_both_paths_carry_data_both_ways()
    {
        var nodes = new SimMptcpNodes(Sys, ClientWithSubflowEndpoint, ServerAcceptingJoins, Path, Path);
        var up = TransferHandler.RandomBytes(12 << 20, 1);
        var down = TransferHandler.RandomBytes(3 << 20, 2);

        var (c, s) = Transfer(nodes, up, down);

        AssertIntact(up, s.Received);
        AssertIntact(down, c.Received);
        Assert.IsType<TcpMsg.ConfirmedClosed>(c.Closed);
        var f = c.Finished!;
        Assert.False(f.Fallback);
        Assert.NotNull(f.LocalToken);
        Assert.Equal(2, f.Subflows.Count);
        Assert.All(f.Subflows, sf => Assert.True(sf.BytesSent > 256 * 1024, $"{sf.Key} sent only {sf.BytesSent} bytes"));
        Assert.All(f.Subflows, sf => Assert.True(sf.BytesReceived > 256 * 1024, $"{sf.Key} received only {sf.BytesReceived} bytes"));
        Assert.Contains(f.Subflows, sf => sf.Key.LocalAddress.ToIPAddress().Equals(SimMptcpNodes.ClientIp(1)));
    }

    [Fact]
    public void A_server_signal_endpoint_is_announced_and_the_client_joins_it()
    {
        var nodes = new SimMptcpNodes(Sys, ClientAcceptingAddAddr, ServerSignalling, Path, Path);
        var up = TransferHandler.RandomBytes(8 << 20, 3);

        var (c, s) = Transfer(nodes, up, []);

        AssertIntact(up, s.Received);
        Assert.Equal(2, s.Finished!.Subflows.Count);
        Assert.Contains(s.Finished.Subflows, sf => sf.Key.LocalAddress.ToIPAddress().Equals(SimMptcpNodes.ServerIp(1)) && sf.BytesReceived > 256 * 1024);
        Assert.Equal(s.Finished.LocalToken, c.Finished!.RemoteToken);
    }

    [Fact]
    public void Without_limits_no_subflow_joins_and_one_path_carries_everything()
    {
        var nodes = new SimMptcpNodes(Sys, "mptcp.path-manager.limits.add-addr-accepted = 0", ServerSignalling, Path, Path);
        var up = TransferHandler.RandomBytes(1 << 20, 4);

        var (_, s) = Transfer(nodes, up, []);

        AssertIntact(up, s.Received);
        Assert.Single(s.Finished!.Subflows);
    }

    [Fact]
    public void The_transfer_completes_on_the_other_path_when_the_initial_one_blackholes()
    {
        var nodes = new SimMptcpNodes(Sys, ClientWithSubflowEndpoint, ServerAcceptingJoins, Path, Path);
        var up = TransferHandler.RandomBytes(8 << 20, 5);

        var (c, s) = Transfer(nodes, up, [], midway: BlackholeInitialPathSoon(nodes));

        AssertIntact(up, s.Received);
        Assert.Contains(c.Finished!.Subflows, sf => sf.Key.LocalAddress.ToIPAddress().Equals(SimMptcpNodes.ClientIp(1)) && sf.BytesSent > 4 << 20);
    }

    [Fact]
    public void The_transfer_completes_on_the_other_path_when_the_servers_initial_interface_goes_down()
    {
        var nodes = new SimMptcpNodes(Sys, ClientWithSubflowEndpoint, ServerAcceptingJoins, Path, Path);
        var up = TransferHandler.RandomBytes(4 << 20, 9);
        var down = TransferHandler.RandomBytes(8 << 20, 10);
        // Only the server's host sees the carrier go (Linux: its address is removed, the subflows on it close); the
        // client learns of it from the wire alone.
        var (c, s) = Transfer(nodes, up, down, midway: () => nodes.Sim.Tell(new Sim.SimNetworkActor.ChangeNetwork(n => n.GetLink("p0").AddObserver(
            new AfterBytes(1 << 20, link =>
            {
                link.Down();
                nodes.Server.Tell(new InterfaceStateChanged("p0", Up: false));
            })))));

        AssertIntact(up, s.Received);
        AssertIntact(down, c.Received);
        Assert.IsNotType<TcpMsg.ErrorClosed>(c.Closed);
        Assert.IsNotType<TcpMsg.ErrorClosed>(s.Closed);
        // The client's join goes to the server's initial address over path 1: it crosses an interface that stayed up.
        Assert.Contains(s.Finished!.Subflows, sf => sf.Key.RemoteAddress.ToIPAddress().Equals(SimMptcpNodes.ClientIp(1)) && sf.BytesSent > 4 << 20);
    }

    [Fact]
    public void A_peer_without_mptcp_gets_plain_tcp_under_the_same_api()
    {
        var nodes = new SimMptcpNodes(Sys, ClientWithSubflowEndpoint, "mptcp.enabled = off", Path, Path);
        var up = TransferHandler.RandomBytes(1 << 20, 6);
        var serverReport = CreateTestProbe();
        var listener = Sys.ActorOf(Props.Create(() => new PlainSink(serverReport.Ref)));
        nodes.Server.Tell(new TcpMsg.Bind(listener, new IPEndPoint(IPAddress.Any, 8080)));
        ExpectMsg<TcpMsg.Bound>(Wait);
        var clientReport = CreateTestProbe();
        var client = Sys.ActorOf(Props.Create(() => new TransferHandler(up, clientReport.Ref)));
        nodes.Client.Tell(new TcpMsg.Connect(new IPEndPoint(SimMptcpNodes.ServerIp(0), 8080)), client);

        var received = serverReport.ExpectMsg<byte[]>(Wait);
        AssertIntact(up, received);
        var c = clientReport.ExpectMsg<TransferResult>(Wait);
        Assert.True(c.Finished!.Fallback);
        Assert.Single(c.Finished.Subflows);
    }

    [Fact]
    public void Abort_resets_every_subflow_and_the_peer_learns_of_it()
    {
        var (connection, _, serverSide) = JoinedConnection();

        connection.Tell(TcpMsg.Abort.Instance);

        ExpectMsg<TcpMsg.Aborted>(Wait);
        var closed = serverSide.FishForMessage(m => m is TcpMsg.ConnectionClosed, Wait);
        Assert.IsType<TcpMsg.ErrorClosed>(closed);
    }

    [Fact]
    public void A_request_sent_with_the_mp_capable_handshake_still_lets_the_client_join_for_the_download()
    {
        // The request leaves as the first data, carrying MP_CAPABLE in place of the third ACK (RFC 8684 3.1); then the
        // server only sends. The client must still see itself fully established and join from its subflow endpoint.
        var (client, server, serverSide) = OpenDriven(new SimMptcpNodes(Sys, ClientWithSubflowEndpoint, ServerAcceptingJoins, Path, Path),
            connected: c => c.Tell(TcpMsg.Write.Create(Akka.IO.ByteString.FromString("GET / HTTP/1.0\r\n\r\n"))));
        serverSide.ExpectMsg<TcpMsg.Received>(Wait);
        var down = TransferHandler.RandomBytes(6 << 20, 31);
        server.Tell(TcpMsg.Write.Create(Akka.IO.ByteString.FromBytes(down)));

        var received = new MemoryStream();
        while (received.Length < down.Length) received.Write(ExpectMsg<TcpMsg.Received>(Wait).Data.ToArray());

        AssertIntact(down, received.ToArray());
        var asker = CreateTestProbe();
        client.Tell(GetConnectionInfo.Instance, asker.Ref);
        var info = asker.ExpectMsg<ConnectionInfo>(Wait);
        Assert.Contains(info.Subflows, sf => sf.IsJoin && sf.Key.LocalAddress.ToIPAddress().Equals(SimMptcpNodes.ClientIp(1)));
        server.Tell(GetConnectionInfo.Instance, asker.Ref);
        var atServer = asker.ExpectMsg<ConnectionInfo>(Wait);
        var join = Assert.Single(atServer.Subflows, sf => sf.IsJoin);
        Assert.True(join.BytesScheduled > 256 * 1024, $"the join carried only {join.BytesScheduled} bytes");
    }

    [Theory]
    [InlineData(CongestionControlKind.Lia, SchedulerKind.Default)]
    [InlineData(CongestionControlKind.Olia, SchedulerKind.Default)]
    [InlineData(CongestionControlKind.Cubic, SchedulerKind.RoundRobin)]
    [InlineData(CongestionControlKind.NewReno, SchedulerKind.Redundant)]
    public void Every_scheduler_and_congestion_control_delivers_over_both_paths(CongestionControlKind cc, SchedulerKind scheduler)
    {
        var nodes = new SimMptcpNodes(Sys, ClientWithSubflowEndpoint, ServerAcceptingJoins, Path, Path);
        var up = TransferHandler.RandomBytes(6 << 20, 7);

        var (c, s) = Transfer(nodes, up, [], null, new MptcpSocketOptions.CongestionControl(cc), new MptcpSocketOptions.Scheduler(scheduler));

        AssertIntact(up, s.Received);
        Assert.Equal(2, c.Finished!.Subflows.Count);
        Assert.All(c.Finished.Subflows, sf => Assert.True(sf.BytesSent > 256 * 1024, $"{sf.Key} sent only {sf.BytesSent} bytes"));
        // Redundant sends every chunk on every subflow that has room: well beyond the data's length in total.
        if (scheduler == SchedulerKind.Redundant) Assert.True(c.Finished.Subflows.Sum(sf => sf.BytesSent) > up.Length * 13 / 10);
    }

    private const string TwoSubflowEndpoints = """
        mptcp.path-manager {
          limits { subflows = 2 }
          endpoints = [ { address = 10.7.1.1, flags = [subflow] }, { address = 10.7.2.1, flags = [subflow] } ]
        }
        """;

    [Fact]
    public void Joins_beyond_the_servers_limit_are_refused_and_the_connection_carries_on()
    {
        var nodes = new SimMptcpNodes(Sys, TwoSubflowEndpoints, "mptcp.path-manager.limits.subflows = 1", Path, Path, Path);
        var up = TransferHandler.RandomBytes(2 << 20, 8);

        var (c, s) = Transfer(nodes, up, []);

        AssertIntact(up, s.Received);
        Assert.Equal(2, s.Finished!.Subflows.Count);
        Assert.Contains(c.Finished!.Subflows, sf => sf.Reason is TcpCloseReason.Reset or TcpCloseReason.Refused);
    }

    private const string ClientWithBackupEndpoint = """
        mptcp.path-manager {
          limits { subflows = 2, add-addr-accepted = 2 }
          endpoints = [ { address = 10.7.1.1, flags = [subflow, backup] } ]
        }
        """;

    [Fact]
    public void A_backup_subflow_carries_no_data_while_the_other_path_works()
    {
        var nodes = new SimMptcpNodes(Sys, ClientWithBackupEndpoint, ServerAcceptingJoins, Path, Path);
        var up = TransferHandler.RandomBytes(6 << 20, 11);
        var down = TransferHandler.RandomBytes(6 << 20, 12);

        var (c, s) = Transfer(nodes, up, down);

        AssertIntact(up, s.Received);
        AssertIntact(down, c.Received);
        var clientBackup = Assert.Single(c.Finished!.Subflows, sf => sf.Key.LocalAddress.ToIPAddress().Equals(SimMptcpNodes.ClientIp(1)));
        var serverBackup = Assert.Single(s.Finished!.Subflows, sf => sf.Key.LocalAddress.ToIPAddress().Equals(SimMptcpNodes.ServerIp(0)) && sf.Key.RemoteAddress.ToIPAddress().Equals(SimMptcpNodes.ClientIp(1)));
        Assert.True(clientBackup.Backup && serverBackup.Backup);
        // Only the handshake and ACKs: both senders keep the data on the regular subflow (RFC 8684 3.3.8).
        Assert.True(clientBackup.BytesSent < 64 * 1024, $"the client sent {clientBackup.BytesSent} bytes on its backup subflow");
        Assert.True(serverBackup.BytesSent < 64 * 1024, $"the server sent {serverBackup.BytesSent} bytes on the backup subflow");
    }

    [Fact]
    public void The_backup_subflow_takes_over_when_the_regular_path_blackholes()
    {
        var nodes = new SimMptcpNodes(Sys, ClientWithBackupEndpoint, ServerAcceptingJoins, Path, Path);
        var up = TransferHandler.RandomBytes(8 << 20, 13);

        var (c, s) = Transfer(nodes, up, [], midway: BlackholeInitialPathSoon(nodes));

        AssertIntact(up, s.Received);
        var backup = Assert.Single(c.Finished!.Subflows, sf => sf.Key.LocalAddress.ToIPAddress().Equals(SimMptcpNodes.ClientIp(1)));
        Assert.True(backup.BytesSent > 2 << 20, $"the backup subflow sent only {backup.BytesSent} bytes");
    }

    [Fact]
    public void Mp_prio_turns_a_subflow_into_a_backup_at_the_peer_and_back()
    {
        var (client, server, _) = JoinedConnection();
        bool JoinIsBackupAtServer() => server.Ask<ConnectionInfo>(GetConnectionInfo.Instance).Result.Subflows
            .Single(sf => sf.Key.RemoteAddress.ToIPAddress().Equals(SimMptcpNodes.ClientIp(1))).Backup;
        Assert.False(JoinIsBackupAtServer());

        client.Tell(new SetBackup(Transport.Wire.Mptcp.IpAddressBytes.From(SimMptcpNodes.ClientIp(1)), true));
        server.Tell(TcpMsg.Write.Create(Akka.IO.ByteString.FromString("ping"))); // traffic that carries the change's ACKs along
        AwaitCondition(JoinIsBackupAtServer, Wait);

        client.Tell(new SetBackup(Transport.Wire.Mptcp.IpAddressBytes.From(SimMptcpNodes.ClientIp(1)), false));
        AwaitCondition(() => !JoinIsBackupAtServer(), Wait);
    }

    [Fact]
    public void A_slow_pull_mode_reader_holds_the_peer_back_with_the_connection_window()
    {
        // A small reassembly buffer: the window both subflows announce. The reader takes one Received per ResumeReading.
        var lossless = new LinkParameters(RateBps: 50e6, Delay: TimeSpan.FromMilliseconds(5), QueueLimitPackets: 2000);
        var nodes = new SimMptcpNodes(Sys, ClientWithSubflowEndpoint, "mptcp.reassembly-memory = 128KiB\nmptcp.path-manager.limits.subflows = 2",
            lossless, lossless);
        var up = TransferHandler.RandomBytes(3 << 20, 21);
        var serverReport = CreateTestProbe();
        var listener = Sys.ActorOf(Props.Create(() => new PullReader(serverReport.Ref)));
        nodes.Server.Tell(new TcpMsg.Bind(listener, new IPEndPoint(IPAddress.Any, 8080), pullMode: true));
        ExpectMsg<TcpMsg.Bound>(Wait);
        var clientReport = CreateTestProbe();
        var client = Sys.ActorOf(Props.Create(() => new TransferHandler(up, clientReport.Ref)));
        nodes.Client.Tell(new TcpMsg.Connect(new IPEndPoint(SimMptcpNodes.ServerIp(0), 8080)), client);

        var received = serverReport.ExpectMsg<byte[]>(TimeSpan.FromSeconds(60));
        AssertIntact(up, received);
        var c = clientReport.ExpectMsg<TransferResult>(Wait);
        // Nothing had to be sent twice at data level: the peer never sent past the window, so nothing was dropped.
        Assert.True(c.Finished!.BytesReinjected == 0, $"{c.Finished.BytesReinjected} bytes reinjected: {string.Join("; ", c.Finished.Subflows)}");
    }

    /// <summary>Reads in pull mode, a Received at a time, a little slower than the data comes; reports all of it at the end.</summary>
    private sealed class PullReader : ReceiveActor
    {
        public PullReader(IActorRef report)
        {
            var data = new MemoryStream();
            Receive<TcpMsg.Connected>(_ =>
            {
                Sender.Tell(new TcpMsg.Register(Self));
                Sender.Tell(TcpMsg.ResumeReading.Instance);
            });
            Receive<TcpMsg.Received>(r =>
            {
                data.Write(r.Data.ToArray());
                Thread.Sleep(2); // a slow consumer
                Sender.Tell(TcpMsg.ResumeReading.Instance);
            });
            Receive<TcpMsg.ConnectionClosed>(_ => report.Tell(data.ToArray()));
            ReceiveAny(_ => { });
        }
    }

    /// <summary>
    /// Blackholes the initial path (p0) once 1 MiB has crossed it: measured in the simulation, not in wall time, so a
    /// busy machine cannot move the fault before the handshake (the connection then never starts and nothing takes over).
    /// </summary>
    private static Action BlackholeInitialPathSoon(SimMptcpNodes nodes) => () =>
        nodes.Sim.Tell(new Sim.SimNetworkActor.ChangeNetwork(n => n.GetLink("p0").AddObserver(new AfterBytes(1 << 20, l => l.Blackhole()))));

    /// <summary>A fault on a link once this many bytes have crossed it (both ways).</summary>
    private sealed class AfterBytes(long bytes, Action<SimLink> fault) : ISimLinkObserver
    {
        private bool _done;

        public void FrameDelivered(SimLinkDirection direction, ReadOnlySpan<byte> frame, long nowNs)
        {
            var link = direction.Link;
            if (_done || link.AToB.Stats.BytesDelivered + link.BToA.Stats.BytesDelivered < bytes) return;
            _done = true;
            link.At(nowNs, fault); // after this delivery, not inside it
        }
    }

    /// <summary>Forwards every message to a probe (a listener whose connections the test drives itself).</summary>
    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef to) => ReceiveAny(m => to.Forward(m));
    }

    /// <summary>A plain receiver: collects until the peer closes, then closes and reports the bytes.</summary>
    private sealed class PlainSink : ReceiveActor
    {
        public PlainSink(IActorRef report)
        {
            var received = new MemoryStream();
            Receive<TcpMsg.Connected>(_ => Sender.Tell(new TcpMsg.Register(Self)));
            Receive<TcpMsg.Received>(r => received.Write(r.Data.ToArray()));
            Receive<TcpMsg.ConnectionClosed>(_ => report.Tell(received.ToArray()));
            ReceiveAny(_ => { });
        }
    }
}
