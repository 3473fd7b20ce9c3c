using System.Net;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Metrics;
using MptcpActors.Actors.Tests.Embedding;
using MptcpActors.Transport.Crypto;
using MptcpActors.Transport.Wire.Mptcp;
using Xunit.Sdk;
using static MptcpActors.Actors.Tests.Connection.MptcpBytes;
using static MptcpActors.Transport.Wire.Tcp.TcpFlags;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Actors.Tests.Connection;

/// <summary>
/// An engine node facing a hand-written MPTCP peer that sends what no honest peer would: joins with unknown tokens,
/// wrong HMACs or beyond the limits, forged ADD_ADDR and MP_FASTCLOSE, contradicting DSS mappings, DATA_ACKs for data
/// never sent, a window that never opens, malformed options. Each gets RFC 8684's answer, and nothing else is
/// harmed: the honest transfer the node carries at the same time ends byte-exact, no actor fails (no ERROR log), and
/// the node still opens new connections.
/// </summary>
public class MptcpBadInputTests(Xunit.Abstractions.ITestOutputHelper output) : TestKit("akka.loglevel = INFO", output)
{
    private static readonly TimeSpan Wait = RawMptcpPeer.Wait;
    private static readonly IpAddressBytes PeerIp = BadInputNetwork.PeerIp;
    private static readonly IpAddressBytes EngineIp = BadInputNetwork.EngineRawIp;
    /// <summary>Where the engine listens for the raw peer's connections (the application is a test probe).</summary>
    private const ushort AppPort = 9090;
    private const ulong PeerKey = 0x0123_4567_89AB_CDEF;
    /// <summary>Room for a join or two; one ADD_ADDR followed, so a forged announcement taken would leave none for a real one.</summary>
    private const string EngineConfig = "mptcp.path-manager.limits { subflows = 2, add-addr-accepted = 1 }";

    private sealed record Scene(BadInputNetwork Net, BackgroundTransfer Transfer, TestProbe App, TestProbe Errors)
    {
        public RawMptcpPeer Peer => Net.Peer;
    }

    /// <summary>A connection the raw peer opened to the engine's <see cref="AppPort"/>: its initial subflow, the engine's key and ConnectionActor.</summary>
    private sealed record RawConnection(RawSubflow Initial, ulong EngineKey, IActorRef Connection)
    {
        /// <summary>DSN of the raw peer's first byte.</summary>
        public ulong PeerData => MptcpCrypto.Idsn(PeerKey) + 1;
        /// <summary>DSN of the engine's first byte.</summary>
        public ulong EngineData => MptcpCrypto.Idsn(EngineKey) + 1;
    }

    private Scene Start(string engineConfig = EngineConfig, string partnerConfig = "", MptcpMetrics? engineMetrics = null)
    {
        var errors = CreateTestProbe();
        Sys.EventStream.Subscribe(errors.Ref, typeof(Akka.Event.Error));
        var net = new BadInputNetwork(Sys, engineConfig, partnerConfig, CreateTestProbe(), engineMetrics);
        var app = CreateTestProbe();
        net.Engine.Tell(new TcpMsg.Bind(app.Ref, new IPEndPoint(IPAddress.Any, AppPort)), app.Ref);
        app.ExpectMsg<TcpMsg.Bound>(Wait);
        return new Scene(net, new BackgroundTransfer(this, net), app, errors);
    }

    /// <summary>The honest transfer ends intact, no actor logged an error, and the engine still answers a new MP_CAPABLE SYN.</summary>
    private static void AssertNothingElseHarmed(Scene s)
    {
        s.Transfer.FinishAndAssertIntact();
        var fresh = s.Peer.Subflow(PeerIp, 45999, EngineIp, AppPort, 77_000);
        fresh.Send(Syn, SynOptions(Of(new MpCapableOption(1, HmacSha256))));
        var synAck = fresh.Next(_ => true, "answer to a new MP_CAPABLE SYN");
        Assert.True(synAck.Has(Syn | Ack) && synAck.Capable is { SenderKey: not null }, $"a new connection is still accepted, got {synAck}");
        fresh.RcvNxt = synAck.Seq + 1;
        fresh.Send(Rst);
        if (s.Errors.HasMessages) Assert.Fail($"the engine logged an error: {s.Errors.ReceiveOne(TimeSpan.Zero)}");
    }

    /// <summary>The raw peer's MP_CAPABLE handshake to <see cref="AppPort"/>; the application (the scene's probe) registers for it.</summary>
    private static RawConnection ConnectRaw(Scene s, ushort localPort, ushort window = 65535)
    {
        var sf = s.Peer.Subflow(PeerIp, localPort, EngineIp, AppPort, 1_000_000);
        sf.Send(Syn, SynOptions(Of(new MpCapableOption(1, HmacSha256))));
        var synAck = sf.Next(x => x.Has(Syn | Ack), "SYN/ACK");
        var capable = synAck.Capable ?? throw new XunitException($"SYN/ACK without MP_CAPABLE: {synAck}");
        // Without DSS checksums (neither side asks, Linux's default) the forged mappings below need none.
        Assert.False(capable.ChecksumRequired);
        var engineKey = capable.SenderKey ?? throw new XunitException($"MP_CAPABLE without the engine's key: {synAck}");
        sf.RcvNxt = synAck.Seq + 1;
        sf.Window = window;
        sf.Send(Ack, Options(Of(new MpCapableOption(1, HmacSha256, PeerKey, engineKey))));
        s.App.ExpectMsg<TcpMsg.Connected>(Wait);
        var connection = s.App.LastSender;
        connection.Tell(new TcpMsg.Register(s.App.Ref));
        return new RawConnection(sf, engineKey, connection);
    }

    /// <summary>A second subflow of <paramref name="c"/>, joined with both HMACs right (RFC 8684 3.2).</summary>
    private static RawSubflow JoinRaw(Scene s, RawConnection c, ushort localPort)
    {
        const uint nonce = 0x5EED_0001;
        var sf = s.Peer.Subflow(PeerIp, localPort, EngineIp, AppPort, 8_000_000);
        sf.Send(Syn, SynOptions(Of(MpJoinOption.Syn(false, 1, MptcpCrypto.Token(c.EngineKey), nonce))));
        var synAck = sf.Next(_ => true, "answer to the MP_JOIN SYN");
        var join = synAck.Join ?? throw new XunitException($"expected a SYN/ACK with MP_JOIN, got {synAck}");
        Assert.Equal(MptcpCrypto.JoinTruncatedHmac(c.EngineKey, PeerKey, join.Nonce, nonce), join.TruncatedHmac);
        sf.RcvNxt = synAck.Seq + 1;
        var hmac = new byte[32];
        MptcpCrypto.JoinHmac(PeerKey, c.EngineKey, nonce, join.Nonce, hmac);
        sf.Send(Ack, Options(Of(MpJoinOption.Ack(hmac))));
        sf.Next(x => !x.Has(Syn) && !x.Has(Rst), "fourth ACK of the join");
        return sf;
    }

    private static int Connections(Scene s) => s.Net.Engine.Ask<int>(MptcpManager.CountConnections.Instance, Wait).Result;

    private static ConnectionInfo Info(IActorRef connection) => connection.Ask<ConnectionInfo>(GetConnectionInfo.Instance, Wait).Result;

    /// <summary>Reads <paramref name="expected"/> from the engine in order, each segment mapped from <paramref name="dsn"/> on; ACKs each with <paramref name="dataAck"/>.</summary>
    private static void ReadEngineData(RawSubflow sf, ulong dsn, byte[] expected, ulong dataAck)
    {
        var got = 0;
        while (got < expected.Length)
        {
            // Retransmissions of what was read already are skipped: only the next byte in order is taken.
            var seg = sf.Next(x => x.Payload.Length > 0 && x.Seq == sf.RcvNxt, "data from the engine");
            var map = seg.Dss ?? throw new XunitException($"data without DSS: {seg}");
            Assert.Equal(dsn + (ulong)got, map.DataSequenceNumber);
            Assert.Equal(expected[got..(got + seg.Payload.Length)], seg.Payload);
            got += seg.Payload.Length;
            sf.RcvNxt += (uint)seg.Payload.Length;
            sf.Send(Ack, Options(Dss(dataAck)));
        }
    }

    /// <summary>What the application gets, in Received messages only, until <paramref name="count"/> bytes (any other event first fails).</summary>
    private static byte[] ReadApp(TestProbe app, int count)
    {
        var b = new MemoryStream();
        while (b.Length < count) b.Write(app.ExpectMsg<TcpMsg.Received>(Wait).Data.ToArray());
        return b.ToArray();
    }

    /// <summary>What the application gets until its connection closes.</summary>
    private static byte[] ReadAppUntilClosed(TestProbe app)
    {
        var b = new MemoryStream();
        while (true)
        {
            switch (app.ReceiveOne(Wait))
            {
                case TcpMsg.Received r:
                    b.Write(r.Data.ToArray());
                    break;
                case TcpMsg.ConnectionClosed:
                    return b.ToArray();
                case null:
                    throw new XunitException("the application heard nothing more, nor that its connection closed");
            }
        }
    }

    [Fact]
    public void An_mp_join_syn_with_an_unknown_token_is_answered_with_rst()
    {
        var s = Start();
        // The background connection is the node's only one: any other token is unknown.
        var token = s.Transfer.Info().LocalToken ^ 0x8000_0001;
        var connections = Connections(s);
        var join = s.Peer.Subflow(PeerIp, 41001, EngineIp, BackgroundTransfer.Port, 5_000);

        join.Send(Syn, SynOptions(Of(MpJoinOption.Syn(false, 1, token, 0x1234_5678))));

        var answer = join.Next(_ => true, "answer to the MP_JOIN SYN");
        Assert.True(answer.Has(Rst | Ack) && !answer.Has(Syn), $"an unknown token is refused with RST, never a SYN/ACK (RFC 8684 3.2), got {answer}");
        Assert.Equal(join.SndNxt, answer.Ack); // the RST acknowledges the SYN, as for any SYN no socket takes (RFC 9293 3.10.7.1)
        Assert.Equal(connections, Connections(s));
        AssertNothingElseHarmed(s);
    }

    [Fact]
    public void A_join_whose_third_ack_has_a_wrong_hmac_is_reset_and_the_connection_carries_on()
    {
        var s = Start();
        var join = s.Peer.Subflow(PeerIp, 41002, EngineIp, BackgroundTransfer.Port, 6_000);
        join.Send(Syn, SynOptions(Of(MpJoinOption.Syn(false, 1, s.Transfer.Info().LocalToken, 0x1111_2222))));
        var synAck = join.Next(_ => true, "answer to the MP_JOIN SYN");
        Assert.True(synAck.Has(Syn | Ack) && synAck.Join is { Stage: MpJoinStage.SynAck }, $"the right token gets a SYN/ACK with MP_JOIN, got {synAck}");
        join.RcvNxt = synAck.Seq + 1;

        // Only holders of both keys can compute the third ACK's HMAC; these 160 bits are not it.
        join.Send(Ack, Options(Of(MpJoinOption.Ack(Enumerable.Repeat((byte)0xA5, 20).ToArray()))));

        var reset = join.Next(x => x.Has(Rst) || x.Payload.Length > 0, "reset of the join");
        Assert.True(reset.Has(Rst), $"an unauthenticated subflow carries no data, got {reset}");
        Assert.Equal(join.RcvNxt, reset.Seq);
        // Linux answers a bad third-ACK HMAC with MP_TCPRST "administratively prohibited" (MPTCP_MIB_JOINACKMAC).
        Assert.Equal(MpTcpRstReason.AdministrativelyProhibited, reset.TcpRst?.Reason);
        Assert.Single(s.Transfer.Info().Subflows);
        AssertNothingElseHarmed(s);
    }

    [Fact]
    public void A_join_beyond_the_subflow_limit_is_refused_and_the_connection_carries_on()
    {
        const string partnerJoins = """
            mptcp.path-manager {
              limits { subflows = 1 }
              endpoints = [ { address = 10.7.1.1, flags = [subflow] } ]
            }
            """;
        var s = Start("mptcp.path-manager.limits.subflows = 1", partnerJoins);
        // The partner's join takes the one additional subflow the engine allows.
        AwaitCondition(() => s.Transfer.Info().Subflows.Count == 2, Wait);
        var join = s.Peer.Subflow(PeerIp, 41003, EngineIp, BackgroundTransfer.Port, 7_000);

        join.Send(Syn, SynOptions(Of(MpJoinOption.Syn(false, 1, s.Transfer.Info().LocalToken, 0x3333_4444))));

        var answer = join.Next(_ => true, "answer to the MP_JOIN SYN");
        Assert.True(answer.Has(Rst) && !answer.Has(Syn), $"a join beyond limits.subflows is refused with RST, got {answer}");
        Assert.Equal(2, s.Transfer.Info().Subflows.Count);
        AssertNothingElseHarmed(s);
    }

    [Fact]
    public void An_add_addr_with_a_wrong_hmac_is_ignored_and_floods_and_unknown_removals_are_counted_not_followed()
    {
        const ushort serverPort = 7000;
        using var metrics = new MptcpMetrics();
        using var readings = new MetricReadings(metrics);
        var s = Start(engineMetrics: metrics);
        var app = CreateTestProbe();
        s.Net.Engine.Tell(new TcpMsg.Connect(new IPEndPoint(PeerIp.ToIPAddress(), serverPort)), app.Ref);
        var syn = s.Peer.Next(x => x.DestinationPort == serverPort && x.Has(Syn), "the engine's SYN");
        Assert.Equal((byte)1, syn.Capable?.Version);
        var sf = s.Peer.Subflow(PeerIp, serverPort, EngineIp, syn.SourcePort, 9_000);
        sf.RcvNxt = syn.Seq + 1;
        sf.Send(Syn | Ack, SynOptions(Of(new MpCapableOption(1, HmacSha256, PeerKey))));
        var third = sf.Next(x => !x.Has(Syn), "the engine's third ACK");
        Assert.Equal(PeerKey, third.Capable?.ReceiverKey);
        var engineKey = third.Capable?.SenderKey ?? throw new XunitException($"third ACK without the engine's key: {third}");
        app.ExpectMsg<TcpMsg.Connected>(Wait);
        var connection = app.LastSender;
        connection.Tell(new TcpMsg.Register(app.Ref));
        // Our first DSS completes the handshake at the client (RFC 8684 3.1); only then does its path manager act.
        var dataAck = MptcpCrypto.Idsn(engineKey) + 1;
        sf.Send(Ack, Options(Dss(dataAck)));
        var forged = IPAddress.Parse("10.9.0.77");
        var real = IPAddress.Parse("10.9.0.88");

        // With add-addr-accepted = 1, had the forged announcement been taken, the real one would get no join.
        sf.Send(Ack, Options(Of(new AddAddrOption(0, 5, IpAddressBytes.From(forged), null,
            MptcpCrypto.AddAddrHmac(PeerKey, engineKey, 5, forged.GetAddressBytes(), 0) ^ 1)), Dss(dataAck)));
        sf.Send(Ack, Options(Of(new AddAddrOption(0, 6, IpAddressBytes.From(real), null,
            MptcpCrypto.AddAddrHmac(PeerKey, engineKey, 6, real.GetAddressBytes(), 0))), Dss(dataAck)));

        // Echoes leave in the order the announcements came: the first one must be the real one's.
        var echo = sf.Next(x => x.AddAddr is not null, "ADD_ADDR echo").AddAddr!.Value;
        Assert.True(echo.Echo);
        Assert.Equal((byte)6, echo.AddressId);
        var joinSyn = s.Peer.Next(x => x.Has(Syn) && x.Join is not null, "join toward the announced address");
        Assert.Equal(IpAddressBytes.From(real), joinSyn.Destination);
        Assert.Equal(MptcpCrypto.Token(PeerKey), joinSyn.Join!.Value.Token);
        Assert.DoesNotContain(s.Peer.Seen, x => x.Destination == IpAddressBytes.From(forged));
        var refused = s.Peer.Subflow(IpAddressBytes.From(real), serverPort, EngineIp, joinSyn.SourcePort, 0);
        refused.RcvNxt = joinSyn.Seq + 1;
        refused.Send(Rst | Ack);
        // A flood of valid announcements beyond add-addr-accepted, and a REMOVE_ADDR of an id never announced: echoed and
        // counted, never followed (Linux: AddAddrDrop, RmAddrDrop).
        for (byte id = 20; id < 30; id++)
        {
            var flood = new IPAddress([10, 9, 1, id]);
            sf.Send(Ack, Options(Of(new AddAddrOption(0, id, IpAddressBytes.From(flood), null,
                MptcpCrypto.AddAddrHmac(PeerKey, engineKey, id, flood.GetAddressBytes(), 0))), Dss(dataAck)));
        }
        sf.Send(Ack, Options(Of(new RemoveAddrOption([42])), Dss(dataAck)));
        // The connection still carries data.
        var payload = TransferHandler.RandomBytes(300, 11);
        sf.Send(Ack | Psh, Options(Dss(dataAck, MptcpCrypto.Idsn(PeerKey) + 1, 1, 300)), payload);
        Assert.Equal(payload, ReadApp(app, payload.Length));
        connection.Tell(GetConnectionInfo.Instance, app.Ref);
        var counters = app.ExpectMsg<ConnectionInfo>(Wait).PathManager!;
        Assert.Equal(new PathManagerCounters(AddAddrResent: 0, AddAddrIgnored: 10, RemoveAddrUnknown: 1, InvalidSignals: 1), counters);
        // The same, through System.Diagnostics.Metrics under the kernel's names: 11 valid announcements, 10 dropped, all echoed.
        Assert.Equal(11, readings["AddAddr"]);
        Assert.Equal(10, readings["AddAddrDrop"]);
        Assert.Equal(11, readings["EchoAddTx"]);
        Assert.Equal(1, readings["RmAddr"]);
        Assert.Equal(1, readings["RmAddrDrop"]);
        Assert.Equal(1, readings.Totals.GetValueOrDefault("mptcp.add_addr.bad_hmac"));
        Assert.DoesNotContain(s.Peer.Seen, x => x.Has(Syn) && x.Join is not null && x.Destination != IpAddressBytes.From(real));
        AssertNothingElseHarmed(s);
    }

    /// <param name="contradictionStart">
    /// Where the contradicting mapping starts: inside the mapping it contradicts (1501), or before it (501), in bytes
    /// the subflow already passed on.
    /// </param>
    [Theory]
    [InlineData(1501u)]
    [InlineData(501u)]
    public void A_mapping_that_contradicts_an_earlier_one_never_puts_wrong_bytes_in_the_stream(uint contradictionStart)
    {
        var s = Start();
        var c = ConnectRaw(s, 42005);
        var sf = c.Initial;
        var data = TransferHandler.RandomBytes(8000, 31);
        var d = c.PeerData;
        void Segment(int from, int length, ulong dsn, uint subflowSeq, int mapped) =>
            sf.Send(Ack | Psh, Options(Dss(c.EngineData, dsn, subflowSeq, (ushort)mapped)), data[from..(from + length)]);

        // Subflow bytes 1..1000 at DSN 0; then one mapping of subflow 1001..3000 to DSN 1000..2999, half of it sent.
        Segment(0, 1000, d, 1, 1000);
        Segment(1000, 1000, d + 1000, 1001, 2000);
        // The contradiction: subflow 2001..3000 sent to DSN 6500..7499, inside data that follows, so bytes placed by
        // it would be delivered in place of the right ones.
        Segment(2000, 500, d + 5000, contradictionStart, 3001 - (int)contradictionStart);
        Segment(2500, 500, d + 1000, 1001, 2000);
        for (var at = 3000; at < 8000; at += 1000) Segment(at, 1000, d + 3000, 3001, 5000);
        // DSN 2000..2999 again, as a sender whose DATA_ACK stalls resends it (a duplicate at data level is legal).
        Segment(2000, 1000, d + 2000, 8001, 1000);

        var outcome = sf.Next(x => x.Has(Rst) || x.Dss is { HasDataAck: true } dss && dss.DataAck == d + 8000, "DATA_ACK of all 8000 bytes, or a reset");
        var delivered = outcome.Has(Rst) ? ReadAppUntilClosed(s.App) : ReadApp(s.App, 8000);
        var wrong = Enumerable.Range(0, delivered.Length).FirstOrDefault(i => delivered[i] != data[i], -1);
        Assert.True(wrong < 0, $"the application got a wrong byte at data offset {wrong} of {delivered.Length}");
        if (outcome.Has(Rst)) Assert.NotNull(outcome.TcpRst); // the subflow was reset, saying why (RFC 8684 3.6)
        else Assert.Equal(data.Length, delivered.Length);
        AssertNothingElseHarmed(s);
    }

    /// <param name="beyond">How far past the end of the data sent the forged DATA_ACK lies.</param>
    [Theory]
    [InlineData(5_000UL)]
    [InlineData(1UL << 40)]
    public void A_data_ack_for_data_never_sent_frees_nothing_and_the_transfer_goes_on(ulong beyond)
    {
        var s = Start();
        var c = ConnectRaw(s, 42006);
        var sf = c.Initial;
        var e = c.EngineData;
        var first = TransferHandler.RandomBytes(1000, 41);
        var second = TransferHandler.RandomBytes(10_000, 42);
        c.Connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(first)));
        ReadEngineData(sf, e, first, e + 1000);
        AwaitCondition(() => Info(c.Connection).BytesSent == 1000, Wait);

        // The forged DATA_ACK rides one byte of data: the engine's ACK of that byte shows the option was processed.
        sf.Send(Ack | Psh, Options(Dss(e + 1000 + beyond, c.PeerData, 1, 1)), [0x42]);
        sf.Next(x => x.Ack == sf.SndNxt, "ACK of the byte carrying the forged DATA_ACK");
        Assert.Equal(new byte[] { 0x42 }, ReadApp(s.App, 1));
        Assert.Equal(1000, Info(c.Connection).BytesSent);

        c.Connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(second)));
        ReadEngineData(sf, e + 1000, second, e + 1000);
        // All of it is on the wire, none of it acknowledged at data level: none of it may leave the send buffer.
        var freed = Info(c.Connection).BytesSent;
        Assert.True(freed == 1000, $"{freed} bytes freed from the send buffer, though the peer acknowledged 1000 at data level");
        sf.Send(Ack, Options(Dss(e + 11_000)));
        AwaitCondition(() => Info(c.Connection).BytesSent == 11_000, Wait, message: "the honest DATA_ACK after the forged one frees the data");
        AssertNothingElseHarmed(s);
    }

    [Fact]
    public void A_peer_that_never_opens_its_window_is_probed_and_an_abort_still_fastcloses()
    {
        var s = Start();
        var c = ConnectRaw(s, 42007, window: 0);
        var sf = c.Initial;
        c.Connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(TransferHandler.RandomBytes(100_000, 51))));

        // Each probe gets the answer of a receiver that has no room: the byte is not taken, the window stays shut.
        for (var i = 0; i < 3; i++)
        {
            var probe = sf.Next(x => x.Payload.Length > 0, "zero-window probe");
            Assert.True(probe.Payload.Length == 1 && probe.Seq == sf.RcvNxt, $"only a one-byte probe may enter a zero window (RFC 9293 3.8.6.1), got {probe}");
            sf.Send(Ack, Options(Dss(c.EngineData)));
        }
        var segments = sf.Seen.Count();
        Assert.True(segments <= 12, $"{segments} segments for three probes: the engine must back off, not spin");
        Assert.Single(Info(c.Connection).Subflows);

        c.Connection.Tell(TcpMsg.Abort.Instance);

        s.App.ExpectMsg<TcpMsg.Aborted>(Wait);
        var rst = sf.Next(x => x.Has(Rst), "RST after Abort");
        Assert.Equal(PeerKey, rst.FastClose?.ReceiverKey); // MP_FASTCLOSE with the receiver's key (RFC 8684 3.5)
        // A RST is taken only at exactly RCV.NXT when the window is zero (RFC 9293 3.10.7.4, RFC 5961 3.2): the probe's
        // byte was never accepted, so a RST after it is dropped and the peer never learns of the abort.
        Assert.True(rst.Seq == sf.RcvNxt, $"RST at sequence {rst.Seq}, {rst.Seq - sf.RcvNxt} past RCV.NXT {sf.RcvNxt} of a zero window");
        AssertNothingElseHarmed(s);
    }

    [Fact]
    public void An_mp_fastclose_with_the_wrong_key_is_ignored_and_with_the_right_key_resets_the_connection()
    {
        var s = Start();
        var c = ConnectRaw(s, 42008);
        var sf = c.Initial;
        s.App.Watch(c.Connection);
        sf.Send(Ack, Options(Of(new MpFastCloseOption(c.EngineKey ^ 0x8000_0000_0000_0001)), Dss(c.EngineData)));

        // Data sent after the forged close is delivered: the connection took no notice of it.
        var payload = TransferHandler.RandomBytes(100, 61);
        sf.Send(Ack | Psh, Options(Dss(c.EngineData, c.PeerData, 1, 100)), payload);
        Assert.Equal(payload, ReadApp(s.App, payload.Length));
        sf.Next(x => x.Dss is { HasDataAck: true } dss && dss.DataAck == c.PeerData + 100, "DATA_ACK of the data sent after the forged MP_FASTCLOSE");

        // RFC 8684 3.5 option A: MP_FASTCLOSE with the engine's key on an ACK.
        sf.Send(Ack, Options(Of(new MpFastCloseOption(c.EngineKey)), Dss(c.EngineData)));

        Assert.IsType<TcpMsg.ErrorClosed>(s.App.ExpectMsg<TcpMsg.ConnectionClosed>(Wait));
        var rst = sf.Next(x => x.Has(Rst), "RST answering MP_FASTCLOSE");
        Assert.Equal(sf.RcvNxt, rst.Seq);
        s.App.FishForMessage(m => m is Terminated t && t.ActorRef.Equals(c.Connection), Wait);
        AssertNothingElseHarmed(s);
    }

    [Fact]
    public void A_join_to_a_port_the_connection_never_announced_is_refused_and_counted_and_one_to_its_own_port_still_works()
    {
        using var metrics = new MptcpMetrics();
        using var readings = new MetricReadings(metrics);
        var s = Start(engineMetrics: metrics);
        var c = ConnectRaw(s, 42011);
        // The background transfer's port is bound, so the SYN reaches the connection: its port is neither the initial nor announced.
        var stray = s.Peer.Subflow(PeerIp, 42012, EngineIp, BackgroundTransfer.Port, 9_000);
        stray.Send(Syn, SynOptions(Of(MpJoinOption.Syn(false, 1, MptcpCrypto.Token(c.EngineKey), 0x5EED_0002))));

        var answer = stray.Next(_ => true, "answer to the MP_JOIN SYN on another port");
        Assert.True(answer.Has(Rst) && !answer.Has(Syn), $"a join on a port never announced is refused (Linux: MismatchPortSynRx), got {answer}");
        Assert.Equal(1, readings["MismatchPortSynRx"]);
        Assert.Equal(0, readings["MPJoinRejected"]);
        JoinRaw(s, c, 42013);
        AwaitCondition(() => Info(c.Connection).Subflows.Count == 2, Wait);
        Assert.Equal(2, readings["MPJoinSynRx"]);
        Assert.Equal(1, readings["MPJoinAckRx"]);
        AssertNothingElseHarmed(s);
    }

    [Fact]
    public void An_mp_fastclose_on_a_reset_closes_the_connection_and_resets_its_other_subflows()
    {
        var s = Start();
        var c = ConnectRaw(s, 42009);
        var second = JoinRaw(s, c, 42010);
        AwaitCondition(() => Info(c.Connection).Subflows.Count == 2, Wait);

        // RFC 8684 3.5 option R, as Linux sends it: a RST carrying MP_FASTCLOSE with the engine's key (and MP_TCPRST).
        c.Initial.Send(Rst, Options(Of(new MpFastCloseOption(c.EngineKey)), Of(new MpTcpRstOption(0, MpTcpRstReason.Unspecified))));

        var rst = second.Next(x => x.Has(Rst), "reset of the other subflow after MP_FASTCLOSE on a RST");
        Assert.Equal(second.RcvNxt, rst.Seq);
        Assert.IsType<TcpMsg.ErrorClosed>(s.App.ExpectMsg<TcpMsg.ConnectionClosed>(Wait));
        AssertNothingElseHarmed(s);
    }

    [Fact]
    public void Malformed_mptcp_options_on_an_established_subflow_are_treated_as_absent()
    {
        var s = Start();
        var c = ConnectRaw(s, 42011);
        var sf = c.Initial;
        var d = c.PeerData;
        var key = BitConverter.GetBytes(c.EngineKey).Reverse().ToArray();
        var data = TransferHandler.RandomBytes(5000, 71);
        byte[] unknownSubtype = [30, 4, 0xE0, 0];
        // Each set fills at most the 40 bytes of options a segment has.
        byte[][][] garbage =
        [
            [
                [30, 8, 0x20, 0x1F, 1, 2, 3, 4], // DSS: DATA_ACK, mapping and DATA_FIN announced, 4 bytes given
                [30, 12, 0x20, 0x01, 0, 0, 0, 0, 0, 0, 0, 0], // DSS: a 4-byte DATA_ACK in a 12-byte option
                unknownSubtype,
                [30, 6, 0xF0, 1, 2, 3], // MP_EXPERIMENTAL
            ],
            [
                [30, 9, 0x01, 0x01, .. key[..5]], // MP_CAPABLE of no defined length
                [30, 13, 0x10, 1, .. key, 0], // MP_JOIN of no defined length
                [30, 9, 0x30, 7, 10, 9, 0, 99, 0], // ADD_ADDR of no defined length
            ],
            [
                [30, 3, 0x40], // REMOVE_ADDR without an address id
                [30, 2], // too short for a subtype
                [30, 10, 0x60, 0, 0, 0, 0, 0, 0, 0], // MP_FAIL, 2 bytes short
                [30, 11, 0x70, 0, .. key[..7]], // MP_FASTCLOSE, 1 byte short of the engine's key
                [30, 5, 0x80, 0x01, 0], // MP_TCPRST, 1 byte too long
            ],
        ];
        byte[][] pureAckGarbage =
        [
            [30, 5, 0x20, 0x10, 0], // DSS announcing DATA_FIN, 1 byte too long
            [30, 40, 0x20, 0x01], // a length past the end of the header
        ];

        // One mapping covers the first 4000 bytes; the three segments after the first carry only garbage.
        sf.Send(Ack | Psh, Options(Dss(c.EngineData, d, 1, 4000)), data[..1000]);
        for (var i = 0; i < garbage.Length; i++) sf.Send(Ack | Psh, Options(garbage[i]), data[((i + 1) * 1000)..((i + 2) * 1000)]);
        foreach (var g in garbage) sf.Send(Ack, Options(g));
        sf.Send(Ack, Options(pureAckGarbage));
        // A malformed option in front of a valid DSS does not hide it.
        sf.Send(Ack | Psh, Options(unknownSubtype, Dss(c.EngineData, d + 4000, 4001, 1000)), data[4000..]);

        var acked = sf.Next(x => x.Has(Rst) || x.Dss is { HasDataAck: true } dss && (long)(dss.DataAck - (d + 5000)) >= 0, "DATA_ACK of all 5000 bytes");
        Assert.False(acked.Has(Rst), $"malformed options are ignored, not answered with a reset: {acked}");
        // Beyond 5000 would mean a malformed option was read as DATA_FIN.
        Assert.Equal(d + 5000, acked.Dss!.Value.DataAck);
        Assert.Equal(data, ReadApp(s.App, data.Length));
        Assert.Single(Info(c.Connection).Subflows);
        AssertNothingElseHarmed(s);
    }
}
