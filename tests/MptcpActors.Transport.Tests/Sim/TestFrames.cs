using System.Buffers.Binary;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Transport.Tests.Sim;

/// <summary>Builds small, valid Ethernet/IP frames that carry a sequence number, so tests can tell frames apart.</summary>
internal static class TestFrames
{
    public static readonly byte[] MacA = [0x02, 0, 0, 0, 0, 0x0A];
    public static readonly byte[] MacB = [0x02, 0, 0, 0, 0, 0x0B];
    public static readonly byte[] Ip4A = [10, 0, 0, 1];
    public static readonly byte[] Ip4B = [10, 0, 0, 2];
    public static readonly byte[] Ip6A = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    public static readonly byte[] Ip6B = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

    /// <summary>Offset of the 4-byte sequence number in a UDP frame from <see cref="Udp"/>.</summary>
    public const int UdpSeqOffset = EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + 8;

    /// <summary>Ethernet + IPv4 + UDP, <paramref name="length"/> bytes in all (≥ 46), the UDP payload starting with <paramref name="seq"/>.</summary>
    public static int Udp(Span<byte> buffer, int seq, int length, ushort srcPort = 1000, ushort dstPort = 2000)
    {
        if (length < UdpSeqOffset + 4) throw new ArgumentOutOfRangeException(nameof(length));
        var frame = buffer[..length];
        frame.Clear();
        var o = EthernetFrame.Write(frame, MacB, MacA, EtherType.Ipv4);
        var udpLength = length - o - Ipv4Packet.MinHeaderLength;
        o += Ipv4Packet.WriteHeader(frame[o..], Ip4A, Ip4B, IpProtocol.Udp, udpLength);
        BinaryPrimitives.WriteUInt16BigEndian(frame[o..], srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(frame[(o + 2)..], dstPort);
        BinaryPrimitives.WriteUInt16BigEndian(frame[(o + 4)..], (ushort)udpLength);
        BinaryPrimitives.WriteInt32BigEndian(frame[UdpSeqOffset..], seq);
        return length;
    }

    public static byte[] Udp(int seq, int length, ushort srcPort = 1000, ushort dstPort = 2000)
    {
        var b = new byte[length];
        Udp(b, seq, length, srcPort, dstPort);
        return b;
    }

    public static int SeqOf(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadInt32BigEndian(frame[UdpSeqOffset..]);

    /// <summary>Ethernet + IPv4 or IPv6 + TCP (20-byte header) with <paramref name="payload"/> bytes of data.</summary>
    public static byte[] Tcp(bool ipv6, ushort srcPort, ushort dstPort, int payload, TcpFlags flags = TcpFlags.Ack | TcpFlags.Psh)
    {
        var ipHeader = ipv6 ? Ipv6Packet.FixedHeaderLength : Ipv4Packet.MinHeaderLength;
        var frame = new byte[EthernetFrame.HeaderLength + ipHeader + TcpSegment.MinHeaderLength + payload];
        var o = EthernetFrame.Write(frame, MacB, MacA, ipv6 ? EtherType.Ipv6 : EtherType.Ipv4);
        var segLength = TcpSegment.MinHeaderLength + payload;
        o += ipv6
            ? Ipv6Packet.WriteHeader(frame.AsSpan(o), Ip6A, Ip6B, IpProtocol.Tcp, segLength)
            : Ipv4Packet.WriteHeader(frame.AsSpan(o), Ip4A, Ip4B, IpProtocol.Tcp, segLength);
        TcpSegment.WriteHeader(frame.AsSpan(o), srcPort, dstPort, 1, 1, flags, 65535, 0);
        return frame;
    }

    /// <summary>An ARP request (not IP): 42 bytes.</summary>
    public static byte[] Arp()
    {
        var frame = new byte[42];
        EthernetFrame.Write(frame, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], MacA, EtherType.Arp);
        return frame;
    }
}

/// <summary>
/// Records what arrives: sequence numbers and arrival times into preallocated arrays (so recording allocates
/// nothing and can sit in an allocation test), and optionally full copies of the frames.
/// </summary>
internal sealed class RecordingReceiver(int capacity = 1 << 16, bool keepFrames = false) : IFrameReceiver
{
    private readonly int[] _seqs = new int[capacity];
    private readonly long[] _times = new long[capacity];

    public int Count { get; private set; }
    /// <summary>Every frame received (Count wraps to 0 when the arrays are full).</summary>
    public long Total { get; private set; }
    public List<byte[]> Frames { get; } = [];
    public IFrameDevice? LastDevice { get; private set; }

    public ReadOnlySpan<int> Seqs => _seqs.AsSpan(0, Count);
    public ReadOnlySpan<long> Times => _times.AsSpan(0, Count);

    public void Receive(IFrameDevice device, ReadOnlySpan<byte> frame, long timeNs)
    {
        LastDevice = device;
        if (Count == _seqs.Length) Count = 0; // wrap: allocation and speed tests only care about the count
        _seqs[Count] = frame.Length >= TestFrames.UdpSeqOffset + 4 ? TestFrames.SeqOf(frame) : -1;
        _times[Count] = timeNs;
        Count++;
        Total++;
        if (keepFrames) Frames.Add(frame.ToArray());
    }

    public void Clear()
    {
        Count = 0;
        Total = 0;
        Frames.Clear();
    }
}
