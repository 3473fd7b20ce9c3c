using MptcpActors.Transport.Capture;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Transport.Tests;

/// <summary>Parses a captured Ethernet frame down to typed values and writes it again with the codecs' writers.</summary>
public static class FrameRebuilder
{
    public static byte[] Rebuild(CapturedFrame frame, out bool tcpChecksumValid)
    {
        var src = frame.Data.Span;
        var dst = new byte[src.Length];
        tcpChecksumValid = false;
        Assert.True(EthernetFrame.TryParse(src, out var eth));
        var o = EthernetFrame.Write(dst, eth.Destination, eth.Source, eth.EtherType);
        ReadOnlySpan<byte> ipSource, ipDestination, tcpBytes;
        int ipEnd;
        if (eth.EtherType == EtherType.Ipv4)
        {
            Assert.True(Ipv4Packet.TryParse(eth.Payload, out var ip));
            Assert.True(ip.HeaderChecksumValid);
            Assert.Equal(20, ip.HeaderLength);
            Ipv4Packet.WriteHeader(dst.AsSpan(o), ip.Source, ip.Destination, ip.Protocol, ip.TotalLength - 20, ip.Identification, ip.Ttl,
                ip.DontFragment, ip.Tos);
            ipSource = ip.Source;
            ipDestination = ip.Destination;
            tcpBytes = ip.Payload;
            o += 20;
            ipEnd = EthernetFrame.HeaderLength + ip.TotalLength;
        }
        else
        {
            Assert.True(Ipv6Packet.TryParse(eth.Payload, out var ip));
            Assert.Equal(IpProtocol.Tcp, ip.NextHeader);
            Ipv6Packet.WriteHeader(dst.AsSpan(o), ip.Source, ip.Destination, ip.Protocol, ip.PayloadLength, ip.HopLimit, ip.FlowLabel, ip.TrafficClass);
            ipSource = ip.Source;
            ipDestination = ip.Destination;
            tcpBytes = ip.Payload;
            o += 40;
            ipEnd = EthernetFrame.HeaderLength + 40 + ip.PayloadLength;
        }
        Assert.True(TcpSegment.TryParse(tcpBytes, out var tcp));
        var tcpOut = dst.AsSpan(o, tcpBytes.Length);
        var options = new TcpOptionWriter(tcpOut[TcpSegment.MinHeaderLength..]);
        foreach (var opt in tcp.ReadOptions()) Assert.True(WriteOption(ref options, opt), $"option {opt.Kind} did not fit");
        var optionsLength = options.Finish();
        Assert.Equal(tcp.Options.Length, optionsLength);
        TcpSegment.WriteHeader(tcpOut, tcp.SourcePort, tcp.DestinationPort, tcp.SequenceNumber, tcp.AcknowledgmentNumber, tcp.Flags,
            tcp.Window, optionsLength, tcp.UrgentPointer);
        tcp.Payload.CopyTo(tcpOut[tcp.HeaderLength..]);
        TcpSegment.WriteChecksum(tcpOut, ipSource, ipDestination);
        tcpChecksumValid = tcp.ChecksumValid(ipSource, ipDestination);
        // Senders with checksum offload leave a partial sum in the capture: keep the captured field then, so the rest compares.
        if (!tcpChecksumValid) tcp.Bytes.Slice(16, 2).CopyTo(tcpOut[16..]);
        src[ipEnd..].CopyTo(dst.AsSpan(ipEnd));
        return dst;
    }

    private static bool WriteOption(ref TcpOptionWriter w, TcpOption opt)
    {
        Span<byte> tmp = stackalloc byte[40];
        Span<SackBlock> sack = stackalloc SackBlock[4];
        switch (opt.Kind)
        {
            case TcpOptionKind.EndOfList or TcpOptionKind.NoOperation:
                return w.TryWriteByte(opt.Kind);
            case TcpOptionKind.MaximumSegmentSize:
                Assert.True(TcpOptions.TryReadMss(opt, out var mss));
                return w.TryWriteUnaligned(tmp[..TcpOptions.WriteMss(tmp, mss)]);
            case TcpOptionKind.WindowScale:
                Assert.True(TcpOptions.TryReadWindowScale(opt, out var ws));
                return w.TryWriteUnaligned(tmp[..TcpOptions.WriteWindowScale(tmp, ws)]);
            case TcpOptionKind.SackPermitted:
                Assert.True(TcpOptions.IsSackPermitted(opt));
                return w.TryWriteUnaligned(tmp[..TcpOptions.WriteSackPermitted(tmp)]);
            case TcpOptionKind.Timestamps:
                Assert.True(TcpOptions.TryReadTimestamps(opt, out var v, out var e));
                return w.TryWriteUnaligned(tmp[..TcpOptions.WriteTimestamps(tmp, v, e)]);
            case TcpOptionKind.Sack:
                var n = TcpOptions.ReadSackBlocks(opt, sack);
                Assert.True(n > 0);
                return w.TryWriteUnaligned(tmp[..TcpOptions.WriteSackBlocks(tmp, sack[..n])]);
            case TcpOptionKind.Mptcp:
                return WriteMptcp(ref w, opt.Raw);
            default:
                return w.TryWriteUnaligned(opt.Raw);
        }
    }

    private static bool WriteMptcp(ref TcpOptionWriter w, ReadOnlySpan<byte> raw)
    {
        Assert.Equal(MptcpOptionError.None, MptcpOptionHeader.Validate(raw));
        switch (MptcpOptionHeader.SubtypeOf(raw))
        {
            case MptcpSubtype.MpCapable: MpCapableOption.Read(raw, out var a); return w.TryWrite(a, pad: false);
            case MptcpSubtype.MpJoin: MpJoinOption.Read(raw, out var b); return w.TryWrite(b, pad: false);
            case MptcpSubtype.Dss: DssOption.Read(raw, out var c); return w.TryWrite(c, pad: false);
            case MptcpSubtype.AddAddr: AddAddrOption.Read(raw, out var d); return w.TryWrite(d, pad: false);
            case MptcpSubtype.RemoveAddr: RemoveAddrOption.Read(raw, out var e); return w.TryWrite(e, pad: false);
            case MptcpSubtype.MpPrio: MpPrioOption.Read(raw, out var f); return w.TryWrite(f, pad: false);
            case MptcpSubtype.MpFail: MpFailOption.Read(raw, out var g); return w.TryWrite(g, pad: false);
            case MptcpSubtype.MpFastClose: MpFastCloseOption.Read(raw, out var h); return w.TryWrite(h, pad: false);
            case MptcpSubtype.MpTcpRst: MpTcpRstOption.Read(raw, out var i); return w.TryWrite(i, pad: false);
            default: return false;
        }
    }
}
