using System.Net;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Embedding;
using MptcpActors.Actors.Tests.Connection;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Actors.Tests.Embedding;

// Inside MptcpActors.Actors.Tests, 'Mptcp' would be the namespace of the MPTCP core's tests.
using Mptcp = MptcpActors.Actors.Embedding.Mptcp;

/// <summary>The extension starts the node from the system's configuration, once, and refuses configurations it cannot run.</summary>
public class MptcpExtTests(Xunit.Abstractions.ITestOutputHelper output) : TestKit(SimNodeConfig.Hocon, output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    [Fact]
    public void The_node_starts_from_configuration_and_carries_a_transfer_over_both_simulated_paths()
    {
        var ext = Mptcp.Get(Sys);

        Assert.Same(ext, Mptcp.Get(Sys));
        Assert.Equal(["10.9.1.1", "10.9.2.1"], ext.Interfaces.Select(i => i.Address.ToString()));
        Assert.Equal(256 << 10, ext.Settings.ReassemblyMemory);
        Assert.NotNull(ext.SimulatedPeer);

        var serverReport = CreateTestProbe();
        var clientReport = CreateTestProbe();
        var up = TransferHandler.RandomBytes(2 << 20, 21);
        var down = TransferHandler.RandomBytes(1 << 20, 22);
        ext.SimulatedPeer!.Tell(new TcpMsg.Bind(Sys.ActorOf(Props.Create(() => new TransferListener(down, serverReport.Ref))), new IPEndPoint(IPAddress.Any, 7001)));
        ExpectMsg<TcpMsg.Bound>(Wait);
        ext.Manager.Tell(new TcpMsg.Connect(new IPEndPoint(SimNodeConfig.PeerWifi, 7001)), Sys.ActorOf(Props.Create(() => new TransferHandler(up, clientReport.Ref))));

        var c = clientReport.ExpectMsg<TransferResult>(Wait);
        var s = serverReport.ExpectMsg<TransferResult>(Wait);
        Assert.Equal(TransferHandler.Sha256(up), TransferHandler.Sha256(s.Received));
        Assert.Equal(TransferHandler.Sha256(down), TransferHandler.Sha256(c.Received));
        Assert.False(c.Finished!.Fallback);
        Assert.Equal(2, c.Finished.Subflows.Count);
    }

    [Theory]
    [InlineData("""mptcp.interfaces = [ { name = t0, address = 10.1.0.1/24, transport = tun } ]""", "mptcp.interfaces[0].transport")]
    [InlineData("""mptcp.interfaces = [ { name = s0, address = 10.1.0.1/24, transport = sim }, { name = r0, address = 10.1.1.1/24 } ]""", "mptcp.interfaces[1].transport")]
    [InlineData("""
        mptcp.interfaces = [ { name = s0, address = 10.1.0.1/24, transport = sim } ]
        mptcp.path-manager.endpoints = [ { address = 10.1.9.9, flags = [subflow] } ]
        """, "mptcp.path-manager.endpoints[0].address")]
    [InlineData("""mptcp.interfaces = [ { name = no-such-if0, address = 10.1.0.1/24 } ]""", "mptcp.interfaces[0].name")]
    [InlineData("""mptcp.tcp.mss = 12""", "mptcp.tcp.mss")]
    public async Task A_configuration_the_node_cannot_run_is_an_error_naming_the_key(string hocon, string key)
    {
        using var system = ActorSystem.Create("bad-config", ConfigurationFactory.ParseString(hocon));
        try
        {
            var e = Assert.Throws<MptcpConfigurationException>(() => Mptcp.Get(system));
            Assert.Equal(key, e.Key);
        }
        finally
        {
            await system.Terminate().WaitAsync(Wait);
        }
    }
}
