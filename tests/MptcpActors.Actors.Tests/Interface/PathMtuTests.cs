using System.Net;
using MptcpActors.Actors.Interface;
using MptcpActors.Actors.Tcp;
using MptcpActors.Actors.Tests.Tcp;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Mptcp;
using static MptcpActors.Transport.Wire.Tcp.TcpFlags;

namespace MptcpActors.Actors.Tests.Interface;

/// <summary>Path MTU discovery (RFC 1191 / RFC 8201): ICMP too-big about our segment shrinks the connection's segments.</summary>
public class PathMtuTests
{
    private static byte[] TooBig(string ours, string theirs, ushort ourPort, ushort theirPort, int mtu)
    {
        var v6 = ours.Contains(':');
        var o = IPAddress.Parse(ours).GetAddressBytes();
        var t = IPAddress.Parse(theirs).GetAddressBytes();
        var ipLen = v6 ? 40 : 20;
        // The quoted packet: our IP header and the first 8 bytes of our TCP header.
        var quoted = new byte[ipLen + 8];
        if (v6) Ipv6Packet.WriteHeader(quoted, o, t, IpProtocol.Tcp, 1460);
        else Ipv4Packet.WriteHeader(quoted, o, t, IpProtocol.Tcp, 1460);
        quoted[ipLen] = (byte)(ourPort >> 8);
        quoted[ipLen + 1] = (byte)ourPort;
        quoted[ipLen + 2] = (byte)(theirPort >> 8);
        quoted[ipLen + 3] = (byte)theirPort;
        var icmp = new byte[8 + quoted.Length];
        icmp[0] = v6 ? IcmpTypes.V6PacketTooBig : IcmpTypes.DestinationUnreachable;
        icmp[1] = (byte)(v6 ? 0 : 4);
        if (v6) System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(icmp.AsSpan(4), (uint)mtu);
        else System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), (ushort)mtu);
        quoted.CopyTo(icmp, 8);
        var router = v6 ? IPAddress.Parse("fd00::fe").GetAddressBytes() : IPAddress.Parse("10.0.0.254").GetAddressBytes();
        var f = new byte[14 + ipLen + icmp.Length];
        EthernetFrame.Write(f, new byte[6], new byte[6], v6 ? EtherType.Ipv6 : EtherType.Ipv4);
        if (v6) Ipv6Packet.WriteHeader(f.AsSpan(14), router, o, IpProtocol.Icmpv6, icmp.Length);
        else Ipv4Packet.WriteHeader(f.AsSpan(14), router, o, IpProtocol.Icmp, icmp.Length);
        icmp.CopyTo(f, 14 + ipLen);
        return f;
    }

    [Theory]
    [InlineData("10.0.0.2", "10.9.9.9", 1400, 20)]
    [InlineData("fd00::2", "fd09::9", 1380, 40)]
    public void Too_big_messages_name_our_connection_and_the_mtu(string ours, string theirs, int mtu, int header)
    {
        var us = IpAddressBytes.From(IPAddress.Parse(ours));
        Assert.True(IcmpTooBig.TryParse(TooBig(ours, theirs, 40000, 443, mtu), us, out var key, out var got, out var ipHeader));
        Assert.Equal((40000, 443, mtu, header), (key.LocalPort, key.RemotePort, got, ipHeader));
        Assert.Equal(IpAddressBytes.From(IPAddress.Parse(theirs)), key.RemoteAddress);
        // A message quoting someone else's packet is not ours.
        Assert.False(IcmpTooBig.TryParse(TooBig(theirs, ours, 40000, 443, mtu), us, out _, out _, out _));
    }

    [Fact]
    public void The_core_shrinks_segments_and_resends_what_is_in_flight_in_the_new_size()
    {
        var s = new RecordingSink();
        var o = new TcpCoreOptions { Mss = 1460, DelayedAck = false, Timestamps = false };
        var c = TcpConnection.Connect(o, s, s, null, 40000, 80, 1000, 0, 0);
        c.OnSegment(Seg.View(Seg.Make(5000, 1001, Syn | Ack, options: b => b.Mss(1460))), 1_000_000);
        c.Write(new byte[1460 * 4], 2_000_000);
        Assert.All(s.Take().Where(b => Seg.Fields(b).Len > 0), b => Assert.Equal(1460, Seg.Fields(b).Len));
        c.OnPathMtu(1400, 20, 3_000_000);
        Assert.Equal(1360, c.EffectiveMss);
        var resent = s.Take().Where(b => Seg.Fields(b).Len > 0).ToList();
        Assert.NotEmpty(resent);
        Assert.All(resent, b => Assert.True(Seg.Fields(b).Len <= 1360));
        Assert.Equal(1001u, Seg.Fields(resent[0]).Seq);
        // A report below Linux's min_pmtu (552) is clamped to it; a larger one is ignored.
        c.OnPathMtu(30, 20, 4_000_000);
        Assert.Equal(552 - 40, c.EffectiveMss);
        c.OnPathMtu(9000, 20, 5_000_000);
        Assert.Equal(512, c.EffectiveMss);
        Assert.Equal(2, c.Statistics.PathMtuReductions);
    }
}
