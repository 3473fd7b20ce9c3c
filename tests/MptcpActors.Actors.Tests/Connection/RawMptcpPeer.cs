using System.Net;
using Akka.Actor;
using Akka.IO;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Interface;
using MptcpActors.Actors.Metrics;
using MptcpActors.Actors.Sim;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Tcp;
using MptcpActors.Actors.Tests.Stack;
using MptcpActors.Actors.Tests.Tcp;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Actors.Tests.Connection;

/// <summary>
/// The engine node under test ("engine") between an engine partner ("partner", paths p0 and p1: 10.7.i.1 partner,
/// 10.7.i.2 engine) and a hand-written peer on link r0 (10.9.0.1 peer, 10.9.0.2 engine): the partner keeps an
/// honest transfer going while the raw peer sends the engine what no honest peer would. Links are point-to-point:
/// each interface sends every frame to the far end's MAC, so the raw peer sees whatever the engine sends on r0,
/// whatever its IP destination (a join to an address the peer announced, say).
/// </summary>
public sealed class BadInputNetwork
{
    public static readonly IpAddressBytes PeerIp = IpAddressBytes.From(IPAddress.Parse("10.9.0.1"));
    public static readonly IpAddressBytes EngineRawIp = IpAddressBytes.From(IPAddress.Parse("10.9.0.2"));
    private static readonly LinkParameters PartnerPath = new(RateBps: 50e6, Delay: TimeSpan.FromMilliseconds(5), QueueLimitPackets: 200);
    private static readonly LinkParameters RawPath = new(RateBps: 100e6, Delay: TimeSpan.FromMilliseconds(1), QueueLimitPackets: 1000);

    public BadInputNetwork(ActorSystem system, string engineConfig, string partnerConfig, Akka.TestKit.TestProbe captured,
        MptcpMetrics? engineMetrics = null)
    {
        var net = new SimNetwork(13);
        net.Link("p0", "partner", "engine", PartnerPath);
        net.Link("p1", "partner", "engine", PartnerPath);
        net.Link("r0", "peer", "engine", RawPath);
        // MACs are read before the SimNetworkActor owns the network: from then on only it may touch the simulator.
        var macs = net.Hosts.SelectMany(h => h.Ports).ToDictionary(p => p.Name, p => p.MacAddress.ToArray());
        byte[] Mac(string host, string link) => macs[$"{host}/{link}"];
        var sim = system.ActorOf(SimNetworkActor.Props(net), $"sim-{Guid.NewGuid():N}");
        var options = new TcpCoreOptions { TimeWaitNs = 100_000_000 };
        IpAddressBytes[] engineAddresses = [IpAddressBytes.From(EngineIp(0)), IpAddressBytes.From(EngineIp(1)), EngineRawIp];
        IpAddressBytes[] partnerAddresses = [IpAddressBytes.From(PartnerIp(0)), IpAddressBytes.From(PartnerIp(1))];
        List<InterfaceRoute> engineRoutes =
        [
            Interface(system, sim, "engine", "p0", Mac("engine", "p0"), Mac("partner", "p0"), engineAddresses[0], IpAddressBytes.From(PartnerIp(0)), engineAddresses, options),
            Interface(system, sim, "engine", "p1", Mac("engine", "p1"), Mac("partner", "p1"), engineAddresses[1], IpAddressBytes.From(PartnerIp(1)), engineAddresses, options),
            Interface(system, sim, "engine", "r0", Mac("engine", "r0"), Mac("peer", "r0"), EngineRawIp, PeerIp, engineAddresses, options),
        ];
        List<InterfaceRoute> partnerRoutes =
        [
            Interface(system, sim, "partner", "p0", Mac("partner", "p0"), Mac("engine", "p0"), partnerAddresses[0], engineAddresses[0], partnerAddresses, options),
            Interface(system, sim, "partner", "p1", Mac("partner", "p1"), Mac("engine", "p1"), partnerAddresses[1], engineAddresses[1], partnerAddresses, options),
        ];
        Engine = system.ActorOf(MptcpManager.Props(MptcpSettings.FromHocon(engineConfig), engineRoutes, engineMetrics), $"engine-mptcp-{Guid.NewGuid():N}");
        Partner = system.ActorOf(MptcpManager.Props(MptcpSettings.FromHocon(partnerConfig), partnerRoutes), $"partner-mptcp-{Guid.NewGuid():N}");
        Peer = new RawMptcpPeer(sim, "peer/r0", Mac("peer", "r0"), Mac("engine", "r0"), captured);
        sim.Tell(new AttachInterface("peer/r0", Peer));
    }

    public static IPAddress PartnerIp(int path) => IPAddress.Parse($"10.7.{path}.1");
    public static IPAddress EngineIp(int path) => IPAddress.Parse($"10.7.{path}.2");

    /// <summary>The MptcpManager of the node under test.</summary>
    public IActorRef Engine { get; }
    public IActorRef Partner { get; }
    public RawMptcpPeer Peer { get; }

    private static InterfaceRoute Interface(ActorSystem system, IActorRef sim, string host, string link, byte[] mac, byte[] farMac, IpAddressBytes address,
        IpAddressBytes gateway, IReadOnlyList<IpAddressBytes> nodeAddresses, TcpCoreOptions options)
    {
        var setup = new InterfaceSetup($"{host}-{link}", new DeviceRef(sim, $"{host}/{link}"), mac, address, 24, gateway, options,
            IsnGenerator.CreateRandom(), _ => farMac) { NodeAddresses = nodeAddresses };
        var actor = system.ActorOf(InterfaceActor.Props(setup), $"{host}-{link}-{Guid.NewGuid():N}");
        return new InterfaceRoute(setup.Name, address, 24, true, actor);
    }
}

/// <summary>Reads one MPTCP option type from its raw bytes (the shape of every option's Read).</summary>
public delegate MptcpOptionError MptcpOptionReader<T>(ReadOnlySpan<byte> raw, out T option);

/// <summary>A TCP segment the engine sent onto the raw peer's link, with the addresses of its IP header.</summary>
public sealed class Captured
{
    public Captured(IpAddressBytes source, IpAddressBytes destination, TcpSegment segment)
    {
        Source = source;
        Destination = destination;
        SourcePort = segment.SourcePort;
        DestinationPort = segment.DestinationPort;
        Seq = segment.SequenceNumber;
        Ack = segment.AcknowledgmentNumber;
        Flags = segment.Flags;
        Window = segment.Window;
        Options = segment.Options.ToArray();
        Payload = segment.Payload.ToArray();
    }

    public IpAddressBytes Source { get; }
    public IpAddressBytes Destination { get; }
    public ushort SourcePort { get; }
    public ushort DestinationPort { get; }
    public uint Seq { get; }
    public uint Ack { get; }
    public TcpFlags Flags { get; }
    public ushort Window { get; }
    public byte[] Options { get; }
    public byte[] Payload { get; }

    public bool Has(TcpFlags flags) => (Flags & flags) == flags;

    /// <summary>The first well-formed MPTCP option of this type, if the segment carries one.</summary>
    public T? Mptcp<T>(MptcpOptionReader<T> read) where T : struct
    {
        foreach (var o in new TcpOptionReader(Options))
            if (o.Kind == TcpOptionKind.Mptcp && read(o.Raw, out var value) == MptcpOptionError.None) return value;
        return null;
    }

    public MpCapableOption? Capable => Mptcp<MpCapableOption>(MpCapableOption.Read);
    public MpJoinOption? Join => Mptcp<MpJoinOption>(MpJoinOption.Read);
    public DssOption? Dss => Mptcp<DssOption>(DssOption.Read);
    public AddAddrOption? AddAddr => Mptcp<AddAddrOption>(AddAddrOption.Read);
    public MpFastCloseOption? FastClose => Mptcp<MpFastCloseOption>(MpFastCloseOption.Read);
    public MpTcpRstOption? TcpRst => Mptcp<MpTcpRstOption>(MpTcpRstOption.Read);

    public override string ToString() =>
        $"{Source}:{SourcePort} > {Destination}:{DestinationPort} [{Flags}] seq {Seq} ack {Ack} win {Window} len {Payload.Length}";
}

/// <summary>
/// The hand-written peer on link r0: forges frames (sent through the SimNetworkActor, so they leave in order) and
/// takes the engine's TCP segments in arrival order. Frames arrive on the simulator's thread and are told to
/// <paramref name="captured"/>, a test probe the test thread reads.
/// </summary>
public sealed class RawMptcpPeer(IActorRef sim, string port, byte[] mac, byte[] engineMac, Akka.TestKit.TestProbe captured) : IFrameReceiver
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>Every segment taken so far, in arrival order (the test thread's record).</summary>
    public List<Captured> Seen { get; } = [];

    public void Receive(IFrameDevice device, ReadOnlySpan<byte> frame, long timeNs)
    {
        if (!EthernetFrame.TryParse(frame, out var eth) || !IpPacket.TryParse(eth.Payload, out var ip) || ip.Protocol != IpProtocol.Tcp) return;
        if (!TcpSegment.TryParse(ip.Payload, out var seg)) return;
        captured.Ref.Tell(new Captured(new IpAddressBytes(ip.Source), new IpAddressBytes(ip.Destination), seg));
    }

    public void Transmit(IpAddressBytes source, ushort sourcePort, IpAddressBytes destination, ushort destinationPort, uint seq, uint ack, TcpFlags flags,
        ushort window, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload) =>
        sim.Tell(new FrameOut(port, Frames.Tcp(mac, engineMac, source, destination, sourcePort, destinationPort, seq, ack, flags, window, options, payload)));

    /// <summary>Takes the engine's segments in order until one matches; fails the test naming <paramref name="what"/> when none comes in time.</summary>
    public Captured Next(Func<Captured, bool> match, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            var next = left > TimeSpan.Zero ? captured.ReceiveOne(left) : null;
            if (next is not Captured c)
                throw new Xunit.Sdk.XunitException($"no {what} from the engine within {Wait.TotalSeconds} s; its last segments:\n{string.Join("\n", Seen.TakeLast(20))}");
            Seen.Add(c);
            if (match(c)) return c;
        }
    }

    /// <summary>A 4-tuple the peer speaks on (any source address: the engine takes what arrives on r0).</summary>
    public RawSubflow Subflow(IpAddressBytes local, ushort localPort, IpAddressBytes remote, ushort remotePort, uint iss) =>
        new(this, local, localPort, remote, remotePort, iss);
}

/// <summary>One TCP connection of the raw peer: its 4-tuple and sequence numbers, kept by the test as it goes.</summary>
public sealed class RawSubflow(RawMptcpPeer wire, IpAddressBytes local, ushort localPort, IpAddressBytes remote, ushort remotePort, uint iss)
{
    /// <summary>Our next sequence number; advanced by what <see cref="Send"/> sends.</summary>
    public uint SndNxt { get; set; } = iss;
    /// <summary>The next sequence number expected from the engine: the ACK we send.</summary>
    public uint RcvNxt { get; set; }
    /// <summary>The window we advertise, never scaled (our SYN offers no window scaling).</summary>
    public ushort Window { get; set; } = 65535;

    public void Send(TcpFlags flags, byte[]? options = null, byte[]? payload = null)
    {
        var ack = (flags & TcpFlags.Ack) != 0 ? RcvNxt : 0;
        wire.Transmit(local, localPort, remote, remotePort, SndNxt, ack, flags, Window, options ?? [], payload ?? []);
        if ((flags & TcpFlags.Rst) != 0) return;
        SndNxt += (uint)(payload?.Length ?? 0) + ((flags & TcpFlags.Syn) != 0 ? 1u : 0) + ((flags & TcpFlags.Fin) != 0 ? 1u : 0);
    }

    private bool Carries(Captured c) =>
        c.Source == remote && c.SourcePort == remotePort && c.Destination == local && c.DestinationPort == localPort;

    /// <summary>The next segment of this 4-tuple that matches (segments of other 4-tuples on the way are recorded, not dropped).</summary>
    public Captured Next(Func<Captured, bool> match, string what) => wire.Next(c => Carries(c) && match(c), what);

    /// <summary>What the engine sent on this 4-tuple so far.</summary>
    public IEnumerable<Captured> Seen => wire.Seen.Where(Carries);
}

/// <summary>MPTCP options as bytes, padded like Linux pads them.</summary>
public static class MptcpBytes
{
    public const byte HmacSha256 = MpCapableOption.FlagHmacSha256;

    public static byte[] Of<T>(T option) where T : struct, IMptcpOption
    {
        var b = new byte[option.Length];
        option.WriteTo(b);
        return b;
    }

    /// <summary>An options area of the given options in order, each NOP-padded to a word.</summary>
    public static byte[] Options(params byte[][] options)
    {
        var b = new OptionsBuilder();
        foreach (var o in options) b.Raw(o);
        return b.Build();
    }

    /// <summary>A SYN's options: MSS 1460 and nothing else TCP offers (no timestamps, SACK or window scaling, so every field stays plain).</summary>
    public static byte[] SynOptions(byte[] mptcp) => new OptionsBuilder().Mss(1460).Raw(mptcp).Build();

    public static byte[] Dss(ulong? dataAck, ulong? dsn = null, uint subflowSeq = 0, ushort length = 0) =>
        Of(DssOption.Create(dataAck, dsn, subflowSeq, length));
}

/// <summary>
/// The honest transfer that must survive the raw peer's attacks: the partner connects to the engine's port 8080 and
/// sends half of its bytes, the rest only once the test releases it, so the connection is still open and working
/// after each attack; the engine's side sends its own bytes at once.
/// </summary>
public sealed class BackgroundTransfer
{
    public const ushort Port = 8080;
    private readonly Akka.TestKit.TestProbe _engineReport;
    private readonly Akka.TestKit.TestProbe _partnerReport;
    private readonly IActorRef _sender;

    public BackgroundTransfer(Akka.TestKit.TestKitBase kit, BadInputNetwork net)
    {
        Up = TransferHandler.RandomBytes(2 << 20, 21);
        Down = TransferHandler.RandomBytes(1 << 20, 22);
        _engineReport = kit.CreateTestProbe();
        _partnerReport = kit.CreateTestProbe();
        var accepted = kit.CreateTestProbe();
        var engineReport = _engineReport.Ref;
        var acceptedRef = accepted.Ref;
        var down = Down;
        var listener = kit.Sys.ActorOf(Props.Create(() => new ReportingListener(down, engineReport, acceptedRef)));
        net.Engine.Tell(new TcpMsg.Bind(listener, new IPEndPoint(IPAddress.Any, Port)), accepted.Ref);
        accepted.ExpectMsg<TcpMsg.Bound>(RawMptcpPeer.Wait);
        var up = Up;
        var partnerReport = _partnerReport.Ref;
        _sender = kit.Sys.ActorOf(Props.Create(() => new GatedSender(up, partnerReport)));
        net.Partner.Tell(new TcpMsg.Connect(new IPEndPoint(BadInputNetwork.EngineIp(0), Port)), _sender);
        Connection = accepted.ExpectMsg<IActorRef>(RawMptcpPeer.Wait);
    }

    public byte[] Up { get; }
    public byte[] Down { get; }
    /// <summary>The engine's ConnectionActor of this transfer.</summary>
    public IActorRef Connection { get; }

    public ConnectionInfo Info() => Connection.Ask<ConnectionInfo>(GetConnectionInfo.Instance, RawMptcpPeer.Wait).Result;

    /// <summary>Lets the rest of the bytes go and checks both directions arrived byte-exact and closed without error.</summary>
    public void FinishAndAssertIntact()
    {
        _sender.Tell(GatedSender.Release.Instance);
        var partner = _partnerReport.ExpectMsg<TransferResult>(RawMptcpPeer.Wait);
        var engine = _engineReport.ExpectMsg<TransferResult>(RawMptcpPeer.Wait);
        Assert.Equal(TransferHandler.Sha256(Up), TransferHandler.Sha256(engine.Received));
        Assert.Equal(TransferHandler.Sha256(Down), TransferHandler.Sha256(partner.Received));
        Assert.IsNotType<TcpMsg.ErrorClosed>(partner.Closed);
        Assert.IsNotType<TcpMsg.ErrorClosed>(engine.Closed);
    }

    /// <summary>Gives each accepted connection a <see cref="TransferHandler"/> and tells the test which connection it was.</summary>
    private sealed class ReportingListener : ReceiveActor
    {
        public ReportingListener(byte[] toSend, IActorRef report, IActorRef accepted) =>
            Receive<TcpMsg.Connected>(c =>
            {
                accepted.Tell(Sender);
                Context.ActorOf(Props.Create(() => new TransferHandler(toSend, report))).Forward(c);
            });
    }

    /// <summary>Like <see cref="TransferHandler"/>, but the second half of its bytes waits for <see cref="Release"/>.</summary>
    private sealed class GatedSender : ReceiveActor
    {
        public sealed class Release
        {
            public static readonly Release Instance = new();
        }

        private sealed class Ack : TcpMsg.Event
        {
            public static readonly Ack Instance = new();
        }

        public GatedSender(byte[] toSend, IActorRef report)
        {
            var received = new MemoryStream();
            TcpMsg.ConnectionClosed? closed = null;
            IActorRef connection = ActorRefs.Nobody;
            var offset = 0;
            var limit = toSend.Length / 2;
            var released = false;
            var writing = false;
            void SendNext()
            {
                writing = offset < limit;
                if (writing)
                {
                    var n = Math.Min(64 * 1024, limit - offset);
                    connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(toSend, offset, n), Ack.Instance));
                    offset += n;
                }
                else if (released) connection.Tell(TcpMsg.ConfirmedClose.Instance);
            }
            Receive<TcpMsg.Connected>(_ =>
            {
                connection = Sender;
                Sender.Tell(new TcpMsg.Register(Self, keepOpenOnPeerClosed: true));
                SendNext();
            });
            Receive<Ack>(_ => SendNext());
            Receive<Release>(_ =>
            {
                released = true;
                limit = toSend.Length;
                // A write still waiting for its ack continues the sequence itself.
                if (!writing && !connection.IsNobody()) SendNext();
            });
            Receive<TcpMsg.Received>(r => received.Write(r.Data.ToArray()));
            Receive<TcpMsg.PeerClosed>(_ => { });
            Receive<TcpMsg.ConnectionClosed>(c => closed = c);
            Receive<ConnectionFinished>(f => report.Tell(new TransferResult(received.ToArray(), closed, f)));
            Receive<TcpMsg.CommandFailed>(_ => report.Tell(new TransferResult([], null, null)));
        }
    }
}
