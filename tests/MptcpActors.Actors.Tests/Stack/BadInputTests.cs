using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Tcp;
using MptcpActors.Actors.Tests.Tcp;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire.Tcp;
using static MptcpActors.Transport.Wire.Tcp.TcpFlags;

namespace MptcpActors.Actors.Tests.Stack;

/// <summary>
/// Bad input at the stack: bad checksums, options that lie about their lengths, SYN and RST where they do not
/// belong, ACKs for unsent data, out-of-window data, and garbage of every kind. Each gets the RFC's answer (drop,
/// challenge ACK), nothing throws, and data delivered to the application is never wrong.
/// </summary>
public class BadInputTests
{
    private const long Ms = 1_000_000;
    private const ushort PeerPort = 40000;
    private const uint PeerIss = 1000;

    private static LinkParameters Path(double mbps, double delayMs, int queue = 200, double loss = 0) =>
        new(RateBps: mbps * 1e6, Delay: TimeSpan.FromMilliseconds(delayMs), QueueLimitPackets: queue, LossProbability: loss);

    /// <summary>A raw peer that completed a handshake with the stack's listener on port 80 (its SYN carrying <paramref name="synOptions"/>).</summary>
    private static (RawPeer Peer, TcpSocket Socket, RecordingEvents Events, uint ServerIss) Handshake(byte[]? synOptions = null)
    {
        var peer = new RawPeer(1, Path(100, 1));
        var events = new RecordingEvents();
        TcpSocket? socket = null;
        peer.Server.Listen(80, _ => new AcceptDecision(events), s =>
        {
            socket = s;
            events.Socket = s;
        });
        var synAck = Assert.Single(peer.Exchange(PeerPort, 80, PeerIss, 0, Syn, 65535, synOptions ?? [2, 4, 0x05, 0xB4, 4, 2, 1, 1]));
        var (seq, ack, flags, _, _) = Seg.Fields(synAck);
        Assert.Equal((Syn | Ack, PeerIss + 1), (flags, ack));
        Assert.Empty(peer.Exchange(PeerPort, 80, PeerIss + 1, seq + 1, Ack, 65535));
        Assert.NotNull(socket);
        Assert.Equal(TcpState.Established, socket.State);
        return (peer, socket, events, seq);
    }

    [Fact]
    public void Frames_with_bad_checksums_are_dropped_counted_and_never_delivered()
    {
        var (peer, socket, events, serverIss) = Handshake();
        var una = serverIss + 1;
        var received = socket.Core.Statistics.SegmentsReceived;

        // Bad in the checksum field itself, in the payload, in a header field and in an option.
        Assert.Empty(peer.Exchange(PeerPort, 80, PeerIss + 1, una, Ack | Psh, payload: "hello"u8, badChecksum: true));
        var frame = Frames.Tcp(peer.PeerPort.MacAddress, peer.ServerPort.MacAddress, StackPair.ClientAddress, StackPair.ServerAddress, PeerPort, 80,
            PeerIss + 1, una, Ack | Psh, 65535, [1, 1, 1, 1], "hello"u8);
        foreach (var at in new[] { frame.Length - 1, 14 + 20 + 4, 14 + 20 + 21 })
        {
            var bad = (byte[])frame.Clone();
            bad[at] ^= 0x20;
            Assert.False(Frames.ChecksumValid(bad));
            peer.PeerPort.Transmit(bad);
        }
        // A reset that would be exact, and a SYN to the listener, both with bad checksums.
        peer.Send(PeerPort, 80, PeerIss + 1, una, Rst | Ack, badChecksum: true);
        peer.Send(PeerPort + 1, 80, 7, 0, Syn, badChecksum: true);
        peer.Net.RunFor(20 * Ms);

        Assert.Equal(6, peer.Server.DroppedBadChecksum);
        Assert.Empty(peer.Received.Skip(1)); // no answer to any of them (the one segment is the SYN/ACK)
        Assert.Equal(received, socket.Core.Statistics.SegmentsReceived);
        Assert.Equal(PeerIss + 1, socket.Core.RcvNxt);
        Assert.Empty(events.Data);
        Assert.Equal(TcpState.Established, socket.State);
        Assert.Single(peer.Server.Sockets);
        Assert.Equal(0, peer.Server.ResetsSent);

        // The good frame is taken.
        peer.PeerPort.Transmit(frame);
        peer.Net.RunFor(20 * Ms);
        Assert.Equal("hello"u8.ToArray(), events.Data);
    }

    [Fact]
    public void A_syn_with_lying_options_opens_a_working_connection()
    {
        // MSS of length 3, window scale 200, SACK permitted, a NOP, then an option of length 0 (which ends the walk).
        var (peer, socket, events, serverIss) = Handshake([2, 3, 0x05, 3, 3, 200, 4, 2, 1, 30, 0, 0]);
        Assert.Equal(536, socket.Core.PeerMss); // the bogus MSS is ignored: RFC 9293's default
        Assert.Equal(TcpOptions.MaxWindowScale, socket.Core.SendWindowShift); // 200 is taken as 14 (RFC 7323 2.3)
        Assert.True(socket.Core.SackEnabled);

        // Data segments whose options lie in every way are still taken, in order.
        byte[][] lies =
        [
            [8, 0, 0, 0], [5, 1, 0, 0], [5, 34, 1, 2, 3, 4, 5, 6], [2, 3, 5, 0], [3, 3, 200, 0], [8, 9, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0],
            [254, 40, 0, 0], [30, 3, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            [5, 42, .. new byte[38]],
        ];
        var expected = new List<byte>();
        var seq = PeerIss + 1;
        foreach (var options in lies)
        {
            var payload = new[] { (byte)expected.Count, (byte)~expected.Count };
            var answer = peer.Exchange(PeerPort, 80, seq, serverIss + 1, Ack | Psh, 65535, options, payload);
            seq += 2;
            expected.AddRange(payload);
            Assert.Equal(expected, events.Data);
            Assert.All(answer, a => Assert.Equal(seq, Seg.Fields(a).Ack));
        }
        // SACK blocks beyond SND.MAX, reversed and below SND.UNA, on a connection with data outstanding.
        socket.Write(new byte[3000]);
        peer.Net.RunFor(Ms / 2);
        var sndMax = socket.Core.SndNxt;
        var blocks = new OptionsBuilder().Sack(new SackBlock(sndMax + 10, sndMax + 5000), new SackBlock(serverIss + 500, serverIss + 100),
            new SackBlock(serverIss - 5000, serverIss)).Build();
        peer.Exchange(PeerPort, 80, seq, serverIss + 1, Ack, 65535, blocks);
        Assert.Equal(TcpState.Established, socket.State);
        // Everything is still acknowledged normally (the tail Nagle held back goes out once the rest is acknowledged).
        peer.Exchange(PeerPort, 80, seq, sndMax, Ack, 65535);
        Assert.Equal(sndMax, socket.Core.SndUna);
        peer.Exchange(PeerPort, 80, seq, socket.Core.SndNxt, Ack, 65535);
        Assert.Equal(serverIss + 1 + 3000, socket.Core.SndUna);
        Assert.Equal(0, socket.Core.BytesInFlight);
    }

    [Fact]
    public void A_syn_in_established_gets_a_rate_limited_challenge_ack()
    {
        var (peer, socket, _, serverIss) = Handshake();
        foreach (var seq in new[] { PeerIss + 1, PeerIss + 1000 })
        {
            var answer = Assert.Single(peer.Exchange(PeerPort, 80, seq, 0, Syn, 65535, [2, 4, 0x05, 0xB4]));
            Assert.Equal((serverIss + 1, PeerIss + 1, Ack), (Seg.Fields(answer).Seq, Seg.Fields(answer).Ack, Seg.Fields(answer).Flags));
            // Another one at once is not answered (Linux: one per net.ipv4.tcp_invalid_ratelimit, 500 ms).
            Assert.Empty(peer.Exchange(PeerPort, 80, seq, 0, Syn, 65535, [2, 4, 0x05, 0xB4]));
            peer.Net.RunFor(500 * Ms);
        }
        Assert.Equal(2, socket.Core.Statistics.ChallengeAcks);
        Assert.Equal(2, socket.Core.Statistics.InvalidAcksSuppressed);
        Assert.Equal(TcpState.Established, socket.State);
        Assert.Single(peer.Server.Sockets);
    }

    [Fact]
    public void A_forged_segment_that_desynchronizes_both_ends_does_not_start_an_ack_storm()
    {
        var pair = new StackPair(5, Path(100, 1));
        var (client, _, server, _) = pair.Open();
        pair.Net.RunFor(50 * Ms);
        var s = server()!;
        // In-window data the server never sent, with a valid checksum: the client's RCV.NXT moves past the server's SND.NXT,
        // so the client's ACKs acknowledge unsent data and the server's ACKs are out of the client's window.
        pair.Inject(pair.Client, pair.FromServer(80, client.Key.LocalPort, s.Core.SndNxt, s.Core.RcvNxt, Ack, 65535, payload: "forged"u8));
        var sent = client.Core.Statistics.SegmentsSent + s.Core.Statistics.SegmentsSent;
        Assert.True(pair.Net.RunUntilIdle(pair.Net.NowNs + 10_000 * Ms), "the two ends are still exchanging ACKs");
        Assert.True(client.Core.Statistics.SegmentsSent + s.Core.Statistics.SegmentsSent - sent < 10);
        Assert.True(client.Core.Statistics.InvalidAcksSuppressed + s.Core.Statistics.InvalidAcksSuppressed > 0);
    }

    [Fact]
    public void Resets_outside_the_window_are_ignored_inside_challenged_and_only_the_exact_one_resets()
    {
        var (peer, socket, events, serverIss) = Handshake();
        var drops = socket.Core.Statistics.OutOfWindowDrops;
        foreach (var seq in new[] { PeerIss + 1 + 50_000_000u, unchecked(PeerIss - 100_000u), PeerIss })
            Assert.Empty(peer.Exchange(PeerPort, 80, seq, serverIss + 1, Rst | Ack));
        Assert.Equal(drops + 3, socket.Core.Statistics.OutOfWindowDrops);
        Assert.Equal(TcpState.Established, socket.State);

        var challenge = Assert.Single(peer.Exchange(PeerPort, 80, PeerIss + 100, serverIss + 1, Rst));
        Assert.Equal((serverIss + 1, PeerIss + 1, Ack), (Seg.Fields(challenge).Seq, Seg.Fields(challenge).Ack, Seg.Fields(challenge).Flags));
        Assert.Equal(TcpState.Established, socket.State);
        Assert.Null(events.Closed);

        Assert.Empty(peer.Exchange(PeerPort, 80, PeerIss + 1, 0, Rst));
        Assert.Equal(TcpCloseReason.Reset, events.Closed);
        Assert.Empty(peer.Server.Sockets);
    }

    [Fact]
    public void Acks_for_unsent_data_and_data_outside_the_window_are_answered_and_dropped()
    {
        var (peer, socket, events, serverIss) = Handshake(); // default 6 MB receive buffer: the window is ~6 MB
        var answer = Assert.Single(peer.Exchange(PeerPort, 80, PeerIss + 1, serverIss + 1 + 100_000, Ack, payload: "abc"u8));
        Assert.Equal((serverIss + 1, PeerIss + 1), (Seg.Fields(answer).Seq, Seg.Fields(answer).Ack));
        answer = Assert.Single(peer.Exchange(PeerPort, 80, PeerIss + 1 + 50_000_000, serverIss + 1, Ack, payload: "def"u8));
        Assert.Equal(PeerIss + 1, Seg.Fields(answer).Ack);
        Assert.Empty(events.Data);
        Assert.Equal(PeerIss + 1, socket.Core.RcvNxt);
        peer.Exchange(PeerPort, 80, PeerIss + 1, serverIss + 1, Ack, payload: "ghi"u8);
        Assert.Equal("ghi"u8.ToArray(), events.Data);
    }

    [Fact]
    public void Options_that_lie_about_lengths_never_disturb_a_transfer()
    {
        const long bytes = 1_000_000;
        var pair = new StackPair(21, Path(20, 5));
        var t = new PairTransfer(pair, bytes, 21);
        var recorder = new LinkRecorder(pair.Link, keep: 64);
        var rng = new SimRandom(21);
        var sentFalseSack = false;
        byte[] Lie(TcpSocket target, uint ack)
        {
            var una = target.Core.SndUna;
            var max = target.Core.SndNxt;
            return rng.NextInt(11) switch
            {
                0 => [8, 0, 0, 0],
                1 => [5, 1, 0, 0],
                2 => [5, 34, 1, 2, 3, 4, 5, 6],
                3 => [2, 3, 5, 0],
                4 => [3, 3, 200, 0],
                5 => [8, 9, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0],
                6 => [254, 40, 0, 0],
                7 => [5, 42, .. new byte[38]],
                8 => new OptionsBuilder().Sack(new SackBlock(max + 1, max + 100_000), new SackBlock(max - 10, max + 10)).Build(), // beyond SND.MAX
                9 => new OptionsBuilder().Sack(new SackBlock(una + 3000, una + 100), new SackBlock(ack - 5000, ack - 1)).Build(), // reversed, below the ACK
                // Once: a SACK for data the receiver does not have (RFC 2018 8 reneging: the sender must still get it through).
                _ when !sentFalseSack && SeqMath.Gt(max, una + 20_000) => FalseSack(una, out sentFalseSack),
                _ => [30, 2, 1, 1],
            };
        }
        static byte[] FalseSack(uint una, out bool sent)
        {
            sent = true;
            return new OptionsBuilder().Sack(new SackBlock(una + 1448, una + 10 * 1448)).Build();
        }

        void Inject()
        {
            if (t.Source.Closed is not null) return;
            var client = t.Source.Socket;
            // To the sender, as the receiver: fields of the receiver's last segment, options replaced.
            var last = recorder.Recent.Select(f => Frames.Segment(f)).LastOrDefault(seg => seg is not null && Seg.View(seg).SourcePort == 80);
            if (last is not null)
            {
                var (seq, ack, _, window, _) = Seg.Fields(last);
                pair.Inject(pair.Client, pair.FromServer(80, client.Key.LocalPort, seq, ack, Ack, window, Lie(client, ack)));
            }
            // To the receiver, as the sender: a pure ACK of where the sender stands.
            if (t.Sink.Socket is { } server && server.State == TcpState.Established)
                pair.Inject(pair.Server, pair.FromClient(client.Key.LocalPort, 80, client.Core.SndNxt, client.Core.RcvNxt, Ack, 65535, Lie(server, client.Core.RcvNxt)));
            pair.Net.Scheduler.ScheduleAfter(3 * Ms, Inject);
        }
        pair.Net.Scheduler.ScheduleAfter(50 * Ms, Inject);

        Assert.True(t.Run(120_000 * Ms), $"received {t.Sink.Received} of {bytes}");
        Assert.Equal(bytes, t.Sink.Received);
        Assert.Equal(t.Source.Sha256, t.Sink.Sha256);
        Assert.True(sentFalseSack);
    }

    [Theory]
    [InlineData(31UL)]
    [InlineData(32UL)]
    public void Corrupted_and_garbage_frames_on_a_faulty_link_are_caught_by_the_checksum(ulong seed)
    {
        const long bytes = 1_500_000;
        FaultInjector? clientFaults = null, serverFaults = null;
        var pair = new StackPair(seed, Path(20, 5, loss: 0.005),
            wrapClient: p => clientFaults = new FaultInjector(p, seed, p.Link.Scheduler),
            wrapServer: p => serverFaults = new FaultInjector(p, seed + 1000, p.Link.Scheduler));
        clientFaults!.Corrupt(0.03);
        serverFaults!.Corrupt(0.03);
        var t = new PairTransfer(pair, bytes, seed);
        var recorder = new LinkRecorder(pair.Link, keep: 64);
        var rng = new SimRandom(seed);
        var injected = 0;

        void Inject()
        {
            if (t.Source.Closed is not null && t.Sink.Closed is not null) return;
            var fromClient = rng.Chance(0.5);
            var device = fromClient ? pair.ClientDevice : pair.ServerDevice;
            byte[] frame;
            if (rng.Chance(0.2) || recorder.Recent.Count == 0)
            {
                frame = new byte[rng.NextInt(1600)];
                rng.NextBytes(frame);
            }
            else
            {
                // A real frame with a few bytes past the Ethernet header changed and maybe cut short: only those the checksum catches are sent.
                var real = recorder.Recent[rng.NextInt(recorder.Recent.Count)];
                frame = rng.Chance(0.2) && real.Length > 15 ? real[..rng.NextInt(15, real.Length)] : (byte[])real.Clone();
                var n = 1 + rng.NextInt(4);
                for (var i = 0; i < n && frame.Length > 14; i++) frame[rng.NextInt(14, frame.Length)] ^= (byte)rng.NextInt(1, 256);
            }
            if (!Frames.ChecksumValid(frame))
            {
                device.Transmit(frame);
                injected++;
            }
            pair.Net.Scheduler.ScheduleAfter(Ms / 2, Inject);
        }
        pair.Net.Scheduler.ScheduleAfter(1, Inject);

        Assert.True(t.Run(120_000 * Ms), $"received {t.Sink.Received} of {bytes}");
        Assert.Equal(bytes, t.Sink.Received);
        Assert.Equal(t.Source.Sha256, t.Sink.Sha256);
        Assert.True(clientFaults.FramesCorrupted > 20 && serverFaults.FramesCorrupted > 20);
        Assert.True(injected > 500);
        Assert.True(pair.Client.DroppedBadChecksum > 20, $"client dropped {pair.Client.DroppedBadChecksum}");
        Assert.True(pair.Server.DroppedBadChecksum > 100, $"server dropped {pair.Server.DroppedBadChecksum}");
    }

    [Theory]
    [InlineData(41UL)]
    [InlineData(42UL)]
    [InlineData(43UL)]
    public void Random_and_mutated_frames_with_valid_checksums_never_throw_and_the_stacks_keep_working(ulong seed)
    {
        var options = new TcpCoreOptions { SendBufferSize = 64 << 10, ReceiveBufferSize = 64 << 10 };
        var pair = new StackPair(seed, Path(50, 2), options);
        var bulk = new PairTransfer(pair, 5_000_000, seed);
        var idle = pair.Open(81);
        var recorder = new LinkRecorder(pair.Link, keep: 64);
        var rng = new SimRandom(seed);
        var fuzzing = true;
        var injected = 0;

        byte[] Random(int max)
        {
            var b = new byte[rng.NextInt(max + 1)];
            rng.NextBytes(b);
            return b;
        }

        uint Near(uint x) => rng.Chance(0.2) ? (uint)rng.NextUInt64() : x + (uint)rng.NextInt(-70_000, 70_000);

        void Inject()
        {
            if (!fuzzing) return;
            var toServer = rng.Chance(0.5);
            var stack = toServer ? pair.Server : pair.Client;
            byte[] frame;
            switch (rng.NextInt(4))
            {
                case 0:
                    frame = Random(200);
                    break;
                case 1 when recorder.Recent.Count > 0:
                {
                    // A real frame, mutated, cut, and mostly given a checksum that verifies again.
                    var real = recorder.Recent[rng.NextInt(recorder.Recent.Count)];
                    frame = rng.Chance(0.3) && real.Length > 15 ? real[..rng.NextInt(15, real.Length)] : (byte[])real.Clone();
                    var n = 1 + rng.NextInt(8);
                    for (var i = 0; i < n && frame.Length > 14; i++) frame[rng.NextInt(14, frame.Length)] ^= (byte)rng.NextInt(1, 256);
                    if (rng.Chance(0.9)) Frames.FixChecksum(frame);
                    break;
                }
                case 2:
                {
                    // A well-formed segment for a live 4-tuple, with random flags, numbers near the real ones and random options.
                    var sockets = (toServer ? pair.Client : pair.Server).Sockets.ToArray();
                    if (sockets.Length == 0) goto default;
                    var s = sockets[rng.NextInt(sockets.Length)];
                    var flags = (TcpFlags)rng.NextInt(0x200);
                    var opts = Random(40);
                    frame = toServer
                        ? pair.FromClient(s.Key.LocalPort, s.Key.RemotePort, Near(s.Core.SndNxt), Near(s.Core.RcvNxt), flags, (ushort)rng.NextInt(65536), opts, Random(64))
                        : pair.FromServer(s.Key.LocalPort, s.Key.RemotePort, Near(s.Core.SndNxt), Near(s.Core.RcvNxt), flags, (ushort)rng.NextInt(65536), opts, Random(64));
                    break;
                }
                default:
                {
                    // A SYN (sometimes with more flags) to a listening or closed port, with random options.
                    var port = (ushort)(rng.Chance(0.7) ? 80 : rng.NextInt(1, 65536));
                    var flags = Syn | (TcpFlags)(rng.Chance(0.3) ? rng.NextInt(0x200) : 0);
                    frame = pair.FromClient((ushort)rng.NextInt(1, 65536), port, (uint)rng.NextUInt64(), (uint)rng.NextUInt64(), flags,
                        (ushort)rng.NextInt(65536), Random(40));
                    stack = pair.Server;
                    break;
                }
            }
            pair.Inject(stack, frame);
            injected++;
            pair.Net.Scheduler.ScheduleAfter(100_000, Inject);
        }
        pair.Net.Scheduler.ScheduleAfter(5 * Ms, Inject);
        pair.Net.RunFor(1_500 * Ms); // 15,000 frames of garbage
        fuzzing = false;
        Assert.True(injected > 10_000);
        pair.Net.RunFor(5_000 * Ms);

        // The stacks still serve a new connection exactly.
        var fresh = new PairTransferOnPort(pair, 82, 200_000, seed);
        pair.Net.RunFor(60_000 * Ms);
        Assert.Equal(200_000, fresh.Sink.Received);
        Assert.Equal(fresh.Source.Sha256, fresh.Sink.Sha256);
        GC.KeepAlive(bulk);
        GC.KeepAlive(idle);
    }

    /// <summary>A second transfer on the same pair, on another port.</summary>
    private sealed class PairTransferOnPort
    {
        public PairTransferOnPort(StackPair pair, ushort port, long bytes, ulong seed)
        {
            pair.Server.Listen(port, _ => new AcceptDecision(Sink), s => Sink.Socket = s);
            Source = new SimTransfer.Sender(bytes, seed);
            Source.Socket = pair.Client.Connect(StackPair.ServerAddress, port, Source);
        }

        public SimTransfer.Sender Source { get; }
        public SimTransfer.Receiver Sink { get; } = new();
    }
}
