using System.Net;
using MptcpActors.Transport.Devices.Linux;
using MptcpActors.Transport.Wire;

namespace MptcpActors.Transport.Tests.Linux;

/// <summary>The generated BPF programs, run in an interpreter with the kernel's semantics (no root needed).</summary>
public class PacketFilterTests
{
    private static readonly IPAddress Ours4 = IPAddress.Parse("192.0.2.10");
    private static readonly IPAddress Other4 = IPAddress.Parse("192.0.2.11");
    private static readonly IPAddress Ours6 = IPAddress.Parse("2001:db8::1:2:3");
    private static readonly IPAddress Other6 = IPAddress.Parse("2001:db8::1:2:4");
    private static readonly byte[] MacA = [0x02, 0, 0, 0, 0, 1];
    private static readonly byte[] MacB = [0x02, 0, 0, 0, 0, 2];

    private static byte[] Ip4Frame(IPAddress destination, int payload = 20)
    {
        var b = new byte[14 + 20 + payload];
        EthernetFrame.Write(b, MacA, MacB, EtherType.Ipv4);
        Ipv4Packet.WriteHeader(b.AsSpan(14), Other4.GetAddressBytes(), destination.GetAddressBytes(), IpProtocol.Udp, payload);
        return b;
    }

    private static byte[] Ip6Frame(IPAddress destination, int payload = 20)
    {
        var b = new byte[14 + 40 + payload];
        EthernetFrame.Write(b, MacA, MacB, EtherType.Ipv6);
        Ipv6Packet.WriteHeader(b.AsSpan(14), Other6.GetAddressBytes(), destination.GetAddressBytes(), IpProtocol.Icmpv6, payload);
        return b;
    }

    private static byte[] Arp(IPAddress target) => LinuxTestFrames.ArpRequest(MacB, Other4.GetAddressBytes(), target.GetAddressBytes());

    private static bool Passes(PacketFilter filter, byte[] frame, bool vlanTagPresent = false) =>
        BpfInterpreter.Run(filter.Instructions, frame, vlanTagPresent) != 0;

    [Fact]
    public void Address_filter_passes_arp_and_our_ipv4_and_ipv6_destinations_only()
    {
        var filter = PacketFilter.ForAddresses([Ours4, Ours6]);

        Assert.True(Passes(filter, Arp(Ours4)));
        Assert.True(Passes(filter, Arp(Other4)), "all ARP passes (replies to us, gratuitous ARP): the engine decides");
        Assert.True(Passes(filter, Ip4Frame(Ours4)));
        Assert.False(Passes(filter, Ip4Frame(Other4)));
        Assert.True(Passes(filter, Ip6Frame(Ours6)));
        Assert.False(Passes(filter, Ip6Frame(Other6)));
        Assert.Equal(uint.MaxValue, BpfInterpreter.Run(filter.Instructions, Ip4Frame(Ours4)));
        Assert.Equal([Ours4, Ours6], filter.Addresses);
    }

    [Fact]
    public void Neighbor_discovery_multicast_passes_for_our_ipv6_addresses_only()
    {
        var filter = PacketFilter.ForAddresses([Ours4, Ours6]);
        var ourSolicited = new IPAddress(PacketFilter.SolicitedNodeAddress(Ours6.GetAddressBytes()));
        var otherSolicited = new IPAddress(PacketFilter.SolicitedNodeAddress(IPAddress.Parse("2001:db8::9:9:9").GetAddressBytes()));

        Assert.Equal(IPAddress.Parse("ff02::1:ff02:3"), ourSolicited);
        Assert.True(Passes(filter, Ip6Frame(ourSolicited)));
        Assert.True(Passes(filter, Ip6Frame(IPAddress.Parse("ff02::1"))));
        Assert.False(Passes(filter, Ip6Frame(otherSolicited)));
        Assert.False(Passes(filter, Ip6Frame(IPAddress.Parse("ff02::2"))));
        Assert.False(Passes(filter, Ip6Frame(IPAddress.Parse("ff02::16"))), "MLD reports are not for the engine");

        var noNd = PacketFilter.ForAddresses([Ours6], acceptNeighborDiscoveryMulticast: false);
        Assert.False(Passes(noNd, Ip6Frame(ourSolicited)));
        Assert.True(Passes(noNd, Ip6Frame(Ours6)));
    }

    [Fact]
    public void Everything_else_is_dropped()
    {
        var filter = PacketFilter.ForAddresses([Ours4, Ours6]);

        Assert.False(Passes(filter, new byte[13]), "shorter than an Ethernet header");
        var experimental = new byte[60];
        LinuxTestFrames.Experimental(experimental, 60, MacA, MacB, 1);
        Assert.False(Passes(filter, experimental), "unknown EtherType");
        Assert.False(Passes(filter, Ip4Frame(Ours4)[..30]), "IPv4 header cut before the destination");
        Assert.False(Passes(filter, Ip6Frame(Ours6)[..50]), "IPv6 header cut inside the destination");
        Assert.False(Passes(filter, Ip4Frame(Ours4), vlanTagPresent: true), "VLAN tag stripped into metadata");

        var tagged = new byte[Ip4Frame(Ours4).Length + 4];
        var plain = Ip4Frame(Ours4);
        plain.AsSpan(0, 12).CopyTo(tagged);
        tagged[12] = 0x81;
        tagged[14] = 0x00;
        tagged[15] = 0x05;
        plain.AsSpan(12).CopyTo(tagged.AsSpan(16));
        Assert.False(Passes(filter, tagged), "in-band 802.1Q");
        Assert.True(Passes(PacketFilter.ForAddresses([Ours4], dropVlanTagged: false), Ip4Frame(Ours4), vlanTagPresent: true));
    }

    [Fact]
    public void Families_without_addresses_are_dropped_and_arp_can_be_turned_off()
    {
        var only4 = PacketFilter.ForAddresses([Ours4]);
        Assert.False(Passes(only4, Ip6Frame(Ours6)));
        Assert.False(Passes(only4, Ip6Frame(IPAddress.Parse("ff02::1"))), "no IPv6 address: no neighbour discovery either");
        Assert.True(Passes(only4, Ip4Frame(Ours4)));

        var only6 = PacketFilter.ForAddresses([Ours6], acceptArp: false);
        Assert.False(Passes(only6, Ip4Frame(Ours4)));
        Assert.False(Passes(only6, Arp(Ours4)));
        Assert.True(Passes(only6, Ip6Frame(Ours6)));

        var none = PacketFilter.ForAddresses([]);
        Assert.True(Passes(none, Arp(Ours4)));
        Assert.False(Passes(none, Ip4Frame(Ours4)));
        Assert.False(Passes(PacketFilter.DropAll, Arp(Ours4)));
    }

    [Fact]
    public void Mapped_and_duplicate_addresses_are_normalised()
    {
        var filter = PacketFilter.ForAddresses([Ours4.MapToIPv6(), Ours4, Ours6, IPAddress.Parse("2001:db8::1:2:3")]);
        Assert.Equal([Ours4, Ours6], filter.Addresses);
        Assert.True(Passes(filter, Ip4Frame(Ours4)));
    }

    [Fact]
    public void Hundreds_of_addresses_fit_and_every_jump_stays_inside_the_program()
    {
        var v4 = Enumerable.Range(0, 300).Select(i => new IPAddress(new byte[] { 10, 1, (byte)(i >> 8), (byte)i })).ToArray();
        var v6 = Enumerable.Range(0, 300).Select(i =>
        {
            var b = Ours6.GetAddressBytes();
            b[14] = (byte)(i >> 8);
            b[15] = (byte)i;
            return new IPAddress(b);
        }).ToArray();
        var filter = PacketFilter.ForAddresses([.. v4, .. v6]);

        Assert.InRange(filter.Instructions.Count, 1, PacketFilter.MaxInstructions);
        for (var pc = 0; pc < filter.Instructions.Count; pc++)
        {
            var i = filter.Instructions[pc];
            if ((i.Code & 0x07) != BpfInstruction.Jmp) continue;
            if ((i.Code & 0xf0) == BpfInstruction.Ja) Assert.InRange(pc + 1 + (long)i.K, 0, filter.Instructions.Count - 1);
            else
            {
                Assert.InRange(pc + 1 + i.JumpTrue, 0, filter.Instructions.Count - 1);
                Assert.InRange(pc + 1 + i.JumpFalse, 0, filter.Instructions.Count - 1);
            }
        }
        Assert.True(Passes(filter, Ip4Frame(v4[0])));
        Assert.True(Passes(filter, Ip4Frame(v4[^1])));
        Assert.True(Passes(filter, Ip6Frame(v6[0])));
        Assert.True(Passes(filter, Ip6Frame(v6[^1])));
        Assert.True(Passes(filter, Ip6Frame(new IPAddress(PacketFilter.SolicitedNodeAddress(v6[^1].GetAddressBytes())))));
        Assert.False(Passes(filter, Ip4Frame(IPAddress.Parse("10.1.2.0"))));
        Assert.False(Passes(filter, Ip6Frame(IPAddress.Parse("2001:db8::ffff"))));

        var tooMany = Enumerable.Range(0, 500).Select(i =>
        {
            var b = new byte[16];
            b[0] = 0x20;
            b[14] = (byte)(i >> 8);
            b[15] = (byte)i;
            return new IPAddress(b);
        });
        Assert.Throws<ArgumentException>(() => PacketFilter.ForAddresses(tooMany));
    }

    [Fact]
    public void Hand_written_programs_are_checked_and_printed_like_tcpdump_dd()
    {
        Assert.Throws<ArgumentException>(() => new PacketFilter([]));
        Assert.Throws<ArgumentException>(() => new PacketFilter([BpfInstruction.LoadHalf(12)]));
        var filter = new PacketFilter([BpfInstruction.LoadHalf(12), BpfInstruction.JumpIfEqual(0x0806, 0, 1),
            BpfInstruction.Return(uint.MaxValue), BpfInstruction.Return(0)]);
        Assert.Equal("{ 0x28, 0, 0, 0x0000000c }\n{ 0x15, 0, 1, 0x00000806 }\n{ 0x06, 0, 0, 0xffffffff }\n{ 0x06, 0, 0, 0x00000000 }\n",
            filter.ToString());
        Assert.True(Passes(filter, Arp(Ours4)));
        Assert.False(Passes(filter, Ip4Frame(Ours4)));
        Assert.Empty(filter.Addresses);
        Assert.Equal([0x33, 0x33, 0xff, 0x02, 0x00, 0x03],
            PacketFilter.Ipv6MulticastMac(PacketFilter.SolicitedNodeAddress(Ours6.GetAddressBytes())));
    }
}
