using System.Net;
using MptcpActors.Transport.Capture;
using MptcpActors.Transport.Crypto;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Cli.Tests;

/// <summary>Builds frames with the engine's writers: every MPTCP option in every form, edge cases and malformed options.</summary>
public sealed class CraftedFrames
{
    private static readonly byte[] MacA = [2, 0, 0, 0, 0, 1];
    private static readonly byte[] MacB = [2, 0, 0, 0, 0, 2];
    private readonly List<byte[]> _frames = [];

    public IReadOnlyList<byte[]> Frames => _frames;

    public void Tcp(string src, string dst, ushort sport, ushort dport, uint seq, uint ack, TcpFlags flags,
        Action<TcpOptionWriterBox>? options = null, int payload = 0)
    {
        var s = IPAddress.Parse(src).GetAddressBytes();
        var d = IPAddress.Parse(dst).GetAddressBytes();
        var box = new TcpOptionWriterBox();
        options?.Invoke(box);
        var opts = box.Bytes;
        var tcpLen = 20 + opts.Length + payload;
        var ipLen = s.Length == 4 ? 20 : 40;
        var frame = new byte[14 + ipLen + tcpLen];
        EthernetFrame.Write(frame, MacB, MacA, s.Length == 4 ? EtherType.Ipv4 : EtherType.Ipv6);
        if (s.Length == 4) Ipv4Packet.WriteHeader(frame.AsSpan(14), s, d, IpProtocol.Tcp, tcpLen, identification: (ushort)_frames.Count);
        else Ipv6Packet.WriteHeader(frame.AsSpan(14), s, d, IpProtocol.Tcp, tcpLen);
        var seg = frame.AsSpan(14 + ipLen);
        opts.CopyTo(seg[20..]);
        TcpSegment.WriteHeader(seg, sport, dport, seq, ack, flags, 64240, opts.Length);
        for (var i = 0; i < payload; i++) seg[20 + opts.Length + i] = (byte)i;
        TcpSegment.WriteChecksum(seg, s, d);
        _frames.Add(frame);
    }

    public void Raw(byte[] frame) => _frames.Add(frame);

    public void WriteTo(string path)
    {
        using var w = PcapWriter.Create(path);
        var t = new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero);
        foreach (var f in _frames) w.Write(f, t = t.AddMilliseconds(1));
    }

    /// <summary>The scenario: a connection with joins and every option kind, plus odd and broken ones.</summary>
    public static CraftedFrames Everything()
    {
        var c = new CraftedFrames();
        const ulong keyA = 0x1122334455667788, keyB = 0x99aabbccddeeff00;
        const TcpFlags syn = TcpFlags.Syn, synAck = TcpFlags.Syn | TcpFlags.Ack, ack = TcpFlags.Ack;
        var a = "10.1.1.1";
        var b = "10.1.1.2";
        c.Raw(ArpRequest());
        c.Tcp(a, b, 40000, 80, 1000, 0, syn, o => { o.W.TryWriteMss(1460); o.W.TryWriteTimestamps(1, 0, true); o.W.TryWriteWindowScale(7); o.Mptcp(new MpCapableOption(1, 0x81)); });
        c.Tcp(b, a, 80, 40000, 5000, 1001, synAck, o => { o.W.TryWriteMss(1400); o.Mptcp(new MpCapableOption(1, 0x01, keyB)); });
        c.Tcp(a, b, 40000, 80, 1001, 5001, ack, o => o.Mptcp(new MpCapableOption(1, 0x01, keyA, keyB)));
        c.Tcp(a, b, 40000, 80, 1001, 5001, ack | TcpFlags.Psh, o => o.Mptcp(new MpCapableOption(1, 0x01, keyA, keyB, 100)), 100);
        c.Tcp(a, b, 40000, 80, 1101, 5001, ack, o => o.Mptcp(new MpCapableOption(1, 0x81, keyA, keyB, 50, 0xbeef)), 50);
        c.Tcp(b, a, 80, 40000, 5001, 1151, ack, o => o.Mptcp(DssOption.Create(dataAck: 12345, ack64: false)));
        c.Tcp(b, a, 80, 40000, 5001, 1151, ack, o => o.Mptcp(DssOption.Create(dataAck: 0x1234567890abcdef, dsn: 77, subflowSeq: 1, dataLevelLength: 10, dsn64: false)), 10);
        c.Tcp(b, a, 80, 40000, 5011, 1151, ack, o => o.Mptcp(DssOption.Create(dataAck: 9, dsn: 0xfedcba9876543210, subflowSeq: 11, dataLevelLength: 10, checksum: 0x1234)), 10);
        c.Tcp(b, a, 80, 40000, 5021, 1151, ack | TcpFlags.Fin, o => o.Mptcp(DssOption.Create(dataAck: 9, dsn: 0xfedcba987654321a, subflowSeq: 0, dataLevelLength: 1, dataFin: true)));
        c.Tcp(b, a, 80, 40000, 5022, 1151, ack, o => o.Mptcp(DssOption.Create()));
        c.Tcp(b, a, 80, 40000, 5022, 1151, ack, o => o.Mptcp(DssOption.Create(dataAck: 5, dsn: 0, dataLevelLength: 0)));
        // ADD_ADDR in every form, with real HMACs.
        var v4 = new IpAddressBytes([10, 2, 2, 2]);
        var v6 = new IpAddressBytes(IPAddress.Parse("fd00:2::2").GetAddressBytes());
        c.Tcp(b, a, 80, 40000, 5022, 1151, ack, o => o.Mptcp(new AddAddrOption(0, 2, v4, null, MptcpCrypto.AddAddrHmac(keyB, keyA, 2, [10, 2, 2, 2], 0))));
        c.Tcp(b, a, 80, 40000, 5022, 1151, ack, o => o.Mptcp(new AddAddrOption(0, 3, v4, 8080, 42)));
        c.Tcp(a, b, 40000, 80, 1151, 5022, ack, o => o.Mptcp(new AddAddrOption(AddAddrOption.FlagEcho, 2, v4)));
        c.Tcp(a, b, 40000, 80, 1151, 5022, ack, o => o.Mptcp(new AddAddrOption(AddAddrOption.FlagEcho, 3, v4, 8080)));
        c.Tcp(b, a, 80, 40000, 5022, 1151, ack, o => o.Mptcp(new AddAddrOption(0, 4, v6, null, 7)));
        c.Tcp(b, a, 80, 40000, 5022, 1151, ack, o => o.Mptcp(new AddAddrOption(0, 5, v6, 443, 8)));
        c.Tcp(a, b, 40000, 80, 1151, 5022, ack, o => o.Mptcp(new AddAddrOption(AddAddrOption.FlagEcho, 5, v6, 443)));
        c.Tcp(a, b, 40000, 80, 1151, 5022, ack, o => o.Mptcp(new AddAddrOption(AddAddrOption.FlagEcho, 4, v6)));
        // Several MPTCP options in one segment.
        c.Tcp(b, a, 80, 40000, 5022, 1151, ack, o => { o.Mptcp(DssOption.Create(dataAck: 1151)); o.Mptcp(new RemoveAddrOption([2, 3, 9])); });
        c.Tcp(a, b, 40000, 80, 1151, 5022, ack, o => { o.Mptcp(DssOption.Create(dataAck: 5022, ack64: false)); o.Mptcp(new MpPrioOption(1)); });
        c.Tcp(a, b, 40000, 80, 1151, 5022, ack, o => o.Mptcp(new MpPrioOption(0, 3)));
        c.Tcp(a, b, 40000, 80, 1151, 5022, ack, o => o.Mptcp(new MpFailOption(0x0102030405060708)));
        // A join to the connection (by keyB's token), and one to an unknown token.
        var tokenB = MptcpCrypto.Token(keyB);
        c.Tcp("10.3.3.1", b, 40001, 80, 7000, 0, syn, o => { o.W.TryWriteMss(1460); o.Mptcp(MpJoinOption.Syn(true, 1, tokenB, 0xaabbccdd)); });
        c.Tcp(b, "10.3.3.1", 80, 40001, 9000, 7001, synAck, o => o.Mptcp(MpJoinOption.SynAck(false, 0, MptcpCrypto.JoinTruncatedHmac(keyB, keyA, 0x11223344, 0xaabbccdd), 0x11223344)));
        var hmac = new byte[32];
        MptcpCrypto.JoinHmac(keyA, keyB, 0xaabbccdd, 0x11223344, hmac);
        c.Tcp("10.3.3.1", b, 40001, 80, 7001, 9001, ack, o => o.Mptcp(MpJoinOption.Ack(hmac)));
        c.Tcp("10.3.3.1", b, 40001, 80, 7001, 9001, ack);
        c.Tcp("10.4.4.1", b, 40002, 80, 1, 0, syn, o => o.Mptcp(MpJoinOption.Syn(false, 7, 0xdeadbeef, 1)));
        c.Tcp(b, "10.4.4.1", 80, 40002, 2, 2, TcpFlags.Rst | TcpFlags.Ack, o => o.Mptcp(new MpTcpRstOption(MpTcpRstOption.FlagTransient, MpTcpRstReason.UnacceptablePerformance)));
        c.Tcp(a, b, 40000, 80, 1151, 5022, TcpFlags.Rst | TcpFlags.Ack, o => { o.Mptcp(new MpFastCloseOption(keyB)); o.Mptcp(new MpTcpRstOption(0, MpTcpRstReason.Unspecified)); });
        // The same 4-tuple reused by a new connection: a new TCP and MPTCP stream.
        c.Tcp(a, b, 40000, 80, 424242, 0, syn, o => o.Mptcp(new MpCapableOption(1, 0x01)));
        c.Tcp(b, a, 80, 40000, 77, 424243, synAck, o => o.Mptcp(new MpCapableOption(1, 0x01, 5)));
        c.Tcp(a, b, 40000, 80, 424243, 78, ack, o => o.Mptcp(new MpCapableOption(1, 0x01, 6, 5)));
        // RFC 6824 (v0) MP_CAPABLE, IPv6 and plain TCP with SACK.
        c.Tcp("10.5.5.1", b, 40005, 80, 1, 0, syn, o => o.Mptcp(new MpCapableOption(0, 0x81, 0x0102030405060708)));
        c.Tcp("fd00:1::1", "fd00:1::2", 40006, 80, 10, 0, syn, o => { o.W.TryWriteMss(1440); o.Mptcp(new MpCapableOption(1, 0x01)); });
        c.Tcp("fd00:1::2", "fd00:1::1", 80, 40006, 20, 11, synAck, o => o.Mptcp(new MpCapableOption(1, 0x01, 0xabcdef)));
        c.Tcp("10.6.6.1", b, 40007, 80, 50, 60, ack, o => { o.W.TryWriteTimestamps(5, 6); o.W.WriteSackBlocks([new SackBlock(100, 200), new SackBlock(300, 400)]); });
        // Malformed MPTCP options: each still gets its line.
        c.Tcp(a, b, 40010, 80, 1, 0, ack, o => o.W.TryWriteRaw(Convert.FromHexString("1e080181" + "00000000")));
        c.Tcp(a, b, 40011, 80, 1, 0, ack, o => o.W.TryWriteRaw(Convert.FromHexString("1e0c2003" + "0000000000000001" + "")[..8]));
        c.Tcp(a, b, 40012, 80, 1, 0, ack, o => o.W.TryWriteRaw(Convert.FromHexString("1e049000")));
        c.Tcp(a, b, 40013, 80, 1, 0, ack, o => o.W.TryWriteRaw(Convert.FromHexString("1e04f000")));
        c.Tcp(a, b, 40014, 80, 1, 0, ack, o => o.W.TryWriteRaw(Convert.FromHexString("1e040281")));
        c.Tcp(a, b, 40015, 80, 1, 0, ack, o => o.W.TryWriteRaw(Convert.FromHexString("1e0930000a000001ff")));
        return c;
    }

    private static byte[] ArpRequest()
    {
        var f = new byte[42];
        EthernetFrame.Write(f, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], MacA, EtherType.Arp);
        ArpPacket.Write(f.AsSpan(14), ArpPacket.OperationRequest, MacA, [10, 1, 1, 1], new byte[6], [10, 1, 1, 2]);
        return f;
    }
}

/// <summary>A heap home for a TcpOptionWriter so lambdas can fill one.</summary>
public sealed class TcpOptionWriterBox
{
    private readonly byte[] _buffer = new byte[40];
    private int _length;

    public Writer W => new(this);
    public byte[] Bytes => _buffer.AsSpan(0, (_length + 3) & ~3).ToArray();

    public void Mptcp<T>(T option) where T : struct, IMptcpOption
    {
        var w = new TcpOptionWriter(_buffer.AsSpan(_length));
        Assert.True(w.TryWrite(option), $"{option.Subtype} does not fit");
        _length += w.Length;
    }

    /// <summary>Forwards to a writer positioned after what is already written.</summary>
    public readonly struct Writer(TcpOptionWriterBox box)
    {
        public bool TryWriteMss(ushort mss) => Apply((ref TcpOptionWriter w) => w.TryWriteMss(mss));
        public bool TryWriteTimestamps(uint v, uint e, bool sackPermitted = false) => Apply((ref TcpOptionWriter w) => w.TryWriteTimestamps(v, e, sackPermitted));
        public bool TryWriteWindowScale(byte s) => Apply((ref TcpOptionWriter w) => w.TryWriteWindowScale(s));
        public bool WriteSackBlocks(SackBlock[] blocks) => Apply((ref TcpOptionWriter w) => w.WriteSackBlocks(blocks) > 0);
        public bool TryWriteRaw(byte[] raw) => Apply((ref TcpOptionWriter w) => w.TryWriteRaw(raw));

        private bool Apply(WriterAction action)
        {
            var w = new TcpOptionWriter(box._buffer.AsSpan(box._length));
            var ok = action(ref w);
            Assert.True(ok);
            box._length += w.Length;
            return ok;
        }
    }

    public delegate bool WriterAction(ref TcpOptionWriter w);
}
