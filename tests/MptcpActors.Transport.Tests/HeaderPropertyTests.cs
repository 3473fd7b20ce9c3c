using CsCheck;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Transport.Tests;

/// <summary>build → serialize → parse is the identity for every header the engine writes.</summary>
public class HeaderPropertyTests
{
    [Fact]
    public void Tcp_segment_with_linux_options() =>
        Gen.Select(Gen.UShort, Gen.UShort, Gen.UInt, Gen.UInt, Gen.UShort[0, 0x1FF], Gen.UShort, Gen.Byte.Array[0, 100],
                Gen.Select(Gen.Bool, Gen.UShort[536, 9000], Gen.Byte[0, 14], Gen.UInt, Gen.UInt, Gen.Int[0, 4], Gen.UInt.Array[8]))
            .Sample((sp, dp, seq, ack, flags, win, payload, o) =>
            {
                var (syn, mss, ws, tsval, tsecr, sackCount, sackEdges) = o;
                var buffer = new byte[20 + 40 + payload.Length];
                var w = new TcpOptionWriter(buffer.AsSpan(20));
                var blocks = Enumerable.Range(0, sackCount).Select(i => new SackBlock(sackEdges[2 * i], sackEdges[2 * i + 1])).ToArray();
                if (syn)
                {
                    Assert.True(w.TryWriteMss(mss));
                    Assert.True(w.TryWriteTimestamps(tsval, tsecr, sackPermitted: true));
                    Assert.True(w.TryWriteWindowScale(ws));
                }
                else
                {
                    Assert.True(w.TryWriteTimestamps(tsval, tsecr));
                    // With timestamps at most three SACK blocks fit (RFC 2018 3), as in Linux.
                    Assert.Equal(Math.Min(sackCount, 3), w.WriteSackBlocks(blocks));
                }
                var optLen = w.Finish();
                Assert.True(optLen <= 40 && optLen % 4 == 0);
                var total = TcpSegment.WriteHeader(buffer, sp, dp, seq, ack, (TcpFlags)flags, win, optLen);
                payload.CopyTo(buffer.AsSpan(total));
                var seg = buffer.AsSpan(0, total + payload.Length);
                TcpSegment.WriteChecksum(seg, [10, 0, 0, 1], [10, 0, 0, 2]);

                Assert.True(TcpSegment.TryParse(seg, out var t));
                Assert.True(t.ChecksumValid([10, 0, 0, 1], [10, 0, 0, 2]));
                Assert.Equal((sp, dp, seq, ack, (TcpFlags)flags, win), (t.SourcePort, t.DestinationPort, t.SequenceNumber, t.AcknowledgmentNumber, t.Flags, t.Window));
                Assert.True(t.Payload.SequenceEqual(payload));
                var seen = new List<TcpOptionKind>();
                Span<SackBlock> got = stackalloc SackBlock[4];
                foreach (var opt in t.ReadOptions())
                {
                    seen.Add(opt.Kind);
                    if (TcpOptions.TryReadMss(opt, out var m)) Assert.Equal(mss, m);
                    if (TcpOptions.TryReadWindowScale(opt, out var s)) Assert.Equal(ws, s);
                    if (TcpOptions.TryReadTimestamps(opt, out var v, out var e)) Assert.Equal((tsval, tsecr), (v, e));
                    if (opt.Kind == TcpOptionKind.Sack)
                    {
                        var n = TcpOptions.ReadSackBlocks(opt, got);
                        Assert.True(got[..n].SequenceEqual(blocks.AsSpan(0, n)));
                    }
                }
                Assert.Contains(TcpOptionKind.Timestamps, seen);
                Assert.Equal(syn, seen.Contains(TcpOptionKind.MaximumSegmentSize) && seen.Contains(TcpOptionKind.SackPermitted) && seen.Contains(TcpOptionKind.WindowScale));
            }, iter: 5_000);

    [Fact]
    public void Ipv4_header() =>
        Gen.Select(Gen.Byte.Array[4], Gen.Byte.Array[4], Gen.Byte, Gen.Int[0, 1400], Gen.UShort, Gen.Byte, Gen.Bool, Gen.Byte)
            .Sample((src, dst, proto, len, id, ttl, df, tos) =>
            {
                var b = new byte[20 + len];
                Ipv4Packet.WriteHeader(b, src, dst, (IpProtocol)proto, len, id, ttl, df, tos);
                Assert.True(Ipv4Packet.TryParse(b, out var p));
                Assert.True(p.HeaderChecksumValid);
                Assert.True(p.Source.SequenceEqual(src) && p.Destination.SequenceEqual(dst));
                Assert.Equal(((IpProtocol)proto, (ushort)(20 + len), id, ttl, df, tos, len), (p.Protocol, p.TotalLength, p.Identification, p.Ttl, p.DontFragment, p.Tos, p.Payload.Length));
            });

    [Fact]
    public void Ipv6_header() =>
        Gen.Select(Gen.Byte.Array[16], Gen.Byte.Array[16], Gen.Int[0, 1400], Gen.Byte, Gen.UInt[0, 0xFFFFF], Gen.Byte)
            .Sample((src, dst, len, hl, flow, tc) =>
            {
                var b = new byte[40 + len];
                Ipv6Packet.WriteHeader(b, src, dst, IpProtocol.Tcp, len, hl, flow, tc);
                Assert.True(Ipv6Packet.TryParse(b, out var p));
                Assert.True(p.Source.SequenceEqual(src) && p.Destination.SequenceEqual(dst));
                Assert.Equal((IpProtocol.Tcp, hl, flow, tc, len), (p.Protocol, p.HopLimit, p.FlowLabel, p.TrafficClass, p.Payload.Length));
            });

    [Fact]
    public void Ipv6_extension_headers_are_walked_to_tcp()
    {
        var b = new byte[40 + 8 + 8 + 20];
        Ipv6Packet.WriteHeader(b, new byte[16], new byte[16], IpProtocol.HopByHop, 36);
        b[40] = (byte)IpProtocol.Ipv6Options; // hop-by-hop → destination options
        b[48] = (byte)IpProtocol.Tcp;
        Assert.True(Ipv6Packet.TryParse(b, out var p));
        Assert.Equal(IpProtocol.Tcp, p.Protocol);
        Assert.Equal(20, p.Payload.Length);
        Assert.Equal(16, p.ExtensionHeadersLength);
    }

    [Fact]
    public void Ethernet_and_arp() =>
        Gen.Select(Gen.Byte.Array[6], Gen.Byte.Array[6], Gen.Byte.Array[4], Gen.Byte.Array[4], Gen.UShort[1, 2]).Sample((mac1, mac2, ip1, ip2, op) =>
        {
            var b = new byte[14 + 28];
            EthernetFrame.Write(b, mac2, mac1, EtherType.Arp);
            ArpPacket.Write(b.AsSpan(14), op, mac1, ip1, mac2, ip2);
            Assert.True(EthernetFrame.TryParse(b, out var e));
            Assert.Equal(EtherType.Arp, e.EtherType);
            Assert.True(e.Source.SequenceEqual(mac1) && e.Destination.SequenceEqual(mac2));
            Assert.True(ArpPacket.TryParse(e.Payload, out var a));
            Assert.Equal(op, a.Operation);
            Assert.True(a.SenderHardware.SequenceEqual(mac1) && a.SenderProtocol.SequenceEqual(ip1));
            Assert.True(a.TargetHardware.SequenceEqual(mac2) && a.TargetProtocol.SequenceEqual(ip2));
        });

    [Fact]
    public void Vlan_tags_are_stepped_over()
    {
        byte[] b = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x81, 0x00, 0x00, 0x05, 0x86, 0xDD, 0xAA];
        Assert.True(EthernetFrame.TryParse(b, out var e));
        Assert.Equal(EtherType.Ipv6, e.EtherType);
        Assert.Equal([0xAA], e.Payload.ToArray());
    }

    [Fact]
    public void Icmp_fragmentation_needed_reports_the_next_hop_mtu()
    {
        byte[] m = [3, 4, 0, 0, 0, 0, 0x05, 0xDC, 0x45];
        IcmpMessage.WriteChecksum(m);
        Assert.True(IcmpMessage.TryParse(m, out var icmp));
        Assert.Equal(0, InternetChecksum.Compute(m));
        Assert.True(icmp.IsIpv4Error);
        Assert.Equal(1500, icmp.ReportedMtu(v6: false));
        byte[] ptb = [2, 0, 0, 0, 0, 0, 0x05, 0x00];
        Assert.True(IcmpMessage.TryParse(ptb, out var v6));
        Assert.Equal(1280, v6.ReportedMtu(v6: true));
    }
}
