using MptcpActors.Actors.Mptcp;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Crypto;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;
using static MptcpActors.Transport.Wire.Tcp.TcpFlags;

namespace MptcpActors.Actors.Tests.Mptcp;

/// <summary>The MPTCP layer of the initial subflow, driven option by option (the interop tests drive it against Linux).</summary>
public class MptcpSubflowHookTests
{
    private const ulong ClientKey = 0x1111222233334444, ServerKey = 0x5555666677778888;

    private static byte[] Options<T>(T option) where T : struct, IMptcpOption
    {
        var b = new byte[40];
        var w = new TcpOptionWriter(b);
        Assert.True(w.TryWrite(option));
        return b[..w.Finish()];
    }

    private static byte[] Options(List<byte[]> mptcpOptions)
    {
        var b = new List<byte>();
        foreach (var o in mptcpOptions) b.AddRange(o);
        while (b.Count % 4 != 0) b.Add(1);
        return b.ToArray();
    }

    private static byte[] Options(byte[] rawOption) => Options([rawOption]);

    private static List<byte[]> Written(MptcpSubflowHook hook, uint seq, uint ack, TcpFlags flags, byte[]? payload = null, bool retransmission = false)
    {
        var b = new byte[40];
        var info = new OutgoingSegmentInfo(seq, ack, flags, payload?.Length ?? 0, retransmission);
        Assert.True(hook.OptionSpace(info) >= 0);
        var n = hook.WriteOptions(b, info, payload ?? []);
        var list = new List<byte[]>();
        foreach (var o in new TcpOptionReader(b.AsSpan(0, n)))
            if (o.Kind == TcpOptionKind.Mptcp) list.Add(o.Raw.ToArray());
        return list;
    }

    /// <summary>A client hook after SYN (seq 100) and the server's SYN/ACK (seq 900) with its key.</summary>
    private static MptcpSubflowHook Client()
    {
        var h = MptcpSubflowHook.Initial(client: true, ClientKey);
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
        // Once the server acknowledges at data level, data goes with DSS mappings from what the connection queued.
        h.SendMappings.Append(101, MptcpCrypto.Idsn(ClientKey) + 5000, 50);
        h.OnOptions(Options(DssOption.Create(dataAck: MptcpCrypto.Idsn(ClientKey) + 101)), new IncomingSegmentInfo(901, 201, Ack, 0, TcpState.Established, 65535));
        Assert.True(h.HasPeerDataAck);
        Assert.Equal(MptcpCrypto.Idsn(ClientKey) + 101 + 65535, h.PeerWindowEnd);
        DssOption.Read(Written(h, 201, 901, Ack, new byte[50]).Single(), out var dss);
        Assert.Equal(MptcpCrypto.Idsn(ClientKey) + 5000, dss.DataSequenceNumber);
        Assert.Equal((100u + 1, (ushort)50), (dss.SubflowSequenceNumber, dss.DataLevelLength));
        Assert.Equal(MptcpCrypto.Idsn(ServerKey) + 1, dss.DataAck);
    }

    [Fact]
    public void Segments_are_cut_where_a_mapping_ends()
    {
        var h = Client();
        h.SendMappings.Append(1, 1000, 100);
        h.SendMappings.Append(101, 9000, 100); // not contiguous in DSN: a new mapping
        Assert.Equal(60, h.PayloadLimit(100 + 41, 1400));
        Assert.Equal(100, h.PayloadLimit(100 + 101, 1400));
        Assert.Equal(1400, h.PayloadLimit(100 + 201, 1400));
    }

    [Fact]
    public void Received_mappings_place_data_in_the_data_sequence_space()
    {
        var h = Client();
        var peer = MptcpCrypto.Idsn(ServerKey);
        h.OnOptions(Options(DssOption.Create(dataAck: 1, dsn: peer + 1, subflowSeq: 1, dataLevelLength: 3000)), new IncomingSegmentInfo(901, 101, Ack, 1400, TcpState.Established));
        h.OnOptions(Options(DssOption.Create(dataAck: 1, dsn: peer + 1, subflowSeq: 1, dataLevelLength: 3000)), new IncomingSegmentInfo(2301, 101, Ack, 1400, TcpState.Established));
        h.OnOptions(Options(DssOption.Create(dataAck: 1, dsn: peer + 7001, subflowSeq: 3001, dataLevelLength: 10)), new IncomingSegmentInfo(3901, 101, Ack, 10, TcpState.Established));
        Assert.Equal(2, h.ReceiveMappings.Count);
        Assert.True(h.TryMapReceived(1401, out var dsn, out var contiguous));
        Assert.Equal((peer + 1401, 1600), (dsn, contiguous));
        Assert.True(h.TryMapReceived(3005, out dsn, out contiguous));
        Assert.Equal((peer + 7005, 6), (dsn, contiguous));
        Assert.False(h.TryMapReceived(3011, out _, out _));
    }

    [Fact]
    public void A_data_fin_is_acknowledged_at_once()
    {
        var h = Client();
        var peerIdsn = MptcpCrypto.Idsn(ServerKey);
        var ackNow = h.OnOptions(Options(DssOption.Create(dataAck: 1, dsn: peerIdsn + 11, subflowSeq: 0, dataLevelLength: 1, dataFin: true)),
            new IncomingSegmentInfo(911, 101, Ack, 0, TcpState.Established));
        Assert.True(ackNow);
        Assert.Equal(peerIdsn + 11, h.PeerDataFin);
    }

    [Fact]
    public void A_queued_data_fin_rides_pure_acks_and_an_abort_carries_fastclose()
    {
        var h = Client();
        Written(h, 101, 901, Ack); // the third ACK
        h.DataFinToSend = MptcpCrypto.Idsn(ClientKey) + 51;
        DssOption.Read(Written(h, 151, 901, Ack).Single(), out var dss);
        Assert.True(dss.DataFin);
        Assert.Equal((0u, (ushort)1, MptcpCrypto.Idsn(ClientKey) + 51), (dss.SubflowSequenceNumber, dss.DataLevelLength, dss.DataSequenceNumber));
        h.FastCloseOnReset = true;
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
        Assert.DoesNotContain(h.Signals, s => s is FastCloseReceived);
        h.OnOptions(Options(new MpFastCloseOption(ClientKey)), new IncomingSegmentInfo(901, 101, Rst | Ack, 0, TcpState.Established));
        Assert.Contains(h.Signals, s => s is FastCloseReceived);
    }

    [Fact]
    public void A_syn_ack_without_mp_capable_falls_back_and_adds_nothing_more()
    {
        var h = MptcpSubflowHook.Initial(client: true, ClientKey);
        Written(h, 100, 0, Syn);
        Assert.True(h.AcceptSyn([], synAck: true));
        Assert.Equal(MptcpNegotiation.Fallback, h.State);
        Assert.Empty(Written(h, 101, 901, Ack, new byte[10]));
    }

    [Fact]
    public void Syn_retransmissions_give_up_mp_capable_after_two()
    {
        var h = MptcpSubflowHook.Initial(client: true, ClientKey);
        Assert.Single(Written(h, 100, 0, Syn));
        Assert.Single(Written(h, 100, 0, Syn, retransmission: true));
        Assert.Single(Written(h, 100, 0, Syn, retransmission: true));
        Assert.Empty(Written(h, 100, 0, Syn, retransmission: true));
        Assert.Equal(MptcpNegotiation.Fallback, h.State);
    }

    [Fact]
    public void Server_falls_back_when_the_third_ack_has_no_mp_capable()
    {
        var h = MptcpSubflowHook.Initial(client: false, ServerKey);
        Assert.True(h.AcceptSyn(Options(new MpCapableOption(1, 1)), synAck: false));
        h.OnOptions(Options(new MpCapableOption(1, 1)), new IncomingSegmentInfo(100, 0, Syn, 0, TcpState.SynReceived));
        MpCapableOption.Read(Written(h, 900, 101, Syn | Ack).Single(), out var synAck);
        Assert.Equal(ServerKey, synAck.SenderKey);
        h.OnOptions([], new IncomingSegmentInfo(101, 901, Ack, 0, TcpState.SynReceived));
        Assert.Equal(MptcpNegotiation.Fallback, h.State);
        Assert.True(h.Usable);
    }

    [Fact]
    public void Server_maps_the_first_data_from_mp_capable()
    {
        var h = MptcpSubflowHook.Initial(client: false, ServerKey);
        h.AcceptSyn(Options(new MpCapableOption(1, 1)), synAck: false);
        h.OnOptions(Options(new MpCapableOption(1, 1)), new IncomingSegmentInfo(100, 0, Syn, 0, TcpState.SynReceived));
        Written(h, 900, 101, Syn | Ack);
        h.OnOptions(Options(new MpCapableOption(1, 1, ClientKey, ServerKey, 100)), new IncomingSegmentInfo(101, 901, Ack, 100, TcpState.SynReceived));
        Assert.Equal(MptcpNegotiation.Mptcp, h.State);
        Assert.True(h.TryMapReceived(1, out var dsn, out var n));
        Assert.Equal((MptcpCrypto.Idsn(ClientKey) + 1, 100), (dsn, n));
    }

    [Fact]
    public void Checksums_asked_by_the_peer_cover_the_payload()
    {
        var h = MptcpSubflowHook.Initial(client: true, ClientKey);
        Written(h, 100, 0, Syn);
        h.AcceptSyn(Options(new MpCapableOption(1, MpCapableOption.FlagChecksumRequired | 1, ServerKey)), synAck: true);
        h.OnOptions([], new IncomingSegmentInfo(900, 101, Syn | Ack, 0, TcpState.SynSent));
        Assert.True(h.Checksums);
        var payload = new byte[] { 1, 2, 3, 4, 5 };
        MpCapableOption.Read(Written(h, 101, 901, Ack, payload).Single(), out var first);
        Assert.NotNull(first.Checksum);
        Assert.Equal(0, MptcpCrypto.DssChecksum(MptcpCrypto.Idsn(ClientKey) + 1, 1, 5, first.Checksum!.Value, payload));
    }

    /// <summary>A joining pair: the client holds its key and the server's, the server the reverse.</summary>
    private static (MptcpSubflowHook Client, MptcpSubflowHook Server) JoinPair(bool backup = false) =>
        (MptcpSubflowHook.Join(client: true, new JoinParameters(ClientKey, ServerKey, 3, backup, false), 0x11111111),
         MptcpSubflowHook.Join(client: false, new JoinParameters(ServerKey, ClientKey, 0, false, false), 0x22222222));

    [Fact]
    public void Join_handshake_checks_both_hmacs_and_the_fourth_ack_confirms_it()
    {
        var (c, s) = JoinPair(backup: true);
        var syn = Options(Written(c, 500, 0, Syn));
        MpJoinOption.Read(Written(c, 500, 0, Syn).Single(), out var j);
        Assert.Equal((MptcpCrypto.Token(ServerKey), (byte)3, true), (j.Token, j.AddressId, j.Backup));
        Assert.True(s.AcceptSyn(syn, synAck: false));
        s.OnOptions(syn, new IncomingSegmentInfo(500, 0, Syn, 0, TcpState.SynReceived));
        Assert.True(s.PeerBackup);
        var synAck = Options(Written(s, 7000, 501, Syn | Ack));
        Assert.True(c.AcceptSyn(synAck, synAck: true));
        c.OnOptions(synAck, new IncomingSegmentInfo(7000, 501, Syn | Ack, 0, TcpState.SynSent));
        Assert.False(c.Usable); // not before the fourth ACK
        var third = Options(Written(c, 501, 7001, Ack));
        Assert.True(s.OnOptions(third, new IncomingSegmentInfo(501, 7001, Ack, 0, TcpState.SynReceived)));
        Assert.True(s.Usable);
        Assert.False(s.ResetRequested);
        c.OnOptions(Options(DssOption.Create(dataAck: 1)), new IncomingSegmentInfo(7001, 501, Ack, 0, TcpState.Established));
        Assert.True(c.Usable);
    }

    [Fact]
    public void A_join_with_a_wrong_hmac_is_refused_on_either_side()
    {
        var (c, s) = JoinPair();
        var syn = Options(Written(c, 500, 0, Syn));
        s.AcceptSyn(syn, synAck: false);
        s.OnOptions(syn, new IncomingSegmentInfo(500, 0, Syn, 0, TcpState.SynReceived));
        var forged = Options(MpJoinOption.SynAck(false, 0, 0xdeadbeef, 1));
        Assert.False(c.AcceptSyn(forged, synAck: true));
        Assert.False(c.AcceptSyn([], synAck: true)); // no MP_JOIN at all

        var badThird = Options(MpJoinOption.Ack(new byte[20]));
        s.OnOptions(badThird, new IncomingSegmentInfo(501, 7001, Ack, 0, TcpState.SynReceived));
        Assert.True(s.ResetRequested);
        Assert.False(s.Usable);
    }

    [Fact]
    public void A_join_syn_for_another_token_is_refused()
    {
        var s = MptcpSubflowHook.Join(client: false, new JoinParameters(ServerKey, ClientKey, 0, false, false), 1);
        Assert.False(s.AcceptSyn(Options(MpJoinOption.Syn(false, 1, MptcpCrypto.Token(ServerKey) ^ 1, 5)), synAck: false));
    }

    [Fact]
    public void Add_addr_is_sent_with_an_hmac_the_peer_verifies_and_echoes()
    {
        var server = MptcpSubflowHook.Initial(client: false, ServerKey);
        server.AcceptSyn(Options(new MpCapableOption(1, 1)), synAck: false);
        server.OnOptions(Options(new MpCapableOption(1, 1)), new IncomingSegmentInfo(100, 0, Syn, 0, TcpState.SynReceived));
        Written(server, 900, 101, Syn | Ack);
        server.OnOptions(Options(new MpCapableOption(1, 1, ClientKey, ServerKey)), new IncomingSegmentInfo(101, 901, Ack, 0, TcpState.SynReceived));
        var client = Client();
        var address = new IpAddressBytes([10, 0, 2, 2]);
        server.QueueAddAddr(2, address, null, echo: false);
        var options = Written(server, 901, 101, Ack);
        var add = options.Single(o => MptcpOptionHeader.SubtypeOf(o) == MptcpSubtype.AddAddr);
        client.OnOptions(Options(add), new IncomingSegmentInfo(901, 101, Ack, 0, TcpState.Established));
        Assert.Equal(new AddAddrReceived(2, address, null, false), client.Signals.Single());

        var forged = new AddAddrOption(0, 2, address, null, 12345);
        client.OnOptions(Options(forged), new IncomingSegmentInfo(901, 101, Ack, 0, TcpState.Established));
        Assert.IsType<InvalidSignal>(client.Signals.Last());
    }

    [Fact]
    public void Signals_wait_for_a_pure_ack_and_leave_once()
    {
        var h = Client();
        Written(h, 101, 901, Ack);
        h.OnOptions(Options(DssOption.Create(dataAck: MptcpCrypto.Idsn(ClientKey) + 1)), new IncomingSegmentInfo(901, 101, Ack, 0, TcpState.Established));
        h.QueuePrio(backup: true);
        Assert.True(h.HasPendingSignals);
        var sent = Written(h, 101, 901, Ack);
        Assert.Contains(sent, o => MptcpOptionHeader.SubtypeOf(o) == MptcpSubtype.MpPrio);
        Assert.False(h.HasPendingSignals);
        Assert.DoesNotContain(Written(h, 101, 901, Ack), o => MptcpOptionHeader.SubtypeOf(o) == MptcpSubtype.MpPrio);
    }

    /// <summary>
    /// allow-join-initial-addr-port off: the server's SYN/ACK carries the C bit (RFC 8684 3.1); a client that gets it knows
    /// not to join the server's initial address (Linux: remote_deny_join_id0). Without it, neither.
    /// </summary>
    [Fact]
    public void The_c_bit_is_sent_when_joins_to_the_initial_address_are_denied_and_read_by_the_peer()
    {
        var server = MptcpSubflowHook.Initial(client: false, ServerKey, denyJoinId0: true);
        Assert.True(server.AcceptSyn(Options(new MpCapableOption(1, MpCapableOption.FlagHmacSha256)), synAck: false));
        Assert.False(server.PeerDenyJoinId0);
        Assert.Equal(MptcpOptionError.None, MpCapableOption.Read(Written(server, 900, 101, Syn | Ack).Single(), out var synAck));
        Assert.Equal(MpCapableOption.FlagNoSourceAddress, synAck.Flags & MpCapableOption.FlagNoSourceAddress);

        var client = MptcpSubflowHook.Initial(client: true, ClientKey);
        Assert.Equal(0, MpCapableOption.Read(Written(client, 100, 0, Syn).Single(), out var syn) == MptcpOptionError.None ? syn.Flags & MpCapableOption.FlagNoSourceAddress : -1);
        Assert.True(client.AcceptSyn(Options(synAck), synAck: true));
        Assert.True(client.PeerDenyJoinId0);
        Assert.False(Client().PeerDenyJoinId0);
    }
}
