using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MptcpActors.Transport.Wire;

namespace MptcpActors.Transport.Devices.Linux;

/// <summary>
/// Finishes the TCP or UDP checksum of a frame the kernel handed to the packet socket unfinished (TP_STATUS_CSUMNOTREADY:
/// the sender's stack left it to checksum offload, as a kernel peer on a veth does), so receivers always see the frame
/// as it would be on a wire and can verify checksums without special cases.
/// </summary>
internal static class ChecksumCompletion
{
    /// <summary>Recomputes the checksum in place; false when the frame is not an unfragmented TCP/UDP over IPv4/IPv6.</summary>
    public static bool TryComplete(Span<byte> frame)
    {
        if (!EthernetFrame.TryParse(frame, out var ethernet)) return false;
        var ipOffset = frame.Length - ethernet.Payload.Length;
        var ipBytes = frame[ipOffset..];
        if (!IpPacket.TryParse(ipBytes, out var ip) || ip.IsFragment) return false;
        int checksumOffset;
        switch (ip.Protocol)
        {
            case IpProtocol.Tcp: checksumOffset = 16; break;
            case IpProtocol.Udp: checksumOffset = 6; break;
            default: return false;
        }
        var l4Offset = (int)Unsafe.ByteOffset(ref MemoryMarshal.GetReference((ReadOnlySpan<byte>)ipBytes), ref MemoryMarshal.GetReference(ip.Payload));
        var segment = ipBytes.Slice(l4Offset, ip.Payload.Length);
        if (segment.Length < checksumOffset + 2) return false;
        segment[checksumOffset] = 0;
        segment[checksumOffset + 1] = 0;
        var sum = InternetChecksum.Transport(ip.Source, ip.Destination, (byte)ip.Protocol, segment);
        if (sum == 0 && ip.Protocol == IpProtocol.Udp) sum = 0xFFFF;
        BinaryPrimitives.WriteUInt16BigEndian(segment[checksumOffset..], sum);
        return true;
    }
}
