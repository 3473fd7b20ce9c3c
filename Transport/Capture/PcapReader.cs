using System.Buffers.Binary;

namespace MptcpActors.Transport.Capture;

/// <summary>
/// Reads classic pcap (either byte order, micro- or nanosecond timestamps) and pcapng (section, interface
/// description, enhanced and simple packet blocks). A file cut short ends the frames; it never throws mid-file.
/// </summary>
public sealed class PcapReader : IDisposable
{
    private const uint PcapMagicMicro = 0xA1B2C3D4;
    private const uint PcapMagicNano = 0xA1B23C4D;
    private const uint PcapNgSectionHeader = 0x0A0D0D0A;
    private const uint PcapNgByteOrderMagic = 0x1A2B3C4D;
    private const int MaxBlock = 256 * 1024 * 1024;

    private readonly Stream _stream;
    private readonly bool _ng;
    private bool _bigEndian;
    private readonly bool _nano;
    private readonly LinkType _classicLinkType;
    private readonly List<(LinkType Type, long TicksPerSecond)> _interfaces = [];

    public PcapReader(Stream stream)
    {
        _stream = stream;
        Span<byte> head = stackalloc byte[24];
        if (!ReadExactly(head[..4])) throw new CaptureFormatException("empty file: not a pcap or pcapng capture");
        var magicLe = BinaryPrimitives.ReadUInt32LittleEndian(head);
        if (magicLe == PcapNgSectionHeader)
        {
            _ng = true;
            // The section header is parsed like any block once its byte order is known.
            ReadSectionHeader(head[..4]);
            return;
        }
        if (!ReadExactly(head[4..])) throw new CaptureFormatException("truncated pcap file header");
        var magicBe = BinaryPrimitives.ReadUInt32BigEndian(head);
        if (magicLe is PcapMagicMicro or PcapMagicNano) _bigEndian = false;
        else if (magicBe is PcapMagicMicro or PcapMagicNano) _bigEndian = true;
        else throw new CaptureFormatException($"unknown capture magic 0x{magicBe:x8}: not a pcap or pcapng capture");
        _nano = (_bigEndian ? magicBe : magicLe) == PcapMagicNano;
        _classicLinkType = (LinkType)(U32(head[20..]) & 0x0FFFFFFF);
    }

    public static PcapReader Open(string path) => new(File.OpenRead(path));

    public LinkType LinkType => _ng ? (_interfaces.Count > 0 ? _interfaces[0].Type : LinkType.Ethernet) : _classicLinkType;

    public IEnumerable<CapturedFrame> ReadAll()
    {
        while (TryRead(out var f)) yield return f;
    }

    public bool TryRead(out CapturedFrame frame) => _ng ? TryReadNg(out frame) : TryReadClassic(out frame);

    private bool TryReadClassic(out CapturedFrame frame)
    {
        frame = default;
        Span<byte> rec = stackalloc byte[16];
        if (!ReadExactly(rec)) return false;
        var sec = U32(rec);
        var frac = U32(rec[4..]);
        var incl = U32(rec[8..]);
        var orig = U32(rec[12..]);
        if (incl > MaxBlock) return false;
        var data = new byte[incl];
        if (!ReadExactly(data)) return false;
        var ts = DateTimeOffset.FromUnixTimeSeconds(sec).AddTicks(_nano ? frac / 100 : frac * 10L);
        frame = new CapturedFrame(data, (int)Math.Min(orig, int.MaxValue), ts, _classicLinkType);
        return true;
    }

    private void ReadSectionHeader(ReadOnlySpan<byte> typeBytes)
    {
        Span<byte> hdr = stackalloc byte[8];
        if (!ReadExactly(hdr)) throw new CaptureFormatException("truncated pcapng section header");
        var bom = BinaryPrimitives.ReadUInt32LittleEndian(hdr[4..]);
        if (bom == PcapNgByteOrderMagic) _bigEndian = false;
        else if (BinaryPrimitives.ReadUInt32BigEndian(hdr[4..]) == PcapNgByteOrderMagic) _bigEndian = true;
        else throw new CaptureFormatException("bad pcapng byte-order magic");
        var total = U32(hdr);
        if (total < 28 || total > MaxBlock) throw new CaptureFormatException("bad pcapng section header length");
        Skip(total - 12);
        _interfaces.Clear();
    }

    private bool TryReadNg(out CapturedFrame frame)
    {
        frame = default;
        Span<byte> hdr = stackalloc byte[8];
        while (true)
        {
            if (!ReadExactly(hdr[..4])) return false;
            if (BinaryPrimitives.ReadUInt32LittleEndian(hdr) == PcapNgSectionHeader)
            {
                try { ReadSectionHeader(hdr[..4]); }
                catch (CaptureFormatException) { return false; }
                continue;
            }
            if (!ReadExactly(hdr[4..])) return false;
            var type = U32(hdr);
            var total = U32(hdr[4..]);
            if (total < 12 || total > MaxBlock || total % 4 != 0) return false;
            var body = new byte[total - 8];
            if (!ReadExactly(body)) return false;
            var b = body.AsSpan(0, body.Length - 4);
            switch (type)
            {
                case 1 when b.Length >= 8: // interface description
                    _interfaces.Add(((LinkType)U16(b), InterfaceResolution(b[8..])));
                    break;
                case 6 when b.Length >= 20: // enhanced packet
                {
                    var ifIndex = (int)U32(b);
                    var ts = ((ulong)U32(b[4..]) << 32) | U32(b[8..]);
                    var captured = (int)Math.Min(U32(b[12..]), (uint)(b.Length - 20));
                    var orig = (int)Math.Min(U32(b[16..]), int.MaxValue);
                    var (link, tps) = ifIndex < _interfaces.Count ? _interfaces[ifIndex] : (LinkType.Ethernet, 1_000_000L);
                    frame = new CapturedFrame(body.AsMemory(20, captured), orig, FromTicks(ts, tps), link);
                    return true;
                }
                case 3 when b.Length >= 4: // simple packet
                {
                    var orig = (int)Math.Min(U32(b), int.MaxValue);
                    var link = _interfaces.Count > 0 ? _interfaces[0].Type : LinkType.Ethernet;
                    frame = new CapturedFrame(body.AsMemory(4, Math.Min(orig, b.Length - 4)), orig, DateTimeOffset.UnixEpoch, link);
                    return true;
                }
            }
        }
    }

    private long InterfaceResolution(ReadOnlySpan<byte> options)
    {
        while (options.Length >= 4)
        {
            var code = U16(options);
            var len = U16(options[2..]);
            if (code == 0 || options.Length < 4 + len) break;
            if (code == 9 && len >= 1)
            {
                var v = options[4];
                var exp = v & 0x7F;
                if ((v & 0x80) != 0) return exp < 62 ? 1L << exp : long.MaxValue;
                return exp <= 18 ? (long)Math.Pow(10, exp) : long.MaxValue;
            }
            options = options[(4 + ((len + 3) & ~3))..];
        }
        return 1_000_000;
    }

    private static DateTimeOffset FromTicks(ulong units, long perSecond)
    {
        var seconds = units / (ulong)perSecond;
        var rest = units % (ulong)perSecond;
        if (seconds > 253_402_300_799UL) return DateTimeOffset.UnixEpoch;
        return DateTimeOffset.FromUnixTimeSeconds((long)seconds).AddTicks((long)(rest * 10_000_000UL / (ulong)perSecond));
    }

    private uint U32(ReadOnlySpan<byte> b) => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);
    private ushort U16(ReadOnlySpan<byte> b) => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);

    private bool ReadExactly(Span<byte> buffer)
    {
        var read = _stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return read == buffer.Length;
    }

    private void Skip(long n)
    {
        if (_stream.CanSeek) _stream.Seek(n, SeekOrigin.Current);
        else
        {
            Span<byte> sink = stackalloc byte[512];
            while (n > 0)
            {
                var r = _stream.Read(sink[..(int)Math.Min(n, sink.Length)]);
                if (r == 0) return;
                n -= r;
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
