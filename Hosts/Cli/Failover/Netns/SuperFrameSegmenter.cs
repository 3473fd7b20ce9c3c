using System.Buffers.Binary;
using MptcpActors.Transport.Wire;

namespace MptcpActors.Cli.Failover.Netns;

/// <summary>
/// Cuts a TCP/IPv4 super-frame (what a veth passes whole from a GSO sender, the kernel's or the engine's: up to 64 KiB
/// whatever the MTU) into the frames the wire would carry, as the kernel's GSO would: payload in MSS pieces, the IP
/// identification counting up, sequence numbers advancing, FIN and PSH on the last piece only, CWR on the first, every
/// checksum computed. The path emulator's links must see packets, not bursts, for their rate and queue to mean anything.
/// </summary>
public static class SuperFrameSegmenter
{
    private const int EthernetHeader = 14;
    private const byte FinPsh = 0x01 | 0x08, Cwr = 0x80;

    /// <summary>Calls <paramref name="emit"/> with each piece (in a reused buffer); false when the frame is not TCP/IPv4 and cannot be cut.</summary>
    public static bool Segment(ReadOnlySpan<byte> frame, int mtu, byte[] scratch, Action<ReadOnlyMemory<byte>> emit)
    {
        if (frame.Length < EthernetHeader + 40 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0800) return false;
        var ip = frame[EthernetHeader..];
        var ipHeader = (ip[0] & 0x0F) * 4;
        if (ip[0] >> 4 != 4 || ip[9] != 6 || ipHeader < 20 || ip.Length < ipHeader + 20) return false;
        var tcpHeader = (ip[ipHeader + 12] >> 4) * 4;
        var headers = ipHeader + tcpHeader;
        var total = Math.Min(ip.Length, BinaryPrimitives.ReadUInt16BigEndian(ip[2..]) is var l and > 0 ? l : ip.Length);
        if (tcpHeader < 20 || total < headers) return false;
        var mss = mtu - headers;
        if (mss <= 0) return false;
        var payload = ip[headers..total];
        var id = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        var seq = BinaryPrimitives.ReadUInt32BigEndian(ip[(ipHeader + 4)..]);
        var flags = ip[ipHeader + 13];
        for (var offset = 0; offset < payload.Length; offset += mss)
        {
            var n = Math.Min(mss, payload.Length - offset);
            var last = offset + n >= payload.Length;
            var piece = scratch.AsSpan(0, EthernetHeader + headers + n);
            frame[..(EthernetHeader + headers)].CopyTo(piece);
            payload.Slice(offset, n).CopyTo(piece[(EthernetHeader + headers)..]);
            var pip = piece[EthernetHeader..];
            BinaryPrimitives.WriteUInt16BigEndian(pip[2..], (ushort)(headers + n));
            BinaryPrimitives.WriteUInt16BigEndian(pip[4..], (ushort)(id + offset / mss));
            BinaryPrimitives.WriteUInt16BigEndian(pip[10..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(pip[10..], InternetChecksum.Compute(pip[..ipHeader]));
            var tcp = pip[ipHeader..(headers + n)];
            BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], seq + (uint)offset);
            tcp[13] = (byte)(flags & ~(last ? 0 : FinPsh) & ~(offset == 0 ? 0 : Cwr));
            BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], InternetChecksum.Transport(pip[12..16], pip[16..20], 6, tcp));
            emit(scratch.AsMemory(0, piece.Length));
        }
        return true;
    }
}
