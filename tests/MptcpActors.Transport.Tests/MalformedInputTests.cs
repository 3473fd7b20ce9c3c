using CsCheck;
using MptcpActors.Transport.Capture;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Transport.Tests;

/// <summary>Bad input yields a typed result (an invalid MPTCP option is treated as absent, RFC 8684 3), never an exception or an out-of-bounds read.</summary>
public class MalformedInputTests
{
    [Theory]
    [InlineData("1e", MptcpOptionError.Truncated)]
    [InlineData("1e02", MptcpOptionError.Truncated)]
    [InlineData("1e0501", MptcpOptionError.Truncated)] // length says 5, 3 bytes given
    [InlineData("1d03 00", MptcpOptionError.NotMptcp)]
    [InlineData("1e0390", MptcpOptionError.UnknownSubtype)]
    [InlineData("1e03f0", MptcpOptionError.UnknownSubtype)] // MP_EXPERIMENTAL
    [InlineData("1e040201", MptcpOptionError.UnsupportedVersion)]
    [InlineData("1e080101 00000000", MptcpOptionError.BadLength)] // MP_CAPABLE of 8 bytes
    [InlineData("1e040001", MptcpOptionError.BadLength)] // v0 SYN without key
    [InlineData("1e0a1000 000000000000", MptcpOptionError.BadLength)] // MP_JOIN of 10
    [InlineData("1e082003 00000000", MptcpOptionError.BadLength)] // DSS says 8-byte ack, has 4
    [InlineData("1e062004 0000", MptcpOptionError.BadLength)] // DSS mapping flag, no mapping
    [InlineData("1e0c2004 00000000 00000000", MptcpOptionError.BadLength)] // mapping without data-level length
    [InlineData("1e0930000a000001ff", MptcpOptionError.BadLength)] // ADD_ADDR of 9
    [InlineData("1e0340", MptcpOptionError.BadLength)] // REMOVE_ADDR without an id
    [InlineData("1e055000 00", MptcpOptionError.BadLength)] // MP_PRIO of 5
    [InlineData("1e086000 00000000", MptcpOptionError.BadLength)] // MP_FAIL of 8
    [InlineData("1e0d7000 0000000000000000 00", MptcpOptionError.BadLength)] // MP_FASTCLOSE of 13
    [InlineData("1e058000 00", MptcpOptionError.BadLength)] // MP_TCPRST of 5
    public void Invalid_mptcp_options_give_a_typed_error(string hex, MptcpOptionError expected) =>
        Assert.Equal(expected, MptcpOptionHeader.Validate(Convert.FromHexString(hex.Replace(" ", ""))));

    [Theory]
    [InlineData("02", TcpOptionError.Truncated)]
    [InlineData("0200", TcpOptionError.LengthTooShort)]
    [InlineData("0201", TcpOptionError.LengthTooShort)]
    [InlineData("0204 05", TcpOptionError.LengthPastHeader)]
    [InlineData("0101 1e28 0000", TcpOptionError.LengthPastHeader)]
    public void Invalid_option_lengths_end_the_walk_with_a_typed_error(string hex, TcpOptionError expected)
    {
        var r = new TcpOptionReader(Convert.FromHexString(hex.Replace(" ", "")));
        while (r.MoveNext()) { }
        Assert.Equal(expected, r.Error);
    }

    [Fact]
    public void Unknown_option_kinds_survive_byte_exact()
    {
        var area = Convert.FromHexString("fe06abcdef01" + "0101" + "1b0412340000");
        var kinds = new List<(TcpOptionKind, string)>();
        foreach (var o in new TcpOptionReader(area)) kinds.Add((o.Kind, Convert.ToHexStringLower(o.Raw)));
        Assert.Equal([((TcpOptionKind)254, "fe06abcdef01"), (TcpOptionKind.NoOperation, "01"), (TcpOptionKind.NoOperation, "01"),
            ((TcpOptionKind)27, "1b041234"), (TcpOptionKind.EndOfList, "00")], kinds);
        var w = new TcpOptionWriter(new byte[40]);
        Assert.True(w.TryWriteRaw(Convert.FromHexString("fe06abcdef01")));
        Assert.Equal("fe06abcdef010101", Convert.ToHexStringLower(w.Written));
    }

    [Fact]
    public void Writer_refuses_options_past_40_bytes()
    {
        var w = new TcpOptionWriter(new byte[60]);
        Assert.True(w.TryWriteMss(1460));
        Assert.True(w.TryWriteTimestamps(1, 2, sackPermitted: true));
        Assert.True(w.TryWriteWindowScale(7));
        Assert.Equal(20, w.Length);
        Assert.False(w.TryWrite(DssOption.Create(dataAck: 1, dsn: 2, dataLevelLength: 3))); // 26 bytes, padded 28: 48 > 40
        Assert.Equal(20, w.Length);
        Assert.True(w.TryWrite(DssOption.Create(dataAck: 1))); // 12 bytes fit
        Assert.Equal(32, w.Length);
        Assert.Equal(0, w.WriteSackBlocks([new SackBlock(1, 2), new SackBlock(3, 4)])); // 4 + 8 > 8 left
        Assert.True(w.TryWriteRaw([0xfe, 0x04, 1, 2]));
        Assert.Equal(36, w.Length);
        Assert.False(w.TryWriteRaw([0xfe, 0x06, 1, 2, 3, 4]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("45")]
    [InlineData("4f000014")] // IHL 60 in a 4-byte buffer
    [InlineData("45000014000000004006000000000000000000")] // 19 bytes
    [InlineData("6000000000000600")] // IPv6 cut in the fixed header
    public void Truncated_ip_packets_do_not_parse(string hex) => Assert.False(IpPacket.TryParse(Convert.FromHexString(hex), out _));

    [Theory]
    [InlineData("0000000000000000000000005000")] // 14 bytes
    [InlineData("00000000000000000000000040000000000000000000")] // data offset 16 < 20
    [InlineData("000000000000000000000000f0000000000000000000")] // data offset 60 > 22 bytes
    public void Bad_tcp_headers_do_not_parse(string hex) => Assert.False(TcpSegment.TryParse(Convert.FromHexString(hex), out _));

    /// <summary>Walks everything a frame has, the way the engine and the decoder do; any exception fails the caller.</summary>
    internal static int Dissect(ReadOnlySpan<byte> frame, LinkType linkType = LinkType.Ethernet)
    {
        var touched = 0;
        if (EthernetFrame.TryParse(frame, out var eth) && eth.EtherType == EtherType.Arp && ArpPacket.TryParse(eth.Payload, out var arp))
            touched += arp.Operation + arp.TargetProtocol[0];
        if (!LinkLayer.TryGetIpPacket(linkType, frame, out var ipBytes) || !IpPacket.TryParse(ipBytes, out var ip)) return touched;
        touched += ip.Source[0] + ip.Destination[^1] + ip.DeclaredPayloadLength;
        if (ip.Protocol is IpProtocol.Icmp or IpProtocol.Icmpv6 && IcmpMessage.TryParse(ip.Payload, out var icmp))
            touched += icmp.ReportedMtu(ip.Version == 6) + icmp.Body.Length;
        if (ip.Protocol != IpProtocol.Tcp || !TcpSegment.TryParse(ip.Payload, out var tcp)) return touched;
        touched += tcp.SourcePort + tcp.Payload.Length + (int)tcp.Flags;
        Span<SackBlock> sack = stackalloc SackBlock[4];
        foreach (var o in tcp.ReadOptions())
        {
            if (TcpOptions.TryReadMss(o, out var mss)) touched += mss;
            if (TcpOptions.TryReadTimestamps(o, out var v, out _)) touched += (int)(v & 1);
            touched += Math.Max(0, TcpOptions.ReadSackBlocks(o, sack));
            if (o.Kind == TcpOptionKind.Mptcp) touched += (int)MptcpOptionHeader.Validate(o.Raw);
        }
        return touched;
    }

    [Fact]
    public void Random_bytes_never_throw() =>
        Gen.Byte.Array[0, 200].Sample(b =>
        {
            foreach (var lt in new[] { LinkType.Ethernet, LinkType.Raw, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.Null })
                Dissect(b, lt);
            var r = new TcpOptionReader(b.AsSpan(0, Math.Min(40, b.Length)));
            while (r.MoveNext()) MptcpOptionHeader.Validate(r.Current.Raw);
            if (b.Length > 0) { b[0] = MptcpOptionHeader.Kind; MptcpOptionHeader.Validate(b); }
        }, iter: 100_000);

    [Fact]
    public void Zero_filled_buffers_never_throw()
    {
        for (var n = 0; n <= 1600; n++) Dissect(new byte[n]);
    }

    /// <summary>Real frames with bytes flipped and tails cut: the fuzz corpus is the Linux captures.</summary>
    [Fact]
    public void Mutated_capture_frames_never_throw()
    {
        var corpus = SharedCaptures.Names().SelectMany(n => SharedCaptures.Frames((string)n[0])).Select(f => f.Data.ToArray()).ToArray();
        Gen.Select(Gen.Int[0, corpus.Length - 1], Gen.Int[0, 1513].Array[1, 8], Gen.Byte.Array[8], Gen.Int[0, 1514]).Sample((i, at, values, cut) =>
        {
            var f = (byte[])corpus[i].Clone();
            for (var k = 0; k < at.Length; k++) f[at[k] % f.Length] = values[k];
            Dissect(f.AsSpan(0, Math.Min(cut, f.Length)));
        }, iter: 100_000);
    }
}

public class TcpOptionRegistryTests
{
    [Theory]
    [InlineData("020405b4", true)]
    [InlineData("020305", false)]
    [InlineData("0304070000", false)]
    [InlineData("0402", true)]
    [InlineData("080a0000000100000002", true)]
    [InlineData("0508000000010000", false)]
    [InlineData("050a0000000100000002", true)]
    [InlineData("1e040101", true)]
    [InlineData("1e039000", false)]
    [InlineData("fe03aa", true)] // unknown kinds are carried, never rejected
    public void Registered_kinds_check_their_rules(string hex, bool valid)
    {
        var bytes = Convert.FromHexString(hex.Length % 2 == 0 ? hex : hex + "0");
        var r = new TcpOptionReader(bytes);
        Assert.True(r.MoveNext());
        Assert.Equal(valid, TcpOptionRegistry.Default.IsValid(r.Current));
    }

    private sealed class Experimental : ITcpOptionCodec
    {
        public TcpOptionKind Kind => TcpOptionKind.Experimental2;
        public string Name => "experiment";
        public bool IsValid(ReadOnlySpan<byte> raw) => raw.Length == 6;
    }

    [Fact]
    public void A_new_kind_can_be_registered()
    {
        var registry = TcpOptionRegistry.CreateDefault();
        registry.Register(new Experimental());
        Assert.Equal("experiment", registry.NameOf(TcpOptionKind.Experimental2));
        Assert.Equal("kind 253", registry.NameOf(TcpOptionKind.Experimental1));
        var r = new TcpOptionReader(Convert.FromHexString("fe0401020000"));
        Assert.True(r.MoveNext());
        Assert.False(registry.IsValid(r.Current));
        Assert.True(TcpOptionRegistry.Default.IsValid(r.Current));
    }
}
