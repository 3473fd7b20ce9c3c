using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Sim;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Actors.Tests.Stack;

/// <summary>Builds Ethernet/IPv4/TCP frames by hand, with a good or a deliberately bad TCP checksum.</summary>
public static class Frames
{
    public static byte[] Tcp(ReadOnlySpan<byte> srcMac, ReadOnlySpan<byte> dstMac, IpAddressBytes src, IpAddressBytes dst, ushort sport, ushort dport,
        uint seq, uint ack, TcpFlags flags, ushort window, ReadOnlySpan<byte> options = default, ReadOnlySpan<byte> payload = default, bool badChecksum = false)
    {
        var optLen = (options.Length + 3) & ~3; // padded with EOL (zeros)
        var segLen = TcpSegment.MinHeaderLength + optLen + payload.Length;
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + segLen];
        EthernetFrame.Write(frame, dstMac, srcMac, EtherType.Ipv4);
        Span<byte> s = stackalloc byte[16];
        Span<byte> d = stackalloc byte[16];
        var sl = src.CopyTo(s);
        var dl = dst.CopyTo(d);
        Ipv4Packet.WriteHeader(frame.AsSpan(EthernetFrame.HeaderLength), s[..sl], d[..dl], IpProtocol.Tcp, segLen);
        var seg = frame.AsSpan(EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength);
        options.CopyTo(seg[TcpSegment.MinHeaderLength..]);
        payload.CopyTo(seg[(TcpSegment.MinHeaderLength + optLen)..]);
        TcpSegment.WriteHeader(seg, sport, dport, seq, ack, flags, window, optLen);
        TcpSegment.WriteChecksum(seg, s[..sl], d[..dl]);
        if (badChecksum) seg[16] ^= 0x5A;
        return frame;
    }

    /// <summary>Recomputes the TCP checksum of an Ethernet/IPv4 frame in place when it still parses as one; returns whether it did.</summary>
    public static bool FixChecksum(byte[] frame)
    {
        if (!EthernetFrame.TryParse(frame, out var eth) || !Ipv4Packet.TryParse(eth.Payload, out var ip) || ip.Protocol != IpProtocol.Tcp) return false;
        var offset = frame.Length - eth.Payload.Length + ip.HeaderLength;
        var length = ip.Payload.Length;
        if (length < TcpSegment.MinHeaderLength) return false;
        var src = ip.Source.ToArray();
        var dst = ip.Destination.ToArray();
        TcpSegment.WriteChecksum(frame.AsSpan(offset, length), src, dst);
        return true;
    }

    /// <summary>Whether the frame is Ethernet/IP/TCP with a TCP checksum that verifies.</summary>
    public static bool ChecksumValid(ReadOnlySpan<byte> frame) =>
        EthernetFrame.TryParse(frame, out var eth) && IpPacket.TryParse(eth.Payload, out var ip) && ip.Protocol == IpProtocol.Tcp
        && TcpSegment.TryParse(ip.Payload, out var seg) && seg.ChecksumValid(ip.Source, ip.Destination);

    /// <summary>The TCP segment of an Ethernet/IPv4 frame, copied (null when it is not one).</summary>
    public static byte[]? Segment(ReadOnlySpan<byte> frame) =>
        EthernetFrame.TryParse(frame, out var eth) && IpPacket.TryParse(eth.Payload, out var ip) && ip.Protocol == IpProtocol.Tcp ? ip.Payload.ToArray() : null;
}

/// <summary>Records every frame going either way on a link (for a corpus to mutate, and to see what a stack answered).</summary>
public sealed class LinkRecorder : ISimLinkObserver
{
    private readonly int _keep;

    public LinkRecorder(SimLink link, int keep = 256)
    {
        _keep = keep;
        link.AddObserver(this);
    }

    /// <summary>The last frames accepted on the link, oldest first, both directions.</summary>
    public List<byte[]> Recent { get; } = [];
    /// <summary>Every TCP segment accepted per direction (only while <see cref="KeepSegments"/>).</summary>
    public List<(SimLinkDirection Direction, byte[] Segment)> Segments { get; } = [];
    public bool KeepSegments { get; set; }

    void ISimLinkObserver.FrameAccepted(SimLinkDirection direction, ReadOnlySpan<byte> frame, long nowNs)
    {
        if (Recent.Count == _keep) Recent.RemoveAt(0);
        Recent.Add(frame.ToArray());
        if (KeepSegments && Frames.Segment(frame) is { } seg) Segments.Add((direction, seg));
    }
}

/// <summary>Events of one socket, reading whatever becomes readable (or not, when <see cref="AutoRead"/> is off).</summary>
public sealed class RecordingEvents : ITcpEvents
{
    public TcpSocket? Socket { get; set; }
    public bool AutoRead { get; set; } = true;
    public List<byte> Data { get; } = [];
    public bool Established { get; private set; }
    public bool PeerClosed { get; private set; }
    public TcpCloseReason? Closed { get; private set; }

    public void OnEstablished() => Established = true;
    public void OnAcknowledged(long bytes) { }
    public void OnPeerClosed() => PeerClosed = true;
    public void OnClosed(TcpCloseReason reason) => Closed = reason;

    public void OnDataReadable()
    {
        if (!AutoRead || Socket is null) return;
        var buffer = new byte[65536];
        int n;
        while ((n = Socket.Read(buffer)) > 0) Data.AddRange(buffer.AsSpan(0, n).ToArray());
    }
}

/// <summary>
/// Two TcpStacks ("client" 10.0.0.1, "server" 10.0.0.2) over one simulated link, each optionally behind a wrapper
/// device (a FaultInjector, ...), plus helpers to forge frames from either side as if they came over the link.
/// </summary>
public sealed class StackPair
{
    public static readonly IpAddressBytes ClientAddress = SimTransfer.ClientAddress;
    public static readonly IpAddressBytes ServerAddress = SimTransfer.ServerAddress;

    public StackPair(ulong seed, LinkParameters parameters, TcpCoreOptions? options = null, Func<SimPort, IFrameDevice>? wrapClient = null,
        Func<SimPort, IFrameDevice>? wrapServer = null)
    {
        Net = new SimNetwork(seed);
        Link = Net.Link("path", "client", "server", parameters);
        Timers = new SimTimerService(Net.Scheduler);
        ClientPort = Net.Host("client").Port("path");
        ServerPort = Net.Host("server").Port("path");
        ClientMac = ClientPort.MacAddress.ToArray();
        ServerMac = ServerPort.MacAddress.ToArray();
        ClientDevice = wrapClient?.Invoke(ClientPort) ?? ClientPort;
        ServerDevice = wrapServer?.Invoke(ServerPort) ?? ServerPort;
        var o = options ?? new TcpCoreOptions();
        var isn = new IsnGenerator(BitConverter.GetBytes(seed));
        var serverMac = ServerMac;
        var clientMac = ClientMac;
        Client = new TcpStack(ClientDevice, ClientMac, ClientAddress, _ => serverMac, Timers, o, isn);
        Server = new TcpStack(ServerDevice, ServerMac, ServerAddress, _ => clientMac, Timers, o, isn);
    }

    public SimNetwork Net { get; }
    public SimLink Link { get; }
    public SimTimerService Timers { get; }
    public SimPort ClientPort { get; }
    public SimPort ServerPort { get; }
    public IFrameDevice ClientDevice { get; }
    public IFrameDevice ServerDevice { get; }
    public byte[] ClientMac { get; }
    public byte[] ServerMac { get; }
    public TcpStack Client { get; }
    public TcpStack Server { get; }

    /// <summary>A frame as if the client sent it to the server.</summary>
    public byte[] FromClient(ushort sport, ushort dport, uint seq, uint ack, TcpFlags flags, ushort window = 65535, ReadOnlySpan<byte> options = default,
        ReadOnlySpan<byte> payload = default, bool badChecksum = false) =>
        Frames.Tcp(ClientMac, ServerMac, ClientAddress, ServerAddress, sport, dport, seq, ack, flags, window, options, payload, badChecksum);

    /// <summary>A frame as if the server sent it to the client.</summary>
    public byte[] FromServer(ushort sport, ushort dport, uint seq, uint ack, TcpFlags flags, ushort window = 65535, ReadOnlySpan<byte> options = default,
        ReadOnlySpan<byte> payload = default, bool badChecksum = false) =>
        Frames.Tcp(ServerMac, ClientMac, ServerAddress, ClientAddress, sport, dport, seq, ack, flags, window, options, payload, badChecksum);

    /// <summary>Hands a frame straight to a stack, as its device would (no link in between).</summary>
    public void Inject(TcpStack stack, byte[] frame) =>
        ((IFrameReceiver)stack).Receive(ReferenceEquals(stack, Client) ? ClientDevice : ServerDevice, frame, Net.NowNs);

    /// <summary>Listens on the server and connects from the client; both ends' events record.</summary>
    public (TcpSocket Client, RecordingEvents ClientEvents, Func<TcpSocket?> Server, RecordingEvents ServerEvents) Open(ushort port = 80)
    {
        var serverEvents = new RecordingEvents();
        TcpSocket? accepted = null;
        Server.Listen(port, _ => new AcceptDecision(serverEvents), s =>
        {
            accepted = s;
            serverEvents.Socket = s;
        });
        var clientEvents = new RecordingEvents();
        var client = Client.Connect(ServerAddress, port, clientEvents);
        clientEvents.Socket = client;
        return (client, clientEvents, () => accepted, serverEvents);
    }
}

/// <summary>A SimTransfer over a <see cref="StackPair"/>, so the stacks can sit behind wrapper devices.</summary>
public sealed class PairTransfer
{
    public PairTransfer(StackPair pair, long bytes, ulong seed)
    {
        Pair = pair;
        Pair.Server.Listen(80, _ => new AcceptDecision(Sink), s => Sink.Socket = s);
        Source = new SimTransfer.Sender(bytes, seed);
        Source.Socket = Pair.Client.Connect(StackPair.ServerAddress, 80, Source);
    }

    public StackPair Pair { get; }
    public SimTransfer.Sender Source { get; }
    public SimTransfer.Receiver Sink { get; } = new();

    public bool Run(long limitNs)
    {
        Pair.Net.Scheduler.RunUntilIdle(Pair.Net.NowNs + limitNs);
        return Source.Closed is not null && Sink.Closed is not null;
    }
}

/// <summary>
/// A TcpStack ("server" 10.0.0.2) whose peer is the test itself: frames the test forges go over the link to the
/// stack, and the stack's answers are collected as TCP segments, so every byte on the wire is under control.
/// </summary>
public sealed class RawPeer : IFrameReceiver
{
    public RawPeer(ulong seed, LinkParameters parameters, TcpCoreOptions? options = null)
    {
        Net = new SimNetwork(seed);
        Link = Net.Link("path", "peer", "server", parameters);
        PeerPort = Net.Host("peer").Port("path");
        ServerPort = Net.Host("server").Port("path");
        var peerMac = PeerPort.MacAddress.ToArray();
        Server = new TcpStack(ServerPort, ServerPort.MacAddress, StackPair.ServerAddress, _ => peerMac, new SimTimerService(Net.Scheduler),
            options ?? new TcpCoreOptions(), new IsnGenerator(BitConverter.GetBytes(seed)));
        PeerPort.Attach(this);
    }

    public SimNetwork Net { get; }
    public SimLink Link { get; }
    public SimPort PeerPort { get; }
    public SimPort ServerPort { get; }
    public TcpStack Server { get; }
    /// <summary>Segments the stack sent, in order.</summary>
    public List<byte[]> Received { get; } = [];

    public void Receive(IFrameDevice device, ReadOnlySpan<byte> frame, long timeNs)
    {
        if (Frames.Segment(frame) is { } seg) Received.Add(seg);
    }

    public void Send(ushort sport, ushort dport, uint seq, uint ack, TcpFlags flags, ushort window = 65535, ReadOnlySpan<byte> options = default,
        ReadOnlySpan<byte> payload = default, bool badChecksum = false) =>
        PeerPort.Transmit(Frames.Tcp(PeerPort.MacAddress, ServerPort.MacAddress, StackPair.ClientAddress, StackPair.ServerAddress, sport, dport, seq, ack,
            flags, window, options, payload, badChecksum));

    /// <summary>Sends, lets the link carry it and the stack answer, and returns what the stack sent meanwhile.</summary>
    public List<byte[]> Exchange(ushort sport, ushort dport, uint seq, uint ack, TcpFlags flags, ushort window = 65535, ReadOnlySpan<byte> options = default,
        ReadOnlySpan<byte> payload = default, bool badChecksum = false)
    {
        var before = Received.Count;
        Send(sport, dport, seq, ack, flags, window, options, payload, badChecksum);
        Net.RunFor(20_000_000);
        return Received.Skip(before).ToList();
    }
}
