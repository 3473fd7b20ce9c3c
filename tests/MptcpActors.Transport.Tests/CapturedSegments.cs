using System.Net;
using MptcpActors.Transport.Capture;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Transport.Tests;

/// <summary>A captured TCP segment lifted out of its frame, with its MPTCP options parsed by the codecs.</summary>
public sealed record CapturedSegment(int Frame, string Source, string Destination, uint Seq, TcpFlags Flags, byte[] Payload, List<byte[]> MptcpOptions)
{
    public string Subflow => string.CompareOrdinal(Source, Destination) < 0 ? Source + "|" + Destination : Destination + "|" + Source;

    public static List<CapturedSegment> From(IEnumerable<CapturedFrame> frames)
    {
        var list = new List<CapturedSegment>();
        var n = 0;
        foreach (var frame in frames)
        {
            n++;
            if (!LinkLayer.TryGetIpPacket(frame.LinkType, frame.Data.Span, out var ipBytes) || !IpPacket.TryParse(ipBytes, out var ip)
                || ip.Protocol != IpProtocol.Tcp || !TcpSegment.TryParse(ip.Payload, out var tcp)) continue;
            var options = new List<byte[]>();
            foreach (var o in tcp.ReadOptions())
                if (o.Kind == TcpOptionKind.Mptcp) options.Add(o.Raw.ToArray());
            list.Add(new CapturedSegment(n, $"{new IPAddress(ip.Source)}:{tcp.SourcePort}", $"{new IPAddress(ip.Destination)}:{tcp.DestinationPort}",
                tcp.SequenceNumber, tcp.Flags, tcp.Payload.ToArray(), options));
        }
        return list;
    }

    public IEnumerable<T> Options<T>(MptcpSubtype subtype, Func<byte[], (MptcpOptionError, T)> read)
    {
        foreach (var raw in MptcpOptions)
        {
            if (MptcpOptionHeader.SubtypeOf(raw) != subtype) continue;
            var (e, value) = read(raw);
            Assert.Equal(MptcpOptionError.None, e);
            yield return value;
        }
    }
}
