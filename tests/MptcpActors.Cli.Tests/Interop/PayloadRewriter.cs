using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// A middlebox on the engine's link, as a device decorator: it changes one byte of the TCP payload of one data segment
/// going one way (the first to start at or past a given stream offset; a frame may be a whole GRO/GSO batch) and fixes the TCP checksum, as an application-level gateway rewriting a payload would. TCP accepts
/// the segment; only MPTCP's DSS checksum can tell. It records which byte of the stream it changed and how, so a test
/// knows the stream as TCP delivered it.
/// </summary>
internal sealed class PayloadRewriter(IFrameDevice inner, FrameDirections direction, long fromStreamOffset) : FrameDeviceDecorator(inner)
{
    public const byte Mask = 0xA5;
    private readonly object _gate = new();
    private uint? _isn;

    /// <summary>The offset in the application stream (byte 0 follows the SYN) of the byte changed (XORed with <see cref="Mask"/>), once done.</summary>
    public long? StreamOffset { get; private set; }

    /// <summary>The stream as TCP delivers it through this middlebox.</summary>
    public byte[] Rewritten(byte[] stream)
    {
        var copy = stream.ToArray();
        if (StreamOffset is { } at) copy[at] ^= Mask;
        return copy;
    }

    protected override void OnTransmit(ReadOnlySpan<byte> frame)
    {
        if (direction == FrameDirections.Transmit && Rewrite(frame) is { } changed) Inner.Transmit(changed);
        else Inner.Transmit(frame);
    }

    protected override void OnReceive(ReadOnlySpan<byte> frame, long timeNs)
    {
        if (direction == FrameDirections.Receive && Rewrite(frame) is { } changed) Deliver(changed, timeNs);
        else Deliver(frame, timeNs);
    }

    private byte[]? Rewrite(ReadOnlySpan<byte> frame)
    {
        if (!EthernetFrame.TryParse(frame, out var eth) || !IpPacket.TryParse(eth.Payload, out var ip) || ip.Protocol != IpProtocol.Tcp
            || !TcpSegment.TryParse(ip.Payload, out var tcp))
            return null;
        lock (_gate)
        {
            if (tcp.Has(TcpFlags.Syn)) _isn = tcp.SequenceNumber;
            if (_isn is not { } isn || StreamOffset is not null || tcp.Payload.Length < 100 || tcp.SequenceNumber - isn - 1 < fromStreamOffset) return null;
            var copy = frame.ToArray();
            var segmentAt = frame.Length - ip.Payload.Length; // data frames are never padded
            var middle = tcp.Payload.Length / 2;
            copy[segmentAt + tcp.HeaderLength + middle] ^= Mask;
            TcpSegment.WriteChecksum(copy.AsSpan(segmentAt, ip.Payload.Length), ip.Source, ip.Destination);
            StreamOffset = (long)(tcp.SequenceNumber - isn - 1) + middle;
            return copy;
        }
    }
}
