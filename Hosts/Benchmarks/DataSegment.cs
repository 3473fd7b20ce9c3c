using MptcpActors.Transport.Crypto;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Benchmarks;

/// <summary>
/// The benchmarked data segment: Ethernet II / IPv4 (no options) / TCP with timestamps (12 bytes, NOP-led) and a DSS
/// carrying an 8-byte DATA_ACK and an 8-byte DSN mapping with checksum (28 bytes): 40 bytes of options, the most TCP
/// allows, so a 1514-byte frame carries 1420 payload bytes.
/// </summary>
public static class DataSegment
{
    public const int FrameLength = 1514;
    public const int IpOffset = EthernetFrame.HeaderLength;
    public const int TcpOffset = IpOffset + Ipv4Packet.MinHeaderLength;
    public const int OptionsLength = 12 + 28;
    public const int TcpHeaderLength = TcpSegment.MinHeaderLength + OptionsLength;
    public const int PayloadLength = FrameLength - TcpOffset - TcpHeaderLength; // 1420
    public const int SegmentLength = TcpHeaderLength + PayloadLength;

    public static ReadOnlySpan<byte> DestinationMac => [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
    public static ReadOnlySpan<byte> SourceMac => [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
    public static ReadOnlySpan<byte> SourceIp => [10, 0, 0, 1];
    public static ReadOnlySpan<byte> DestinationIp => [10, 0, 0, 2];

    public const ushort SourcePort = 40_000;
    public const ushort DestinationPort = 5201;
    public const uint Seq = 0x1000_0001;
    public const uint Ack = 0x2000_0001;
    public const ushort Window = 502;
    public const uint TsVal = 123_456_789;
    public const uint TsEcr = 987_654_321;
    public const ulong DataAck = 0x0123_4567_89AB_CDEF;
    public const ulong Dsn = 0xFEDC_BA98_7654_3210;
    public const uint SubflowSeq = 1;

    public static byte[] CreatePayload(int length)
    {
        var payload = new byte[length];
        new Random(42).NextBytes(payload);
        return payload;
    }

    /// <summary>Writes the whole frame (headers, payload copy, DSS checksum, IPv4 and TCP checksums); returns its length.</summary>
    public static int Build(Span<byte> frame, ReadOnlySpan<byte> payload)
    {
        var ip = frame[IpOffset..];
        var tcp = frame[TcpOffset..];
        var dataLevelLength = (ushort)payload.Length;

        var options = new TcpOptionWriter(tcp[TcpSegment.MinHeaderLength..]);
        options.TryWriteTimestamps(TsVal, TsEcr);
        var dssChecksum = MptcpCrypto.DssChecksum(Dsn, SubflowSeq, dataLevelLength, 0, payload);
        var dss = DssOption.Create(dataAck: DataAck, dsn: Dsn, subflowSeq: SubflowSeq, dataLevelLength: dataLevelLength,
            checksum: dssChecksum);
        options.TryWrite(in dss);
        var optionsLength = options.Finish();

        var headerLength = TcpSegment.WriteHeader(tcp, SourcePort, DestinationPort, Seq, Ack, TcpFlags.Ack | TcpFlags.Psh,
            Window, optionsLength);
        payload.CopyTo(tcp[headerLength..]);
        var segmentLength = headerLength + payload.Length;
        var ipHeaderLength = Ipv4Packet.WriteHeader(ip, SourceIp, DestinationIp, IpProtocol.Tcp, segmentLength, identification: 0x4242);
        TcpSegment.WriteChecksum(tcp[..segmentLength], SourceIp, DestinationIp);
        var ethLength = EthernetFrame.Write(frame, DestinationMac, SourceMac, EtherType.Ipv4);
        return ethLength + ipHeaderLength + segmentLength;
    }

    /// <summary>
    /// Ethernet → IP → TCP → options (timestamps, DSS). Folds every decoded field into the result so the JIT cannot
    /// drop any of the work; returns 0 when a layer does not parse.
    /// </summary>
    public static ulong Parse(ReadOnlySpan<byte> frame)
    {
        if (!EthernetFrame.TryParse(frame, out var eth) || eth.EtherType != EtherType.Ipv4) return 0;
        if (!IpPacket.TryParse(eth.Payload, out var ip) || ip.Protocol != IpProtocol.Tcp || ip.IsFragment) return 0;
        if (!TcpSegment.TryParse(ip.Payload, out var tcp)) return 0;

        ulong acc = tcp.SequenceNumber ^ ((ulong)tcp.AcknowledgmentNumber << 32);
        acc += (ulong)tcp.SourcePort << 16 | tcp.DestinationPort;
        acc += (ulong)tcp.Flags + tcp.Window + (ulong)tcp.Payload.Length + (ulong)ip.DeclaredPayloadLength;
        var options = tcp.ReadOptions();
        foreach (var option in options)
        {
            switch (option.Kind)
            {
                case TcpOptionKind.Timestamps when TcpOptions.TryReadTimestamps(option, out var tsVal, out var tsEcr):
                    acc += tsVal ^ ((ulong)tsEcr << 32);
                    break;
                case TcpOptionKind.Mptcp when DssOption.Read(option.Raw, out var dss) == MptcpOptionError.None:
                    acc += dss.DataAck ^ dss.DataSequenceNumber;
                    acc += dss.SubflowSequenceNumber + dss.DataLevelLength + (ulong)(dss.Checksum ?? 0) + dss.Flags;
                    break;
            }
        }
        return acc;
    }
}
