using MptcpActors.Actors.Mptcp;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Crypto;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;
using static MptcpActors.Transport.Wire.Tcp.TcpFlags;

namespace MptcpActors.Actors.Tests.Mptcp;

/// <summary>The MPTCP layer of the initial subflow, driven option by option (the interop tests drive it against Linux).</summary>
public class MptcpInitialSubflowTests
{
    private const ulong ClientKey = 0x1111222233334444, ServerKey = 0x5555666677778888;

    private static byte[] Options<T>(T option) where T : struct, IMptcpOption
    {
        var b = new byte[40];
        var w = new TcpOptionWriter(b);
        Assert.True(w.TryWrite(option));
        return b[..w.Finish()];
    }

    private static List<byte[]> Written(MptcpInitialSubflow hook, uint seq, uint ack, TcpFlags flags, byte[]? payload = null)
    {
        var b = new byte[40];
        var info = new OutgoingSegmentInfo(seq, ack, flags, payload?.Length ?? 0, false);
        Assert.True(hook.OptionSpace(info) >= 0);
        var n = hook.WriteOptions(b, info, payload ?? []);
        var list = new List<byte[]>();
        foreach (var o in new TcpOptionReader(b.AsSpan(0, n)))
            if (o.Kind == TcpOptionKind.Mptcp) list.Add(o.Raw.ToArray());
        return list;
    }

    /// <summary>A client hook after SYN (seq 100) and the server's SYN/ACK (seq 900) with its key.</summary>
    private static MptcpInitialSubflow Client()
    {
        var h = new MptcpInitialSubflow(client: true, ClientKey);
        var syn = Written(h, 100, 0, Syn);
        Assert.Equal(MptcpOptionError.None, MpCapableOption.Read(syn.Single(), out var c));
        Assert.Equal(4, c.Length);
        Assert.True(h.AcceptSyn(Options(new MpCapableOption(1, 1, ServerKey)), synAck: true));
        h.OnOptions(Options(new MpCapableOption(1, 1, ServerKey)), new IncomingSegmentInfo(900, 101, Syn | Ack, 0, TcpState.SynSent));
        Assert.Equal(MptcpNegotiation.Mptcp, h.State);
        return h;
    }

    [Fact]
    public void Client_sends_both_keys_on_the_third_ack_then_maps_data_with_dss()
    {
        var h = Client();
        Assert.Equal(MptcpCrypto.Token(ServerKey), h.RemoteToken);
        MpCapableOption.Read(Written(h, 101, 901, Ack).Single(), out var third);
        Assert.Equal((ClientKey, ServerKey, (ushort?)null), (third.SenderKey!.Value, third.ReceiverKey!.Value, third.DataLevelLength));
        // First data: MP_CAPABLE with its data-level length (RFC 8684 3.1).
        MpCapableOption.Read(Written(h, 101, 901, Ack, new byte[100]).Single(), out var first);
        Assert.Equal((ushort)100, first.DataLevelLength);
        // Once the server acknowledges at data level, data goes with DSS mappings.
        h.OnOptions(Options(DssOption.Create(dataAck: MptcpCrypto.Idsn(ClientKey) + 101)), new IncomingSegmentInfo(901, 201, Ack, 0, TcpState.Established));
        DssOption.Read(Written(h, 201, 901, Ack, new byte[50]).Single(), out var dss);
        Assert.Equal(MptcpCrypto.Idsn(ClientKey) + 101, dss.DataSequenceNumber);
        Assert.Equal((100u + 1, (ushort)50), (dss.SubflowSequenceNumber, dss.DataLevelLength));
        Assert.Equal(MptcpCrypto.Idsn(ServerKey) + 1, dss.DataAck);
    }

    [Fact]
    public void A_data_fin_is_acknowledged_at_once_and_counted_in_the_data_ack()
    {
        var h = Client();
        var peerIdsn = MptcpCrypto.Idsn(ServerKey);
        h.OnOptions([], new IncomingSegmentInfo(901, 101, Ack, 10, TcpState.Established));
        var ackNow = h.OnOptions(Options(DssOption.Create(dataAck: 1, dsn: peerIdsn + 11, subflowSeq: 0, dataLevelLength: 1, dataFin: true)),
            new IncomingSegmentInfo(911, 101, Ack, 0, TcpState.Established));
        Assert.True(ackNow);
        Assert.True(h.PeerDataFin);
        DssOption.Read(Written(h, 101, 911, Ack).Single(), out var dss);
        Assert.Equal(peerIdsn + 12, dss.DataAck);
    }

    [Fact]
    public void Our_fin_carries_the_data_fin_and_an_abort_carries_fastclose()
    {
        var h = Client();
        Written(h, 101, 901, Ack); // the third ACK
        var fin = Written(h, 151, 901, Fin | Ack);
        DssOption.Read(fin.Single(), out var dss);
        Assert.True(dss.DataFin);
        Assert.Equal((0u, (ushort)1, MptcpCrypto.Idsn(ClientKey) + 51), (dss.SubflowSequenceNumber, dss.DataLevelLength, dss.DataSequenceNumber));
        var rst = Written(h, 152, 0, Rst);
        Assert.Equal(MptcpOptionError.None, MpFastCloseOption.Read(rst[0], out var fc));
        Assert.Equal(ServerKey, fc.ReceiverKey);
        Assert.Equal(MptcpOptionError.None, MpTcpRstOption.Read(rst[1], out _));
    }

    [Fact]
    public void Fastclose_is_honoured_only_with_our_key()
    {
        var h = Client();
        h.OnOptions(Options(new MpFastCloseOption(12345)), new IncomingSegmentInfo(901, 101, Rst | Ack, 0, TcpState.Established));
        Assert.False(h.FastClosed);
        h.OnOptions(Options(new MpFastCloseOption(ClientKey)), new IncomingSegmentInfo(901, 101, Rst | Ack, 0, TcpState.Established));
        Assert.True(h.FastClosed);
    }

    [Fact]
    public void A_syn_ack_without_mp_capable_falls_back_and_adds_nothing_more()
    {
        var h = new MptcpInitialSubflow(client: true, ClientKey);
        Written(h, 100, 0, Syn);
        Assert.True(h.AcceptSyn([], synAck: true));
        Assert.Equal(MptcpNegotiation.Fallback, h.State);
        Assert.Empty(Written(h, 101, 901, Ack, new byte[10]));
    }

    [Fact]
    public void Server_falls_back_when_data_arrives_without_mptcp_options()
    {
        var h = new MptcpInitialSubflow(client: false, ServerKey);
        Assert.True(h.AcceptSyn(Options(new MpCapableOption(1, 1)), synAck: false));
        h.OnOptions(Options(new MpCapableOption(1, 1)), new IncomingSegmentInfo(100, 0, Syn, 0, TcpState.SynReceived));
        MpCapableOption.Read(Written(h, 900, 101, Syn | Ack).Single(), out var synAck);
        Assert.Equal(ServerKey, synAck.SenderKey);
        h.OnOptions([], new IncomingSegmentInfo(101, 901, Ack, 20, TcpState.Established));
        Assert.Equal(MptcpNegotiation.Fallback, h.State);
    }

    [Fact]
    public void Checksums_asked_by_the_peer_cover_the_payload()
    {
        var h = new MptcpInitialSubflow(client: true, ClientKey);
        Written(h, 100, 0, Syn);
        h.AcceptSyn(Options(new MpCapableOption(1, MpCapableOption.FlagChecksumRequired | 1, ServerKey)), synAck: true);
        h.OnOptions([], new IncomingSegmentInfo(900, 101, Syn | Ack, 0, TcpState.SynSent));
        Assert.True(h.Checksums);
        var payload = new byte[] { 1, 2, 3, 4, 5 };
        MpCapableOption.Read(Written(h, 101, 901, Ack, payload).Single(), out var first);
        Assert.NotNull(first.Checksum);
        Assert.Equal(0, MptcpCrypto.DssChecksum(MptcpCrypto.Idsn(ClientKey) + 1, 1, 5, first.Checksum!.Value, payload));
    }
}
