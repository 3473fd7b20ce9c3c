using System.Buffers.Binary;
using MptcpActors.Transport.Devices.Linux;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Transport.Tests.Linux;

/// <summary>
/// Segmentation offload through the device's PACKET_VNET_HDR socket, against the kernel: a TCP super-segment leaves
/// whole on the veth, the peer's kernel takes it as one segment of all its bytes, and the checksum the kernel finishes
/// from our pseudo-header sum is right.
/// </summary>
[Collection(NetnsCollection.Name)]
public sealed class AfPacketSegmentationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private const ushort ClosedPort = 9;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_tcp_super_segment_leaves_whole_and_the_kernel_takes_every_byte(bool ipv6)
    {
        using var net = VethNamespace.Create();
        using var device = new AfPacketDevice(net.HostInterface);
        using var tap = new AfPacketDevice(net.HostInterface, new AfPacketDeviceOptions { DeliverOutgoing = true, CompleteChecksums = false, ReceiveFrameSize = AfPacketDevice.MaxFrameSize });
        var received = new CollectingReceiver();
        var tapped = new CollectingReceiver();
        device.Attach(received);
        tap.Attach(tapped);
        var (local, peer) = ipv6 ? (net.EngineIp6, net.PeerIp6) : (net.EngineIp4, net.PeerIp4);
        net.AddStaticNeighbor(local);
        Assert.True(device.SegmentationOffload, "the kernel refused PACKET_VNET_HDR");
        using var batch = device.CreateTransmitBatch();
        Assert.Equal(14 + 65535, batch.MaxSegmentedFrameLength);

        // Ten 1000-byte segments to a closed port, without ACK: the kernel's RST acknowledges SEQ + every payload byte.
        const uint seq = 0x10203040;
        var payload = new byte[10_000];
        Random.Shared.NextBytes(payload);
        var frame = SuperSegment(net.PeerMac, net.HostMac, local, peer, seq, payload);
        Assert.True(batch.TryAddTcpSegments(frame, segmentSize: 1000));
        Assert.Equal(1, batch.Flush());

        var rst = received.WaitFor(f => Tcp(f, out var ip, out var t) && ip.Source.SequenceEqual(peer) && t.Has(TcpFlags.Rst), Wait);
        Assert.NotNull(rst);
        Tcp(rst, out _, out var reset);
        Assert.Equal(seq + (uint)payload.Length, reset.AcknowledgmentNumber);

        var sent = tapped.WaitFor(f => Tcp(f, out var ip, out var t) && ip.Source.SequenceEqual(local) && t.DestinationPort == ClosedPort, Wait);
        Assert.NotNull(sent);
        Assert.Equal(frame.Length, sent.Length); // one frame on the veth: it passes super-segments whole
        Tcp(sent, out var sentIp, out var sentTcp);
        Assert.Equal(payload, sentTcp.Payload.ToArray());
        // What a device finishing the checksum writes: the complement of the sum over the segment and the pseudo-header sum in it.
        var segment = sentIp.Payload.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(16), InternetChecksum.Compute(segment));
        Assert.Equal(0, InternetChecksum.Transport(local, peer, (byte)IpProtocol.Tcp, segment));
    }

    [Fact]
    public void A_device_without_offload_refuses_super_segments()
    {
        using var net = VethNamespace.Create();
        using var device = new AfPacketDevice(net.HostInterface, new AfPacketDeviceOptions { SegmentationOffload = false });
        using var batch = device.CreateTransmitBatch();
        Assert.False(device.SegmentationOffload);
        Assert.Equal(0, batch.MaxSegmentedFrameLength);
        Assert.Throws<NotSupportedException>(() => batch.TryAddTcpSegments(new byte[2000], 1000));
    }

    private static byte[] SuperSegment(byte[] toMac, byte[] fromMac, byte[] source, byte[] destination, uint seq, byte[] payload)
    {
        var v6 = source.Length == 16;
        var ipLength = v6 ? Ipv6Packet.FixedHeaderLength : Ipv4Packet.MinHeaderLength;
        var frame = new byte[14 + ipLength + 20 + payload.Length];
        EthernetFrame.Write(frame, toMac, fromMac, v6 ? EtherType.Ipv6 : EtherType.Ipv4);
        var tcp = frame.AsSpan(14 + ipLength);
        TcpSegment.WriteHeader(tcp, 40000, ClosedPort, seq, 0, TcpFlags.Psh, 65535, 0);
        payload.CopyTo(tcp[20..]);
        TcpSegment.WritePartialChecksum(tcp, source, destination);
        if (v6) Ipv6Packet.WriteHeader(frame.AsSpan(14), source, destination, IpProtocol.Tcp, tcp.Length);
        else Ipv4Packet.WriteHeader(frame.AsSpan(14), source, destination, IpProtocol.Tcp, tcp.Length);
        return frame;
    }

    private static bool Tcp(byte[] frame, out IpPacket ip, out TcpSegment tcp)
    {
        tcp = default;
        ip = default;
        return EthernetFrame.TryParse(frame, out var e) && IpPacket.TryParse(e.Payload, out ip) && ip.Protocol == IpProtocol.Tcp
            && TcpSegment.TryParse(ip.Payload, out tcp);
    }
}
