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

    private static List<byte[]> Written(MptcpSubflowHook hook, uint seq, uint ack, TcpFlags flags, byte[]? payload = null, bool retransmission = false,
        int segmentSize = 0)
    {
        var b = new byte[40];
        var info = new OutgoingSegmentInfo(seq, ack, flags, payload?.Length ?? 0, retransmission, segmentSize);
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
    public void A_lost_third_ack_before_a_download_is_repeated_and_the_server_becomes_established_on_the_next_ack()
    {
        var server = MptcpSubflowHook.Initial(client: false, ServerKey);
        Assert.True(server.AcceptSyn(Options(new MpCapableOption(1, 1)), synAck: false));
        server.OnOptions(Options(new MpCapableOption(1, 1)), new IncomingSegmentInfo(100, 0, Syn, 0, TcpState.Listen));
        Assert.Equal(ServerKey, MpCapableOption.Read(Written(server, 900, 101, Syn | Ack).Single(), out var synAck) == MptcpOptionError.None
            ? synAck.SenderKey : null);
        var client = Client();
        Written(client, 101, 901, Ack); // the third ACK, lost; the client, downloading, has no data to carry the keys
        // The server's SYN/ACK sent again is answered by a pure ACK at the same sequence: it carries the keys again.
        var again = Written(client, 101, 901, Ack);
        Assert.False(server.OnOptions(Options(again), new IncomingSegmentInfo(101, 901, Ack, 0, TcpState.SynReceived)));
        Assert.Equal((MptcpNegotiation.Mptcp, true, ClientKey), (server.State, server.FullyEstablished, server.RemoteKey!.Value));
        Assert.False(client.FullyEstablished);
        // The server's first DSS says the keys arrived: from there the client's ACKs carry DSS.
        client.OnOptions(Options(DssOption.Create(dataAck: MptcpCrypto.Idsn(ClientKey) + 1)), new IncomingSegmentInfo(901, 101, Ack, 0, TcpState.Established, 65535));
        Assert.True(client.FullyEstablished);
        Assert.Equal(MptcpSubtype.Dss, MptcpOptionHeader.SubtypeOf(Written(client, 101, 901, Ack).Single()));
    }

    [Fact]
    public void A_signal_before_the_server_showed_it_has_the_keys_takes_its_pure_ack_and_mp_capable_the_next()
    {
        var h = Client();
        Written(h, 101, 901, Ack); // the third ACK
        h.QueueRemoveAddr([2]);
        var withSignal = Written(h, 101, 901, Ack);
        Assert.Contains(withSignal, o => MptcpOptionHeader.SubtypeOf(o) == MptcpSubtype.RemoveAddr);
        Assert.DoesNotContain(withSignal, o => MptcpOptionHeader.SubtypeOf(o) == MptcpSubtype.MpCapable);
        Assert.Equal(MptcpSubtype.MpCapable, MptcpOptionHeader.SubtypeOf(Written(h, 101, 901, Ack).Single()));
        // Not on a FIN, nor once the peer's FIN came (Linux sends it in TCP_ESTABLISHED only).
        Assert.Equal(MptcpSubtype.Dss, MptcpOptionHeader.SubtypeOf(Written(h, 101, 901, Ack | Fin).Single()));
        h.OnOptions([], new IncomingSegmentInfo(901, 101, Ack | Fin, 0, TcpState.Established, 65535));
        Assert.Equal(MptcpSubtype.Dss, MptcpOptionHeader.SubtypeOf(Written(h, 101, 902, Ack).Single()));
    }

    [Fact]
    public void The_first_data_sent_again_after_the_servers_data_ack_carries_mp_capable_as_it_was_cut_for()
    {
        var h = Client();
        Written(h, 101, 901, Ack); // the third ACK
        var room = 1460 - h.OptionSpace(new OutgoingSegmentInfo(101, 901, Ack, 1420, false));
        MpCapableOption.Read(Written(h, 101, 901, Ack, new byte[room]).Single(), out var first);
        Assert.Equal((ushort)room, first.DataLevelLength);
        // Lost. The server's DATA_ACKs come (of nothing: the keys arrived, not this data), as duplicate ACKs do.
        h.SendMappings.Append(101, MptcpCrypto.Idsn(ClientKey) + 1, 64 * 1024);
        h.OnOptions(Options(DssOption.Create(dataAck: MptcpCrypto.Idsn(ClientKey) + 1)), new IncomingSegmentInfo(901, 101, Ack, 0, TcpState.Established, 65535));
        // Sent again it needs no more room than the first time (a DSS mapping would need 4 bytes more: too long for the link).
        Assert.Equal(1460 - room, h.OptionSpace(new OutgoingSegmentInfo(101, 901, Ack, room, true)));
        MpCapableOption.Read(Written(h, 101, 901, Ack, new byte[room], retransmission: true).Single(), out var again);
        Assert.Equal((first.SenderKey, first.ReceiverKey, first.DataLevelLength), (again.SenderKey, again.ReceiverKey, again.DataLevelLength));
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

    /// <summary>
    /// A super-segment (GSO) carries one mapping for all its pieces, checksum over all of it; a piece sent again carries
    /// that same mapping, as Linux's TSO does (a Linux receiver part-way through a mapping takes no other).
    /// </summary>
    [Fact]
    public void A_super_segment_carries_one_mapping_and_its_resent_pieces_repeat_it()
    {
        var h = MptcpSubflowHook.Initial(client: true, ClientKey, requestChecksum: true);
        Written(h, 100, 0, Syn);
        h.AcceptSyn(Options(new MpCapableOption(1, MpCapableOption.FlagChecksumRequired | 1, ServerKey)), synAck: true);
        h.OnOptions([], new IncomingSegmentInfo(900, 101, Syn | Ack, 0, TcpState.SynSent));
        Written(h, 101, 901, Ack);
        Assert.False(h.AllowsSegmentation(101)); // the first data carries MP_CAPABLE: one segment
        Written(h, 101, 901, Ack, new byte[100]);
        var idsn = MptcpCrypto.Idsn(ClientKey);
        h.SendMappings.Append(1, idsn + 1, 100_000);
        h.OnOptions(Options(DssOption.Create(dataAck: idsn + 101)), new IncomingSegmentInfo(901, 201, Ack, 0, TcpState.Established, 65535));
        Assert.True(h.AllowsSegmentation(201));

        var payload = Enumerable.Range(0, 4000).Select(i => (byte)i).ToArray();
        DssOption.Read(Written(h, 201, 901, Ack, payload, segmentSize: 1000).Single(), out var whole);
        Assert.Equal((idsn + 101, 101u, (ushort)4000), (whole.DataSequenceNumber, whole.SubflowSequenceNumber, whole.DataLevelLength));
        Assert.Equal(0, MptcpCrypto.DssChecksum(idsn + 101, 101, 4000, whole.Checksum!.Value, payload));

        DssOption.Read(Written(h, 1201, 901, Ack, payload[1000..2000], retransmission: true).Single(), out var resent);
        Assert.Equal(whole, resent);
        // A piece of data that went out alone is resent with its own mapping.
        Written(h, 4201, 901, Ack, new byte[1000]);
        DssOption.Read(Written(h, 4201, 901, Ack, new byte[1000], retransmission: true).Single(), out var alone);
        Assert.Equal((idsn + 4101, 4101u, (ushort)1000), (alone.DataSequenceNumber, alone.SubflowSequenceNumber, alone.DataLevelLength));
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

    /// <summary>A client hook with DSS checksums on (we asked), the third ACK sent, the server's first DATA_ACK received.</summary>
    private static MptcpSubflowHook ChecksummedClient(bool lone = true)
    {
        var h = MptcpSubflowHook.Initial(client: true, ClientKey, requestChecksum: true);
        Written(h, 100, 0, Syn);
        h.AcceptSyn(Options(new MpCapableOption(1, MpCapableOption.FlagChecksumRequired | 1, ServerKey)), synAck: true);
        h.OnOptions([], new IncomingSegmentInfo(900, 101, Syn | Ack, 0, TcpState.SynSent));
        Written(h, 101, 901, Ack);
        h.OnOptions(Options(DssOption.Create(dataAck: MptcpCrypto.Idsn(ClientKey) + 1)), new IncomingSegmentInfo(901, 101, Ack, 0, TcpState.Established, 65535));
        h.InfiniteFallbackAllowed = lone;
        return h;
    }

    /// <summary>The server's data at its relative sequence <paramref name="seq"/>, mapped with a checksum over <paramref name="sent"/>.</summary>
    private static (DataMapping Mapping, byte[] Options) PeerMapping(uint seq, byte[] sent)
    {
        var dsn = MptcpCrypto.Idsn(ServerKey) + seq;
        var sum = MptcpCrypto.DssChecksum(dsn, seq, (ushort)sent.Length, 0, sent);
        return (new DataMapping(seq, dsn, sent.Length, sum), Options(DssOption.Create(MptcpCrypto.Idsn(ClientKey) + 1, dsn, seq, (ushort)sent.Length, sum)));
    }

    [Fact]
    public void A_checksum_failure_on_a_lone_subflow_keeps_the_data_sends_mp_fail_on_an_ack_and_falls_back_on_the_infinite_mapping()
    {
        var h = ChecksummedClient();
        var sent = new byte[] { 1, 2, 3, 4, 5 };
        var (mapping, options) = PeerMapping(1, sent);
        h.OnOptions(options, new IncomingSegmentInfo(901, 101, Ack, 5, TcpState.Established));
        Assert.Equal(ChecksumVerdict.Valid, h.VerifyChecksum(mapping, sent, 0));
        var (bad, badOptions) = PeerMapping(6, sent);
        h.OnOptions(badOptions, new IncomingSegmentInfo(906, 101, Ack, 5, TcpState.Established));
        var damaged = new byte[] { 1, 2, 0x33, 4, 5 };

        Assert.Equal(ChecksumVerdict.FailSignalled, h.VerifyChecksum(bad, damaged, 1_000));
        Assert.Equal(1_000 + MptcpSubflowHook.FailResponseTimeoutNs, h.FailResponseDeadlineNs);
        Assert.Contains(h.Signals, s => s is FailSent f && f.Dsn == bad.Dsn);
        Assert.Null(h.FailDsn); // no reset: the subflow stays
        Assert.True(h.PureAckOwed);
        // A data segment has no room for it: MP_FAIL rides the pure ACK, with the DATA_ACK, once.
        h.SendMappings.Append(1, MptcpCrypto.Idsn(ClientKey) + 1, 100);
        Assert.Equal(MptcpSubtype.Dss, MptcpOptionHeader.SubtypeOf(Written(h, 101, 911, Ack, new byte[100]).Single()));
        var ack = Written(h, 201, 911, Ack);
        Assert.Equal(2, ack.Count);
        Assert.Equal(MptcpOptionError.None, MpFailOption.Read(ack[1], out var fail));
        Assert.Equal(bad.Dsn, fail.DataSequenceNumber);
        Assert.False(h.PureAckOwed);
        Assert.Equal(1, h.FailsSent);
        Assert.Single(Written(h, 201, 911, Ack)); // DSS alone again

        // The peer answers with MP_FAIL (the wait is over), then its data carries the infinite mapping: plain TCP from here.
        h.OnOptions(Options([Options(DssOption.Create(MptcpCrypto.Idsn(ClientKey) + 101))[..12], Options(new MpFailOption(MptcpCrypto.Idsn(ClientKey) + 1))]),
            new IncomingSegmentInfo(911, 201, Ack, 0, TcpState.Established, 65535));
        Assert.Equal(long.MaxValue, h.FailResponseDeadlineNs);
        Assert.Equal(MptcpNegotiation.Mptcp, h.State);
        h.OnOptions(Options(DssOption.Create(MptcpCrypto.Idsn(ClientKey) + 101, MptcpCrypto.Idsn(ServerKey) + 11, 11, 0, 0)),
            new IncomingSegmentInfo(911, 201, Ack, 100, TcpState.Established, 65535));
        Assert.Equal(MptcpNegotiation.Fallback, h.State);
        Assert.Equal(1, h.InfiniteMappingsReceived);
        Assert.Contains(h.Signals, s => s is FellBackToTcp);
        Assert.True(h.TryMapReceived(11, out var dsn, out _));
        Assert.Equal(MptcpCrypto.Idsn(ServerKey) + 11, dsn);
        Assert.Empty(Written(h, 201, 1011, Ack, new byte[50]));
        Assert.Empty(Written(h, 251, 1011, Ack));
        // DATA_ACK now follows TCP's acknowledgement.
        h.OnOptions([], new IncomingSegmentInfo(1011, 251, Ack, 0, TcpState.Established, 1000));
        Assert.Equal(MptcpCrypto.Idsn(ClientKey) + 151, h.TakePeerDataAck());
    }

    [Fact]
    public void A_checksum_failure_where_other_paths_exist_resets_the_subflow_with_mp_fail_on_the_rst()
    {
        var h = ChecksummedClient(lone: false);
        var (bad, options) = PeerMapping(1, [1, 2, 3]);
        h.OnOptions(options, new IncomingSegmentInfo(901, 101, Ack, 3, TcpState.Established));
        Assert.Equal(ChecksumVerdict.Reset, h.VerifyChecksum(bad, [9, 2, 3], 0));
        Assert.False(h.PureAckOwed);
        var rst = Written(h, 101, 904, Rst);
        Assert.Equal(MptcpOptionError.None, MpFailOption.Read(rst[0], out var fail));
        Assert.Equal(bad.Dsn, fail.DataSequenceNumber);
        Assert.Equal(MptcpOptionError.None, MpTcpRstOption.Read(rst[1], out var reason));
        Assert.Equal(MpTcpRstReason.MiddleboxInterference, reason.Reason);
    }

    [Fact]
    public void An_unanswered_mp_fail_resets_the_subflow_after_linux_s_timeout()
    {
        var h = ChecksummedClient();
        var (bad, options) = PeerMapping(1, [1, 2, 3]);
        h.OnOptions(options, new IncomingSegmentInfo(901, 101, Ack, 3, TcpState.Established));
        Assert.Equal(ChecksumVerdict.FailSignalled, h.VerifyChecksum(bad, [9, 2, 3], 5));
        Assert.False(h.FailResponseOverdue(4 + MptcpSubflowHook.FailResponseTimeoutNs));
        Assert.True(h.FailResponseOverdue(5 + MptcpSubflowHook.FailResponseTimeoutNs));
        Assert.Equal(MpTcpRstReason.MiddleboxInterference, h.ResetReason);
    }

    [Fact]
    public void Mp_fail_from_the_peer_is_answered_with_mp_fail_then_an_infinite_mapping_on_the_next_data()
    {
        var h = ChecksummedClient();
        var idsn = MptcpCrypto.Idsn(ClientKey);
        h.SendMappings.Append(1, idsn + 1, 3000);
        Assert.Equal(MptcpSubtype.Dss, MptcpOptionHeader.SubtypeOf(Written(h, 101, 901, Ack, new byte[1400]).Single()));
        var ackNow = h.OnOptions(Options([Options(DssOption.Create(idsn + 1401))[..12], Options(new MpFailOption(idsn + 1))]),
            new IncomingSegmentInfo(901, 1501, Ack, 0, TcpState.Established, 65535));
        Assert.True(ackNow);
        Assert.Equal(1, h.FailsReceived);
        Assert.True(h.PureAckOwed);
        // Data before our answer keeps its DSS mapping; the answer goes on a pure ACK; the next data says "infinite".
        DssOption.Read(Written(h, 1501, 901, Ack, new byte[100]).Single(), out var mapped);
        Assert.Equal((ushort)100, mapped.DataLevelLength);
        Assert.Equal(MptcpOptionError.None, MpFailOption.Read(Written(h, 1601, 901, Ack)[1], out _));
        var segment = Written(h, 1601, 901, Ack, new byte[100]);
        Assert.Equal(MptcpOptionError.None, DssOption.Read(segment.Single(), out var infinite));
        Assert.True(infinite.IsInfiniteMapping);
        Assert.Equal((idsn + 1501, 1501u, (ushort?)0), (infinite.DataSequenceNumber, infinite.SubflowSequenceNumber, infinite.Checksum));
        Assert.Equal(MptcpNegotiation.Fallback, h.State);
        Assert.Contains(h.Signals, s => s is FellBackToTcp);
        // Its retransmission repeats it (the segment is the same); nothing else carries an MPTCP option any more.
        DssOption.Read(Written(h, 1601, 901, Ack, new byte[100], retransmission: true).Single(), out var again);
        Assert.True(again.IsInfiniteMapping);
        Assert.Equal(1, h.InfiniteMappingsSent);
        Assert.Empty(Written(h, 1701, 901, Ack, new byte[100]));
    }

    [Fact]
    public void Mp_fail_and_an_infinite_mapping_where_fallback_is_not_allowed_are_not_followed()
    {
        var h = ChecksummedClient(lone: false);
        var ackNow = h.OnOptions(Options(new MpFailOption(7)), new IncomingSegmentInfo(901, 101, Ack, 0, TcpState.Established, 65535));
        Assert.False(ackNow);
        Assert.False(h.PureAckOwed);
        Assert.Contains(h.Signals, s => s is FailReceived { Dsn: 7 });
        h.OnOptions(Options(DssOption.Create(1, MptcpCrypto.Idsn(ServerKey) + 1, 1, 0, 0)), new IncomingSegmentInfo(901, 101, Ack, 10, TcpState.Established));
        Assert.Equal(MptcpNegotiation.Mptcp, h.State);
        Assert.True(h.ResetRequested);
        Assert.Equal(MpTcpRstReason.MptcpSpecific, h.ResetReason);
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
