using System.Net;
using MptcpActors.Actors.Interface;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Tests.Interface;

public class LinkResponderTests
{
    private static readonly byte[] OurMac = [2, 0, 0, 0, 0, 0xaa];
    private static readonly byte[] PeerMac = [2, 0, 0, 0, 0, 0xbb];
    private static IpAddressBytes Ip(string s) => IpAddressBytes.From(IPAddress.Parse(s));

    [Fact]
    public void Arp_request_for_our_address_is_answered_and_the_asker_learned()
    {
        var r = new LinkResponder(OurMac, Ip("10.0.0.2"));
        var asker = new LinkResponder(PeerMac, Ip("10.0.0.1"));
        var learned = new List<(IpAddressBytes, byte[])>();
        var reply = r.Handle(asker.Request(Ip("10.0.0.2")), (ip, mac) => learned.Add((ip, mac)));
        Assert.NotNull(reply);
        Assert.Equal(Ip("10.0.0.1"), learned[0].Item1);
        Assert.Equal(PeerMac, learned[0].Item2);
        Assert.True(EthernetFrame.TryParse(reply, out var eth));
        Assert.True(ArpPacket.TryParse(eth.Payload, out var arp));
        Assert.Equal(ArpPacket.OperationReply, arp.Operation);
        Assert.Equal(OurMac, arp.SenderHardware.ToArray());
        Assert.Equal(PeerMac, eth.Destination.ToArray());
        // The asker learns our MAC from the reply.
        var back = new List<IpAddressBytes>();
        Assert.Null(asker.Handle(reply, (ip, _) => back.Add(ip)));
        Assert.Equal([Ip("10.0.0.2")], back);
    }

    [Fact]
    public void Arp_for_another_address_is_ignored()
    {
        var r = new LinkResponder(OurMac, Ip("10.0.0.2"));
        var asker = new LinkResponder(PeerMac, Ip("10.0.0.1"));
        Assert.Null(r.Handle(asker.Request(Ip("10.0.0.3")), (_, _) => Assert.Fail("must not learn")));
    }

    [Fact]
    public void Neighbour_solicitation_gets_an_advertisement()
    {
        var r = new LinkResponder(OurMac, Ip("fd00::2"));
        var asker = new LinkResponder(PeerMac, Ip("fd00::1"));
        var ns = asker.Request(Ip("fd00::2"));
        Assert.True(EthernetFrame.TryParse(ns, out var nsEth));
        Assert.Equal(new byte[] { 0x33, 0x33, 0xff, 0, 0, 2 }, nsEth.Destination.ToArray());
        var learned = new List<IpAddressBytes>();
        var na = r.Handle(ns, (ip, _) => learned.Add(ip));
        Assert.NotNull(na);
        Assert.Equal([Ip("fd00::1")], learned);
        var got = new List<(IpAddressBytes, byte[])>();
        asker.Handle(na, (ip, mac) => got.Add((ip, mac)));
        Assert.Equal(Ip("fd00::2"), got.Single().Item1);
        Assert.Equal(OurMac, got.Single().Item2);
    }

    [Fact]
    public void Echo_requests_are_answered_on_both_families()
    {
        foreach (var (ours, theirs) in new[] { ("10.0.0.2", "10.0.0.1"), ("fd00::2", "fd00::1") })
        {
            var v6 = ours.Contains(':');
            var src = IPAddress.Parse(theirs).GetAddressBytes();
            var dst = IPAddress.Parse(ours).GetAddressBytes();
            var icmp = new byte[8 + 4];
            icmp[0] = v6 ? IcmpTypes.V6EchoRequest : IcmpTypes.EchoRequest;
            icmp[5] = 7; // identifier
            icmp[7] = 1; // sequence
            "ping"u8.CopyTo(icmp.AsSpan(8));
            if (v6) IcmpMessage.WriteChecksum(icmp, src, dst);
            else IcmpMessage.WriteChecksum(icmp);
            var ipLen = v6 ? 40 : 20;
            var f = new byte[14 + ipLen + icmp.Length];
            EthernetFrame.Write(f, OurMac, PeerMac, v6 ? EtherType.Ipv6 : EtherType.Ipv4);
            if (v6) Ipv6Packet.WriteHeader(f.AsSpan(14), src, dst, IpProtocol.Icmpv6, icmp.Length);
            else Ipv4Packet.WriteHeader(f.AsSpan(14), src, dst, IpProtocol.Icmp, icmp.Length);
            icmp.CopyTo(f, 14 + ipLen);
            var reply = new LinkResponder(OurMac, Ip(ours)).Handle(f, (_, _) => { });
            Assert.NotNull(reply);
            Assert.True(EthernetFrame.TryParse(reply, out var eth));
            Assert.True(IpPacket.TryParse(eth.Payload, out var ip));
            Assert.Equal(src, ip.Destination.ToArray());
            Assert.Equal(v6 ? IcmpTypes.V6EchoReply : IcmpTypes.EchoReply, ip.Payload[0]);
            Assert.Equal("ping"u8.ToArray(), ip.Payload[8..].ToArray());
            Assert.Equal(0, v6 ? InternetChecksum.Transport(ip.Source, ip.Destination, 58, ip.Payload) : InternetChecksum.Compute(ip.Payload));
        }
    }

    [Fact]
    public void Neighbor_table_queues_until_learned_and_retries_once_a_second()
    {
        var t = new NeighborTable(lifetimeNs: 10_000, retryNs: 1_000, maxQueuedPerHop: 2);
        var hop = Ip("10.0.0.1");
        Assert.Null(t.Lookup(hop, 0));
        Assert.True(t.Enqueue(hop, [1], 0));
        Assert.False(t.Enqueue(hop, [2], 10));
        Assert.False(t.Enqueue(hop, [3], 20)); // drops [1]: the queue is bounded
        Assert.Empty(t.DueRetries(500));
        Assert.Equal([hop], t.DueRetries(1_000));
        var released = t.Learn(hop, PeerMac, 1_500);
        Assert.Equal([[2], [3]], released);
        Assert.Equal(PeerMac, t.Lookup(hop, 2_000));
        Assert.Null(t.Lookup(hop, 20_000)); // expired
    }

    [Fact]
    public void Next_hop_is_the_destination_on_link_else_the_gateway()
    {
        var s = new InterfaceSetup("x", null!, OurMac, Ip("10.1.2.3"), 20, Ip("10.1.0.1"), new(), null!);
        Assert.Equal(Ip("10.1.15.9"), s.NextHop(Ip("10.1.15.9")));
        Assert.Equal(Ip("10.1.0.1"), s.NextHop(Ip("10.1.16.9")));
        Assert.Null((s with { Gateway = null }).NextHop(Ip("192.168.0.1")));
    }
}
