using System.Buffers.Binary;

namespace MptcpActors.Transport.Capture;

/// <summary>Writes classic pcap (little-endian, microsecond timestamps), which Wireshark and tcpdump read.</summary>
public sealed class PcapWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly int _snapLength;

    public PcapWriter(Stream stream, LinkType linkType = LinkType.Ethernet, int snapLength = 262144)
    {
        _stream = stream;
        _snapLength = snapLength;
        Span<byte> h = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], (uint)linkType);
        _stream.Write(h);
    }

    public static PcapWriter Create(string path, LinkType linkType = LinkType.Ethernet) => new(File.Create(path), linkType);

    public void Write(ReadOnlySpan<byte> frame, DateTimeOffset timestamp, int originalLength = -1)
    {
        var included = Math.Min(frame.Length, _snapLength);
        Span<byte> r = stackalloc byte[16];
        var micros = (timestamp - DateTimeOffset.UnixEpoch).Ticks / 10;
        BinaryPrimitives.WriteUInt32LittleEndian(r, (uint)(micros / 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(r[4..], (uint)(micros % 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(r[8..], (uint)included);
        BinaryPrimitives.WriteUInt32LittleEndian(r[12..], (uint)(originalLength < 0 ? frame.Length : originalLength));
        _stream.Write(r);
        _stream.Write(frame[..included]);
    }

    public void Flush() => _stream.Flush();
    public void Dispose() => _stream.Dispose();
}
