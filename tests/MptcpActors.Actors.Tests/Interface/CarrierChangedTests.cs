using System.Net;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using MptcpActors.Actors.Interface;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Mptcp;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Actors.Tests.Interface;

/// <summary>
/// After losing the carrier an interface resolves its neighbours again (as Linux's neigh_carrier_down), asking at once when it returns: a kernel peer that
/// tried to reach us during the outage holds an unresolved entry retried once a second, and only our ARP request
/// teaches it our MAC before then (flapping-link on namespaces: each rejoin's SYN/ACK waited 0.5-1 s for it).
/// </summary>
public class CarrierChangedTests : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private static readonly IPAddress Ours = IPAddress.Parse("10.7.0.1");
    private static readonly IPAddress Peer = IPAddress.Parse("10.7.0.2");
    private static readonly byte[] PeerMac = [2, 0, 0, 0, 0, 0xbb];

    [Fact]
    public void The_first_frame_after_carrier_loss_is_an_arp_request_not_a_segment_to_the_old_mac()
    {
        var device = CreateTestProbe();
        var ourMac = new byte[] { 2, 0, 0, 0, 0, 0xaa };
        var iface = Sys.ActorOf(InterfaceActor.Props(new InterfaceSetup("p", new DeviceRef(device.Ref, "p"), ourMac,
            IpAddressBytes.From(Ours), 24, null, new TcpCoreOptions(), IsnGenerator.CreateRandom())));
        device.ExpectMsg<AttachInterface>(Wait);
        // The peer asks for us: we answer and learn its MAC.
        var peer = new LinkResponder(PeerMac, IpAddressBytes.From(Peer));
        iface.Tell(new FrameIn(peer.Request(IpAddressBytes.From(Ours))));
        Assert.Equal(EtherType.Arp, TypeOf(device.ExpectMsg<FrameOut>(Wait)));
        iface.Tell(new TcpMsg.Connect(new IPEndPoint(Peer, 80)));
        Assert.Equal(EtherType.Ipv4, TypeOf(device.ExpectMsg<FrameOut>(Wait)));

        iface.Tell(new CarrierChanged(Up: false));
        iface.Tell(new TcpMsg.Connect(new IPEndPoint(Peer, 81)));
        // The first connection's SYN retransmissions may come too; the first frame of the new one decides.
        var first = device.FishForMessage<FrameOut>(f => TypeOf(f) == EtherType.Arp || DestinationPort(f) == 81, Wait);
        Assert.Equal(EtherType.Arp, TypeOf(first));
    }

    [Fact]
    public void A_request_sent_into_the_dead_link_does_not_hold_back_the_first_one_after_it_returns()
    {
        var table = new NeighborTable();
        var hop = IpAddressBytes.From(Peer);
        Assert.True(table.Enqueue(hop, [1], nowNs: 0));
        Assert.False(table.Enqueue(hop, [2], nowNs: 1)); // at most one request a second
        table.ForgetRequests();
        Assert.Equal([hop], table.DueRetries(nowNs: 2));
        Assert.Equal([[1], [2]], table.Learn(hop, PeerMac, nowNs: 3));
    }

    private static EtherType TypeOf(FrameOut f) => EthernetFrame.TryParse(f.Frame, out var eth) ? eth.EtherType : 0;

    // IPv4 without options: the TCP header starts at 14 + 20.
    private static int DestinationPort(FrameOut f) => TypeOf(f) == EtherType.Ipv4 ? f.Frame[14 + 20 + 2] << 8 | f.Frame[14 + 20 + 3] : -1;
}
