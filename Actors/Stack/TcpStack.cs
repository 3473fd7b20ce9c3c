using System.Buffers.Binary;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Actors.Stack;

/// <summary>A listener's decision about an incoming SYN: who gets the connection's events, with which option hook.</summary>
public readonly record struct AcceptDecision(ITcpEvents Events, ITcpOptionHook? Hook = null);

/// <summary>
/// TCP over one frame device with one address (IPv4 or IPv6): frames the cores' segments into Ethernet/IP with
/// checksums, demultiplexes arriving segments by 4-tuple, hands SYNs to listeners by port and answers anything
/// else with the reset RFC 9293 prescribes. Single-threaded: its caller (the simulator, or an actor) serializes calls.
/// </summary>
public sealed class TcpStack : IFrameReceiver
{
    private const int EthernetHeader = EthernetFrame.HeaderLength;
    private readonly IFrameDevice _device;
    private readonly byte[] _mac;
    private readonly Func<IpAddressBytes, byte[]?> _neighbor;
    private readonly TcpCoreOptions _options;
    private readonly IsnGenerator _isn;
    private readonly Dictionary<TcpFlowKey, TcpSocket> _sockets = [];
    private readonly Dictionary<ushort, Func<TcpFlowKey, AcceptDecision?>> _listeners = [];
    private readonly Dictionary<ushort, Action<TcpSocket>> _accepted = [];
    private readonly byte[] _frame = new byte[EthernetHeader + Ipv6Packet.FixedHeaderLength + 65_535];
    private readonly byte[] _address;
    private readonly LocalAddresses _local;
    private ushort _ipId;
    private ushort _nextEphemeral = 32768;

    public TcpStack(IFrameDevice device, ReadOnlySpan<byte> mac, IpAddressBytes address, Func<IpAddressBytes, byte[]?> neighbor,
        ITimerService timers, TcpCoreOptions options, IsnGenerator isn)
    {
        _device = device;
        _mac = mac.ToArray();
        Address = address;
        _address = new byte[address.Length];
        address.CopyTo(_address);
        _local = new LocalAddresses(address);
        _neighbor = neighbor;
        Timers = timers;
        _isn = isn;
        var maxMss = device.Mtu - (address.IsIpv6 ? Ipv6Packet.FixedHeaderLength : Ipv4Packet.MinHeaderLength) - TcpSegment.MinHeaderLength;
        _options = options with { Mss = Math.Min(options.Mss, maxMss) };
        device.Attach(this);
    }

    public IpAddressBytes Address { get; }
    public ITimerService Timers { get; }
    public long NowNs => Timers.NowNs;
    public IReadOnlyCollection<TcpSocket> Sockets => _sockets.Values;
    public long DroppedBadChecksum { get; private set; }
    public long ResetsSent { get; private set; }

    /// <summary>Active open to <paramref name="remote"/>:<paramref name="remotePort"/> from an ephemeral (or given) port.</summary>
    public TcpSocket Connect(IpAddressBytes remote, ushort remotePort, ITcpEvents events, ushort localPort = 0, ITcpOptionHook? hook = null)
    {
        if (remote.Length != Address.Length) throw new ArgumentException("remote address family differs from the stack's", nameof(remote));
        var key = new TcpFlowKey(Address, localPort == 0 ? EphemeralPort(remote, remotePort) : localPort, remote, remotePort);
        if (_sockets.ContainsKey(key)) throw new InvalidOperationException($"{key} is in use");
        var socket = new TcpSocket(this, key, events);
        _sockets[key] = socket;
        var now = NowNs;
        socket.Core = TcpConnection.Connect(_options, socket, socket, hook, key.LocalPort, key.RemotePort,
            _isn.Next(key.LocalAddress, key.LocalPort, key.RemoteAddress, key.RemotePort, now),
            _isn.TimestampOffset(key.LocalAddress, key.LocalPort, key.RemoteAddress, key.RemotePort), now);
        socket.Rearm();
        return socket;
    }

    /// <summary>Accepts SYNs to <paramref name="port"/>: <paramref name="onSyn"/> decides (null refuses with RST), <paramref name="accepted"/> gets the new socket.</summary>
    public void Listen(ushort port, Func<TcpFlowKey, AcceptDecision?> onSyn, Action<TcpSocket> accepted)
    {
        _listeners[port] = onSyn;
        _accepted[port] = accepted;
    }

    public void Unlisten(ushort port)
    {
        _listeners.Remove(port);
        _accepted.Remove(port);
    }

    internal void Remove(TcpSocket socket)
    {
        if (_sockets.TryGetValue(socket.Key, out var s) && ReferenceEquals(s, socket)) _sockets.Remove(socket.Key);
    }

    public void Receive(IFrameDevice device, ReadOnlySpan<byte> frame, long timeNs)
    {
        switch (TcpFraming.Unwrap(frame, _local, out var ip, out var seg))
        {
            case TcpFraming.Verdict.BadChecksum:
                DroppedBadChecksum++;
                return;
            case not TcpFraming.Verdict.Segment:
                return;
        }
        var key = new TcpFlowKey(Address, seg.DestinationPort, new IpAddressBytes(ip.Source), seg.SourcePort);
        if (_sockets.TryGetValue(key, out var socket))
        {
            socket.Core.OnSegment(seg, NowNs);
            socket.Rearm();
            return;
        }
        if (seg.Has(TcpFlags.Syn) && !seg.Has(TcpFlags.Ack) && !seg.Has(TcpFlags.Rst) && _listeners.TryGetValue(seg.DestinationPort, out var onSyn)
            && onSyn(key) is { } decision)
        {
            var s = new TcpSocket(this, key, decision.Events);
            var now = NowNs;
            var core = TcpConnection.Accept(_options, s, s, decision.Hook,
                _isn.Next(key.LocalAddress, key.LocalPort, key.RemoteAddress, key.RemotePort, now),
                _isn.TimestampOffset(key.LocalAddress, key.LocalPort, key.RemoteAddress, key.RemotePort), seg, now);
            if (core is not null)
            {
                s.Core = core;
                _sockets[key] = s;
                s.Rearm();
                _accepted[seg.DestinationPort](s);
                return;
            }
        }
        var reply = Rent(TcpSegment.MinHeaderLength);
        var n = TcpConnection.WriteResetFor(seg, reply);
        if (n == 0) return;
        ResetsSent++;
        Send(key.RemoteAddress, ip.Source, n);
    }

    /// <summary>The segment buffer of the frame being built, after room for Ethernet and IP headers.</summary>
    internal Span<byte> Rent(int maxLength) => _frame.AsSpan(TcpFraming.HeaderRoom(Address.IsIpv6), maxLength);

    /// <summary>Frames the segment just written into the rented buffer and transmits it to <paramref name="remoteAddress"/>.</summary>
    internal void Send(IpAddressBytes remoteAddress, ReadOnlySpan<byte> remote, int length)
    {
        var nextHop = _neighbor(remoteAddress);
        if (nextHop is null) return; // unresolved neighbour: the segment is lost like on a wire, and TCP retransmits
        var n = TcpFraming.Wrap(_frame, _mac, nextHop, _address, remote, length, _ipId++);
        _device.Transmit(_frame.AsSpan(0, n));
    }

    private ushort EphemeralPort(IpAddressBytes remote, ushort remotePort)
    {
        // Linux's default ip_local_port_range is 32768–60999.
        for (var i = 0; i < 28232; i++)
        {
            var port = _nextEphemeral;
            _nextEphemeral = (ushort)(_nextEphemeral >= 60999 ? 32768 : _nextEphemeral + 1);
            if (!_sockets.ContainsKey(new TcpFlowKey(Address, port, remote, remotePort))) return port;
        }
        throw new InvalidOperationException("no ephemeral port left");
    }
}
