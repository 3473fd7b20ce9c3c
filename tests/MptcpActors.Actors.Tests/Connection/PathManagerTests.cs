using System.Net;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.PathManagement;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Mptcp;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Actors.Tests.Connection;

/// <summary>
/// The node's path manager on two engine nodes over simulated paths: endpoints changed at run time on a live connection
/// (announce, REMOVE_ADDR, MP_PRIO), interfaces down and up, ADD_ADDR resent until echoed, and the userspace API (events
/// in order, commands, clear refusals). Connections stay open (nothing is sent) while the test changes paths, and what
/// happened is read from the events both nodes publish.
/// </summary>
public class PathManagerTests(Xunit.Abstractions.ITestOutputHelper output) : TestKit("akka.loglevel = INFO", output)
{
    private readonly Xunit.Abstractions.ITestOutputHelper _output = output;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private static readonly LinkParameters Path = SimMptcpNodes.FastPath;
    private static IpAddressBytes Client(int path) => IpAddressBytes.From(SimMptcpNodes.ClientIp(path));
    private static IpAddressBytes Server(int path) => IpAddressBytes.From(SimMptcpNodes.ServerIp(path));

    /// <summary>An open connection between the nodes, and probes holding each node's events.</summary>
    private sealed record Open(SimMptcpNodes Nodes, TestProbe ClientEvents, TestProbe ServerEvents, IActorRef ClientConnection, IActorRef ServerConnection, uint ClientToken,
        uint ServerToken);

    private Open Connect(string clientConfig, string serverConfig, bool clientControlled = false)
    {
        var nodes = new SimMptcpNodes(Sys, clientConfig, serverConfig, Path, Path);
        var clientEvents = CreateTestProbe();
        var serverEvents = CreateTestProbe();
        nodes.Client.Tell(new SubscribePathEvents(clientEvents.Ref, clientControlled), clientEvents.Ref);
        clientEvents.ExpectMsg<PathEventsSubscribed>(Wait);
        nodes.Server.Tell(new SubscribePathEvents(serverEvents.Ref), serverEvents.Ref);
        serverEvents.ExpectMsg<PathEventsSubscribed>(Wait);
        var listener = CreateTestProbe();
        nodes.Server.Tell(new TcpMsg.Bind(listener.Ref, new IPEndPoint(IPAddress.Any, 8080)), listener.Ref);
        listener.ExpectMsg<TcpMsg.Bound>(Wait);
        Assert.Equal(PmEventKind.ListenerCreated, serverEvents.ExpectMsg<PmEvent>(Wait).Kind);
        serverEvents.ExpectMsg<PmEvent>(Wait); // the second interface's listener
        var app = CreateTestProbe();
        nodes.Client.Tell(new TcpMsg.Connect(new IPEndPoint(SimMptcpNodes.ServerIp(0), 8080)), app.Ref);
        app.ExpectMsg<TcpMsg.Connected>(Wait);
        var clientConnection = app.LastSender;
        clientConnection.Tell(new TcpMsg.Register(app.Ref, keepOpenOnPeerClosed: true));
        listener.ExpectMsg<TcpMsg.Connected>(Wait);
        var serverConnection = listener.LastSender;
        serverConnection.Tell(new TcpMsg.Register(listener.Ref, keepOpenOnPeerClosed: true));
        // A client is fully established once the server's DSS arrives (RFC 8684 3.1): a byte each way gets there.
        serverConnection.Tell(TcpMsg.Write.Create(ByteString.FromString("s")));
        clientConnection.Tell(TcpMsg.Write.Create(ByteString.FromString("c")));
        var created = Next(clientEvents, PmEventKind.Created);
        Assert.False(created.ServerSide);
        Next(clientEvents, PmEventKind.Established);
        var serverCreated = Next(serverEvents, PmEventKind.Created);
        Assert.True(serverCreated.ServerSide);
        Next(serverEvents, PmEventKind.Established);
        return new Open(nodes, clientEvents, serverEvents, clientConnection, serverConnection, created.Token, serverCreated.Token);
    }

    /// <summary>The next event of this kind (others before it are written to the output and skipped).</summary>
    private PmEvent Next(TestProbe events, PmEventKind kind)
    {
        while (true)
        {
            var e = events.ExpectMsg<PmEvent>(Wait);
            _output.WriteLine(e.ToString());
            if (e.Kind == kind) return e;
        }
    }

    private static T Ask<T>(IActorRef node, object command, TestProbe probe)
    {
        node.Tell(command, probe.Ref);
        return probe.ExpectMsg<T>(Wait);
    }

    [Fact]
    public void A_signal_endpoint_added_at_run_time_is_announced_and_joined_and_deleting_it_removes_the_subflow()
    {
        var o = Connect("mptcp.path-manager.limits { subflows = 2, add-addr-accepted = 2 }", "mptcp.path-manager.limits.subflows = 2");
        var admin = CreateTestProbe();

        var added = Ask<EndpointsChanged>(o.Nodes.Server, new AddEndpoint(new EndpointSettings(SimMptcpNodes.ServerIp(1), null, 0, null, EndpointFlags.Signal)), admin);
        var id = Assert.Single(added.Endpoints).Id;
        Assert.Equal(1, id);

        var announced = Next(o.ClientEvents, PmEventKind.Announced);
        Assert.Equal((byte)id, announced.RemoteId);
        Assert.Equal(Server(1), announced.RemoteAddress);
        var joined = Next(o.ServerEvents, PmEventKind.SubflowEstablished);
        Assert.Equal((byte)id, joined.LocalId);
        Assert.Equal(Server(1), joined.LocalAddress);
        Next(o.ClientEvents, PmEventKind.SubflowEstablished);

        Ask<EndpointsChanged>(o.Nodes.Server, new DeleteEndpoint(id), admin);
        Assert.Equal((byte)id, Next(o.ClientEvents, PmEventKind.Removed).RemoteId);
        var closed = Next(o.ServerEvents, PmEventKind.SubflowClosed);
        Assert.Equal(Server(1), closed.LocalAddress);
        o.ClientConnection.Tell(GetConnectionInfo.Instance, admin.Ref);
        Assert.Single(admin.ExpectMsg<ConnectionInfo>(Wait).Subflows);
    }

    [Fact]
    public void Endpoint_commands_that_make_no_sense_fail_with_a_reason_and_change_nothing()
    {
        var nodes = new SimMptcpNodes(Sys, "mptcp.path-manager.endpoints = [ { address = 10.7.1.1, id = 3, flags = [subflow] } ]", "", Path, Path);
        var admin = CreateTestProbe();
        Assert.Contains("not an address", Ask<PathManagerCommandFailed>(nodes.Client,
            new AddEndpoint(new EndpointSettings(IPAddress.Parse("10.9.9.9"), null, 0, null, EndpointFlags.Signal)), admin).Reason);
        Assert.Contains("already", Ask<PathManagerCommandFailed>(nodes.Client,
            new AddEndpoint(new EndpointSettings(SimMptcpNodes.ClientIp(1), null, 0, null, EndpointFlags.Signal)), admin).Reason);
        Assert.Contains("fullmesh", Ask<PathManagerCommandFailed>(nodes.Client,
            new AddEndpoint(new EndpointSettings(SimMptcpNodes.ClientIp(0), null, 0, null, EndpointFlags.Signal | EndpointFlags.Fullmesh)), admin).Reason);
        Assert.Contains("id 7", Ask<PathManagerCommandFailed>(nodes.Client, new DeleteEndpoint(7), admin).Reason);
        Assert.Contains("0..8", Ask<PathManagerCommandFailed>(nodes.Client, new SetLimits(new PathManagerLimits(9, 0)), admin).Reason);
        Assert.Contains("no interface", Ask<PathManagerCommandFailed>(nodes.Client, new InterfaceStateChanged("nope", false), admin).Reason);
        Assert.Contains("no connection", Ask<PathManagerCommandFailed>(nodes.Client, new Announce(0x1234, 1, Client(1)), admin).Reason);
        var shown = Ask<EndpointsChanged>(nodes.Client, ShowEndpoints.Instance, admin);
        Assert.Equal(3, Assert.Single(shown.Endpoints).Id);
        Assert.Empty(Ask<EndpointsChanged>(nodes.Client, FlushEndpoints.Instance, admin).Endpoints);
    }

    [Fact]
    public void Changing_a_subflow_endpoint_to_backup_sends_mp_prio_and_an_interface_down_and_up_rejoins()
    {
        var o = Connect("""
            mptcp.path-manager {
              limits { subflows = 2 }
              endpoints = [ { address = 10.7.1.1, flags = [subflow] } ]
            }
            """, "mptcp.path-manager.limits.subflows = 2");
        var joined = Next(o.ServerEvents, PmEventKind.SubflowEstablished);
        Assert.Equal(Client(1), joined.RemoteAddress);
        Assert.Equal(false, joined.Backup);
        var admin = CreateTestProbe();

        Next(o.ClientEvents, PmEventKind.SubflowEstablished);
        Ask<EndpointsChanged>(o.Nodes.Client, new ChangeEndpoint(1, Backup: true), admin);
        var prio = Next(o.ServerEvents, PmEventKind.SubflowPriority);
        Assert.Equal(true, prio.Backup);
        Assert.Equal(Client(1), prio.RemoteAddress);

        Ask<EndpointsChanged>(o.Nodes.Client, new InterfaceStateChanged("p1", Up: false), admin);
        Assert.Equal(Client(1), Next(o.ClientEvents, PmEventKind.SubflowClosed).LocalAddress);
        Assert.Equal((byte)1, Next(o.ServerEvents, PmEventKind.Removed).RemoteId);

        var back = Ask<EndpointsChanged>(o.Nodes.Client, new InterfaceStateChanged("p1", Up: true), admin);
        Assert.Empty(back.DownInterfaces);
        var rejoined = Next(o.ServerEvents, PmEventKind.SubflowEstablished);
        Assert.Equal(Client(1), rejoined.RemoteAddress);
        Assert.Equal(true, rejoined.Backup);
    }

    [Fact]
    public void An_add_addr_lost_on_the_way_is_sent_again_after_add_addr_timeout_and_then_followed()
    {
        var o = Connect("mptcp.path-manager.limits { subflows = 2, add-addr-accepted = 1 }",
            "mptcp { add-addr-timeout = 1s, path-manager.limits.subflows = 2 }");
        var admin = CreateTestProbe();
        // The announcement leaves on the initial path, alone on a pure ACK (no retransmission by TCP): lose it.
        o.Nodes.Sim.Tell(new Sim.SimNetworkActor.ChangeNetwork(n => n.GetLink("p0").Blackhole()));
        Ask<EndpointsChanged>(o.Nodes.Server, new AddEndpoint(new EndpointSettings(SimMptcpNodes.ServerIp(1), null, 0, null, EndpointFlags.Signal)), admin);
        Thread.Sleep(300);
        o.Nodes.Sim.Tell(new Sim.SimNetworkActor.ChangeNetwork(n => n.GetLink("p0").Up()));

        Assert.Equal(Server(1), Next(o.ClientEvents, PmEventKind.Announced).RemoteAddress);
        Assert.Equal(Server(1), Next(o.ServerEvents, PmEventKind.SubflowEstablished).LocalAddress);
        o.ServerConnection.Tell(GetConnectionInfo.Instance, admin.Ref);
        var counters = admin.ExpectMsg<ConnectionInfo>(Wait).PathManager!;
        Assert.True(counters.AddAddrResent >= 1, $"the ADD_ADDR was not resent: {counters}");
    }

    [Fact]
    public void A_controller_owns_the_connection_its_commands_work_in_order_and_impossible_ones_fail_clearly()
    {
        var o = Connect("""
            mptcp.path-manager {
              limits { subflows = 2 }
              endpoints = [ { address = 10.7.1.1, flags = [subflow] } ]
            }
            """, "mptcp.path-manager.limits { subflows = 2, add-addr-accepted = 2 }", clientControlled: true);
        var c = CreateTestProbe();
        // The in-engine policy stayed out: the endpoint's join was not opened, so the controller's own is not a duplicate.
        var create = new CreateSubflow(o.ClientToken, 1, Client(1), Server(0), 8080);
        Ask<PathManagerCommandDone>(o.Nodes.Client, create, c);
        var up = Next(o.ClientEvents, PmEventKind.SubflowEstablished);
        Assert.Equal(Client(1), up.LocalAddress);
        Assert.Equal((byte)1, up.LocalId);
        Assert.Contains("exists already", Ask<PathManagerCommandFailed>(o.Nodes.Client, create, c).Reason);

        Ask<PathManagerCommandDone>(o.Nodes.Client, new SetSubflowBackup(o.ClientToken, Client(1), true), c);
        Assert.Equal(true, Next(o.ServerEvents, PmEventKind.SubflowPriority).Backup);

        Ask<PathManagerCommandDone>(o.Nodes.Client, new Announce(o.ClientToken, 5, Client(1)), c);
        var announced = Next(o.ServerEvents, PmEventKind.Announced);
        Assert.Equal((byte)5, announced.RemoteId);
        Assert.Contains("already announced", Ask<PathManagerCommandFailed>(o.Nodes.Client, new Announce(o.ClientToken, 5, Client(1)), c).Reason);
        Assert.Contains("not an address", Ask<PathManagerCommandFailed>(o.Nodes.Client, new Announce(o.ClientToken, 6, Server(1)), c).Reason);
        Assert.Contains("id 0", Ask<PathManagerCommandFailed>(o.Nodes.Client, new Announce(o.ClientToken, 0, Client(1)), c).Reason);
        Assert.Contains("no connection", Ask<PathManagerCommandFailed>(o.Nodes.Client, new Announce(o.ClientToken + 1, 7, Client(1)), c).Reason);
        Assert.Contains("in-engine", Ask<PathManagerCommandFailed>(o.Nodes.Server, new Announce(o.ServerToken, 7, Server(1)), c).Reason);

        Ask<PathManagerCommandDone>(o.Nodes.Client, new DestroySubflow(o.ClientToken, up.LocalAddress!.Value, up.LocalPort!.Value,
            up.RemoteAddress!.Value, up.RemotePort!.Value), c);
        Assert.Equal(up.LocalPort, Next(o.ClientEvents, PmEventKind.SubflowClosed).LocalPort);
        Assert.Contains("no subflow", Ask<PathManagerCommandFailed>(o.Nodes.Client, new DestroySubflow(o.ClientToken, up.LocalAddress!.Value,
            up.LocalPort!.Value, up.RemoteAddress!.Value, up.RemotePort!.Value), c).Reason);

        Ask<PathManagerCommandDone>(o.Nodes.Client, new RemoveAddress(o.ClientToken, 5), c);
        Assert.Equal((byte)5, Next(o.ServerEvents, PmEventKind.Removed).RemoteId);
        Assert.Contains("neither announced", Ask<PathManagerCommandFailed>(o.Nodes.Client, new RemoveAddress(o.ClientToken, 5), c).Reason);

        o.ClientConnection.Tell(TcpMsg.Abort.Instance);
        Assert.Equal(o.ClientToken, Next(o.ClientEvents, PmEventKind.Closed).Token);
    }

    [Fact]
    public void A_fullmesh_endpoint_joins_the_peers_initial_address_and_every_address_it_announces_as_linux_does()
    {
        var o = Connect("""
            mptcp.path-manager {
              limits { subflows = 4, add-addr-accepted = 1 }
              endpoints = [ { address = 10.7.1.1, flags = [subflow, fullmesh] } ]
            }
            """, """
            mptcp.path-manager {
              limits { subflows = 4 }
              endpoints = [ { address = 10.7.1.2, flags = [signal] } ]
            }
            """);
        // Linux (fill_local_addresses_vec / fill_remote_addresses_vec): the subflow endpoint joins the initial address, and
        // on the ADD_ADDR the fullmesh endpoint (not the initial address, as there is a fullmesh one) joins the new one.
        var joins = new[] { Next(o.ClientEvents, PmEventKind.SubflowEstablished), Next(o.ClientEvents, PmEventKind.SubflowEstablished) }
            .Select(e => (e.LocalAddress!.Value, e.RemoteAddress!.Value)).OrderBy(p => p.Item2.ToString()).ToList();
        Assert.Equal([(Client(1), Server(0)), (Client(1), Server(1))], joins);
        o.ClientConnection.Tell(GetConnectionInfo.Instance, TestActor);
        Assert.Equal(3, ExpectMsg<ConnectionInfo>(Wait).Subflows.Count);
    }
}
