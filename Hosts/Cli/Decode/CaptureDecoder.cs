using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using MptcpActors.Transport.Capture;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Cli.Decode;

/// <summary>One decoded TCP frame: its fields and what could not be understood in it.</summary>
public sealed record DecodedFrame(FrameFields Fields, IReadOnlyList<string> Warnings);

/// <summary>
/// Turns captured frames into tshark's field values (tshark 4.0, -o tcp.relative_sequence_numbers:FALSE,
/// -o mptcp.analyze_mptcp:TRUE). Frames without TCP yield nothing; a frame or option that cannot be parsed still
/// yields what could be parsed, plus a warning.
/// </summary>
public sealed class CaptureDecoder
{
    private readonly TcpConversationTable _conversations = new();
    private readonly MptcpStreamTracker _mptcp = new();
    private int _frameNumber;

    public IEnumerable<DecodedFrame> Decode(IEnumerable<CapturedFrame> frames)
    {
        foreach (var frame in frames)
        {
            _frameNumber++;
            var decoded = DecodeFrame(frame, _frameNumber);
            if (decoded is not null) yield return decoded;
        }
    }

    private DecodedFrame? DecodeFrame(CapturedFrame frame, int number)
    {
        var span = frame.Data.Span;
        if (!LinkLayer.TryGetIpPacket(frame.LinkType, span, out var ipBytes) || !IpPacket.TryParse(ipBytes, out var ip)
            || ip.Protocol != IpProtocol.Tcp || ip.IsFragment)
            return null;
        var f = new FrameFields();
        var warnings = new List<string>();
        f.Add("frame.number", Num(number));
        f.Add("frame.len", Num(frame.OriginalLength));
        f.Add("frame.cap_len", Num(span.Length));
        var src = new IPAddress(ip.Source).ToString();
        var dst = new IPAddress(ip.Destination).ToString();
        var v = ip.Version == 4 ? "ip" : "ipv6";
        f.Add(v + ".src", src);
        f.Add(v + ".dst", dst);
        AddIpExtras(f, ipBytes, ip.Version);
        if (!TcpSegment.TryParse(ip.Payload, out var tcp))
        {
            if (ip.Payload.Length >= 4)
            {
                f.Add("tcp.srcport", Num(BinaryPrimitives.ReadUInt16BigEndian(ip.Payload)));
                f.Add("tcp.dstport", Num(BinaryPrimitives.ReadUInt16BigEndian(ip.Payload[2..])));
            }
            warnings.Add($"frame {number}: TCP header truncated or with a bad data offset");
            return new DecodedFrame(f, warnings);
        }
        f.Add("tcp.srcport", Num(tcp.SourcePort));
        f.Add("tcp.dstport", Num(tcp.DestinationPort));
        f.Add("tcp.seq_raw", Num(tcp.SequenceNumber));
        f.Add("tcp.ack_raw", Num(tcp.AcknowledgmentNumber));
        f.Add("tcp.flags", $"0x{tcp.RawFlags:x4}");
        f.Add("tcp.flags.syn", Bit(tcp.Has(TcpFlags.Syn)));
        f.Add("tcp.flags.ack", Bit(tcp.Has(TcpFlags.Ack)));
        f.Add("tcp.flags.fin", Bit(tcp.Has(TcpFlags.Fin)));
        f.Add("tcp.flags.reset", Bit(tcp.Has(TcpFlags.Rst)));
        f.Add("tcp.flags.push", Bit(tcp.Has(TcpFlags.Psh)));
        f.Add("tcp.len", Num(Math.Max(0, ip.DeclaredPayloadLength - tcp.HeaderLength)));
        f.Add("tcp.hdr_len", Num(tcp.HeaderLength));
        f.Add("tcp.window_size_value", Num(tcp.Window));
        f.Add("tcp.checksum", $"0x{tcp.Checksum:x4}");
        f.Add("tcp.urgent_pointer", Num(tcp.UrgentPointer));
        var srcEnd = $"{src}:{tcp.SourcePort}";
        var conversation = _conversations.Find(srcEnd, $"{dst}:{tcp.DestinationPort}",
            (tcp.Flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn, tcp.SequenceNumber);
        f.Add("tcp.stream", Num(conversation.Stream));
        if (!tcp.Options.IsEmpty) f.Add("tcp.options", Convert.ToHexStringLower(tcp.Options));
        DecodeOptions(tcp, conversation, srcEnd, f, warnings, number);
        return new DecodedFrame(f, warnings);
    }

    private void DecodeOptions(TcpSegment tcp, TcpConversation conversation, string source, FrameFields f, List<string> warnings, int number)
    {
        var sawMptcp = false;
        var reader = tcp.ReadOptions();
        Span<SackBlock> sack = stackalloc SackBlock[4];
        while (reader.MoveNext())
        {
            var o = reader.Current;
            switch (o.Kind)
            {
                case TcpOptionKind.MaximumSegmentSize when TcpOptions.TryReadMss(o, out var mss):
                    f.Add("tcp.options.mss_val", Num(mss));
                    break;
                case TcpOptionKind.WindowScale when TcpOptions.TryReadWindowScale(o, out var shift):
                    f.Add("tcp.options.wscale.shift", Num(shift));
                    break;
                case TcpOptionKind.Timestamps when TcpOptions.TryReadTimestamps(o, out var tsval, out var tsecr):
                    f.Add("tcp.options.timestamp.tsval", Num(tsval));
                    f.Add("tcp.options.timestamp.tsecr", Num(tsecr));
                    break;
                case TcpOptionKind.Sack:
                    var n = TcpOptions.ReadSackBlocks(o, sack);
                    for (var i = 0; i < n; i++)
                    {
                        f.Add("tcp.options.sack_le", Num(sack[i].Left));
                        f.Add("tcp.options.sack_re", Num(sack[i].Right));
                    }
                    break;
                case TcpOptionKind.Mptcp:
                    sawMptcp = true;
                    DecodeMptcp(o.Raw, conversation, source, f, warnings, number);
                    break;
            }
        }
        if (reader.Error != TcpOptionError.None)
            warnings.Add($"frame {number}: TCP option at offset {reader.ErrorOffset}: {reader.Error}");
        if (sawMptcp && conversation.Mptcp is { } m) f.Add("mptcp.stream", Num(m.Stream));
    }

    private void DecodeMptcp(ReadOnlySpan<byte> raw, TcpConversation conversation, string source, FrameFields f, List<string> warnings, int number)
    {
        if (raw.Length < 3)
        {
            warnings.Add($"frame {number}: MPTCP option of {raw.Length} bytes has no subtype");
            return;
        }
        var subtype = raw[2] >> 4;
        f.Add("tcp.options.mptcp.subtype", Num(subtype));
        _mptcp.SawOption(conversation, subtype);
        var error = (MptcpSubtype)subtype switch
        {
            MptcpSubtype.MpCapable => Capable(raw, conversation, source, f),
            MptcpSubtype.MpJoin => Join(raw, conversation, source, f),
            MptcpSubtype.Dss => Dss(raw, f),
            MptcpSubtype.AddAddr => AddAddr(raw, f),
            MptcpSubtype.RemoveAddr => RemoveAddr(raw, f),
            MptcpSubtype.MpPrio => Prio(raw, f),
            MptcpSubtype.MpFail => Fail(raw, f),
            MptcpSubtype.MpFastClose => FastClose(raw, f),
            MptcpSubtype.MpTcpRst => TcpRst(raw, f),
            _ => MptcpOptionError.UnknownSubtype,
        };
        if (error != MptcpOptionError.None)
            warnings.Add($"frame {number}: MPTCP option subtype {subtype} of {raw.Length} bytes: {error}");
    }

    private MptcpOptionError Capable(ReadOnlySpan<byte> raw, TcpConversation c, string source, FrameFields f)
    {
        f.Add("tcp.options.mptcp.version", Num(raw[2] & 0x0F));
        if (raw.Length >= 4) f.Add("tcp.options.mptcp.flags", Hex2(raw[3]));
        var e = MpCapableOption.Read(raw, out var o);
        if (e != MptcpOptionError.None) return e;
        if (o.SenderKey is not { } key) return e;
        f.Add("tcp.options.mptcp.sendkey", Num(key));
        var fwd = c.Forward(source);
        _mptcp.SawKey(c, fwd, key, o.Version);
        if (o.ReceiverKey is { } recv)
        {
            f.Add("tcp.options.mptcp.recvkey", Num(recv));
            var rev = c.Reverse(source);
            if (!rev.HasKey) _mptcp.SawKey(c, rev, recv, o.Version);
        }
        if (o.DataLevelLength is { } dll) f.Add("tcp.options.mptcp.datalvllen", Num(dll));
        if (o.Checksum is { } sum) f.Add("tcp.options.mptcp.checksum", Hex4(sum));
        f.Add("mptcp.expected_token", Num(fwd.Token));
        f.Add("mptcp.expected_idsn", Num(fwd.Idsn));
        return e;
    }

    private MptcpOptionError Join(ReadOnlySpan<byte> raw, TcpConversation c, string source, FrameFields f)
    {
        if (raw.Length != 12) _mptcp.SawJoinReply(c);
        var e = MpJoinOption.Read(raw, out var o);
        if (e != MptcpOptionError.None) return e;
        switch (o.Stage)
        {
            case MpJoinStage.Syn:
                f.Add("tcp.options.mptcp.flags", Hex2(raw[2]));
                f.Add("tcp.options.mptcp.backup.flag", Bit(o.Backup));
                f.Add("tcp.options.mptcp.addrid", Num(o.AddressId));
                f.Add("tcp.options.mptcp.recvtok", Num(o.Token));
                _mptcp.SawToken(c, c.Reverse(source), o.Token);
                f.Add("tcp.options.mptcp.sendrand", Num(o.Nonce));
                break;
            case MpJoinStage.SynAck:
                f.Add("tcp.options.mptcp.flags", Hex2(raw[2]));
                f.Add("tcp.options.mptcp.backup.flag", Bit(o.Backup));
                f.Add("tcp.options.mptcp.addrid", Num(o.AddressId));
                f.Add("tcp.options.mptcp.sendtrunchmac", Num(o.TruncatedHmac));
                f.Add("tcp.options.mptcp.sendrand", Num(o.Nonce));
                break;
            default:
                f.Add("tcp.options.mptcp.sendhmac", o.Hmac.ToString());
                break;
        }
        return e;
    }

    private static MptcpOptionError Dss(ReadOnlySpan<byte> raw, FrameFields f)
    {
        if (raw.Length >= 4)
        {
            f.Add("tcp.options.mptcp.flags", Hex2(raw[3]));
            f.Add("tcp.options.mptcp.datafin.flag", Bit((raw[3] & DssOption.FlagDataFin) != 0));
        }
        var e = DssOption.Read(raw, out var o);
        if (e != MptcpOptionError.None) return e;
        if (o.HasDataAck) f.Add("tcp.options.mptcp.rawdataack", Num(o.DataAck));
        if (o.HasMapping)
        {
            f.Add("tcp.options.mptcp.rawdataseqno", Num(o.DataSequenceNumber));
            f.Add("tcp.options.mptcp.subflowseqno", Num(o.SubflowSequenceNumber));
            f.Add("tcp.options.mptcp.datalvllen", Num(o.DataLevelLength));
            if (o.Checksum is { } sum) f.Add("tcp.options.mptcp.checksum", Hex4(sum));
        }
        return e;
    }

    private static MptcpOptionError AddAddr(ReadOnlySpan<byte> raw, FrameFields f)
    {
        f.Add("tcp.options.mptcp.echo", Bit((raw[2] & AddAddrOption.FlagEcho) != 0));
        if (raw.Length >= 4) f.Add("tcp.options.mptcp.addrid", Num(raw[3]));
        var e = AddAddrOption.Read(raw, out var o);
        if (e != MptcpOptionError.None) return e;
        f.Add(o.Address.IsIpv6 ? "tcp.options.mptcp.ipv6" : "tcp.options.mptcp.ipv4", o.Address.ToString());
        if (o.Port is { } port) f.Add("tcp.options.mptcp.port", Num(port));
        if (o.TruncatedHmac is { } h) f.Add("tcp.options.mptcp.addaddrtrunchmac", Num(h));
        return e;
    }

    private static MptcpOptionError RemoveAddr(ReadOnlySpan<byte> raw, FrameFields f)
    {
        var e = RemoveAddrOption.Read(raw, out var o);
        for (var i = 0; i < o.Count; i++) f.Add("tcp.options.mptcp.addrid", Num(o[i]));
        return e;
    }

    private static MptcpOptionError Prio(ReadOnlySpan<byte> raw, FrameFields f)
    {
        f.Add("tcp.options.mptcp.flags", Hex2(raw[2]));
        f.Add("tcp.options.mptcp.backup.flag", Bit((raw[2] & MpPrioOption.FlagBackup) != 0));
        var e = MpPrioOption.Read(raw, out var o);
        if (o.AddressId is { } id) f.Add("tcp.options.mptcp.addrid", Num(id));
        return e;
    }

    private static MptcpOptionError Fail(ReadOnlySpan<byte> raw, FrameFields f)
    {
        var e = MpFailOption.Read(raw, out var o);
        if (e == MptcpOptionError.None) f.Add("tcp.options.mptcp.rawdataseqno", Num(o.DataSequenceNumber));
        return e;
    }

    private static MptcpOptionError FastClose(ReadOnlySpan<byte> raw, FrameFields f)
    {
        var e = MpFastCloseOption.Read(raw, out var o);
        if (e == MptcpOptionError.None) f.Add("tcp.options.mptcp.recvkey", Num(o.ReceiverKey));
        return e;
    }

    private static MptcpOptionError TcpRst(ReadOnlySpan<byte> raw, FrameFields f)
    {
        f.Add("tcp.options.mptcp.flags", Hex2(raw[2]));
        var e = MpTcpRstOption.Read(raw, out var o);
        if (e == MptcpOptionError.None) f.Add("tcp.options.mptcp.rst_reason", Hex2((byte)o.Reason));
        return e;
    }

    private static void AddIpExtras(FrameFields f, ReadOnlySpan<byte> ipBytes, int version)
    {
        if (version == 4 && Ipv4Packet.TryParse(ipBytes, out var v4))
        {
            f.Add("ip.proto", Num((byte)v4.Protocol));
            f.Add("ip.ttl", Num(v4.Ttl));
            f.Add("ip.id", $"0x{v4.Identification:x4}");
        }
        else if (version == 6 && Ipv6Packet.TryParse(ipBytes, out var v6))
        {
            f.Add("ipv6.hlim", Num(v6.HopLimit));
            f.Add("ipv6.flow", $"0x{v6.FlowLabel:x6}");
        }
    }

    private static string Num(long v) => v.ToString(CultureInfo.InvariantCulture);
    private static string Num(ulong v) => v.ToString(CultureInfo.InvariantCulture);
    private static string Bit(bool b) => b ? "1" : "0";
    private static string Hex2(byte b) => $"0x{b:x2}";
    private static string Hex4(ushort v) => $"0x{v:x4}";
}
