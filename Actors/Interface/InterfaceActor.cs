using System.Net;
using Akka.Actor;
using Akka.IO;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Tcp;
using MptcpActors.Actors.Subflow;
using MptcpActors.Actors.Connection;
using MptcpActors.Transport.Wire;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Actors.Interface;

/// <summary>
/// One network interface: owns its address and link framing, demultiplexes arriving segments to subflow actors by
/// 4-tuple, hands SYNs to the listener bound to their port (a new subflow actor each), answers the rest with RST,
/// and frames what subflows send. Applications talk to it as to Akka.IO's TCP manager: Connect and Bind.
/// </summary>
public sealed class InterfaceActor : UntypedActor, IWithTimers
{
    private readonly InterfaceSetup _setup;
    private readonly byte[] _address;
    private readonly LocalAddresses _local;
    private readonly Dictionary<TcpFlowKey, IActorRef> _subflows = [];
    private readonly Dictionary<IActorRef, TcpFlowKey> _keys = [];
    // Subflows that are plain TCP connections of their own (no MPTCP connection owns them), as `mptcp info` lists them.
    private readonly HashSet<IActorRef> _plain = [];
    private readonly Dictionary<ushort, IActorRef> _listeners = [];
    // Ports whose SYNs go to an MPTCP listener (the node's MptcpManager), which finds or makes the connection first.
    private readonly Dictionary<ushort, IActorRef> _mptcpListeners = [];
    // SYNs handed to an MPTCP listener and not answered yet: a retransmitted SYN must not make a second connection.
    private readonly HashSet<TcpFlowKey> _pendingSyns = [];
    private readonly byte[] _frame = new byte[TcpFraming.HeaderRoom(true) + 70_000];
    private readonly TcpCoreOptions _options;
    private readonly LinkResponder _responder;
    private readonly NeighborTable _neighbors = new();
    private readonly FrameDispatcher _dispatcher;
    private readonly LinkContext? _link;
    private ushort _ipId;
    private ushort _nextEphemeral = 32768;

    public InterfaceActor(InterfaceSetup setup)
    {
        _setup = setup;
        _address = new byte[setup.Address.Length];
        setup.Address.CopyTo(_address);
        _options = setup.Options;
        _responder = new LinkResponder(setup.Mac, setup.Address);
        _local = new LocalAddresses(setup.Address, setup.NodeAddresses);
        _dispatcher = new FrameDispatcher(_local, Self);
        _link = setup.DirectDevice is { } device ? new LinkContext(setup, device) : null;
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private static long NowNs => MonotonicClock.NowNs(Context.System.Scheduler);

    private sealed class RetryNeighbors
    {
        public static readonly RetryNeighbors Instance = new();
    }

    public static Props Props(InterfaceSetup setup) => Akka.Actor.Props.Create(() => new InterfaceActor(setup));


    protected override void PreStart()
    {
        _setup.Device.Actor.Tell(new AttachInterface(_setup.Device.Port, _dispatcher));
        Timers.StartPeriodicTimer("neighbors", RetryNeighbors.Instance, TimeSpan.FromMilliseconds(250));
    }

    /// <summary>
    /// A child that fails (a connection or subflow hit a bug or impossible input) is stopped, never restarted: a fresh
    /// actor would not know the state its peer has; stopping resets its subflows, which the peer sees as an abort.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case FrameIn f:
                OnFrame(f.Frame);
                break;
            case SegmentOut s:
                Transmit(s.Key, s.Segment);
                break;
            case RetryNeighbors:
                foreach (var hop in _neighbors.DueRetries(NowNs).ToList()) Emit(_responder.Request(hop));
                break;
            case CarrierChanged { Up: false }:
                _neighbors.Clear();
                _link?.ForgetNeighbors();
                break;
            case CarrierChanged:
                _neighbors.ForgetRequests();
                foreach (var hop in _neighbors.DueRetries(NowNs).ToList()) Emit(_responder.Request(hop));
                break;
            case SubflowStopped stopped:
                if (_subflows.Remove(stopped.Key, out var actor)) Forget(actor);
                _dispatcher.Table = _dispatcher.Table.Remove(stopped.Key);
                break;
            case TcpMsg.Connect c:
                Connect(c);
                break;
            case TcpMsg.Bind b:
                Bind(b);
                break;
            case ListenMptcp l:
                if (l.Listener.IsNobody()) _mptcpListeners.Remove(l.Port);
                else _mptcpListeners[l.Port] = l.Listener;
                break;
            case OpenSubflow o:
                OpenMptcp(o);
                break;
            case AcceptSubflow a:
                _pendingSyns.Remove(a.Key);
                if (!_subflows.ContainsKey(a.Key)) Start(a.Key, NewStart(a.Key) with { Syn = a.Syn, Owner = a.Owner, Mptcp = a.Setup });
                break;
            case RefuseSubflow r:
                _pendingSyns.Remove(r.Key);
                if (TcpSegment.TryParse(r.Syn, out var refused)) Reset(r.Key, refused);
                break;
            case ListTcpConnections:
                Sender.Tell(new TcpConnectionList(_plain.ToList()));
                break;
            case TcpMsg.Unbind:
                foreach (var port in _listeners.Where(l => l.Value.Equals(Sender)).Select(l => l.Key).ToList()) _listeners.Remove(port);
                Sender.Tell(TcpMsg.Unbound.Instance);
                break;
            case Terminated t:
                if (_keys.TryGetValue(t.ActorRef, out var key))
                {
                    Forget(t.ActorRef);
                    _subflows.Remove(key);
                    _dispatcher.Table = _dispatcher.Table.Remove(key);
                }
                foreach (var port in _listeners.Where(l => l.Value.Equals(t.ActorRef)).Select(l => l.Key).ToList()) _listeners.Remove(port);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Connect(TcpMsg.Connect c)
    {
        if (c.RemoteAddress is not IPEndPoint remote || remote.AddressFamily != (_setup.Address.IsIpv6 ? System.Net.Sockets.AddressFamily.InterNetworkV6 : System.Net.Sockets.AddressFamily.InterNetwork))
        {
            Sender.Tell(new TcpMsg.CommandFailed(c));
            return;
        }
        var remoteAddress = IpAddressBytes.From(remote.Address);
        var localPort = c.LocalAddress is IPEndPoint l && l.Port != 0 ? (ushort)l.Port : EphemeralPort(remoteAddress, (ushort)remote.Port);
        var key = new TcpFlowKey(_setup.Address, localPort, remoteAddress, (ushort)remote.Port);
        if (_subflows.ContainsKey(key))
        {
            Sender.Tell(new TcpMsg.CommandFailed(c));
            return;
        }
        Start(key, NewStart(key) with { Commander = Sender, Connect = c });
    }

    /// <summary>An MPTCP connection's subflow from this interface's address; failures go back to the owner as a closed subflow.</summary>
    private void OpenMptcp(OpenSubflow o)
    {
        var localPort = o.LocalPort != 0 ? o.LocalPort : EphemeralPort(o.RemoteAddress, o.RemotePort);
        var key = new TcpFlowKey(_setup.Address, localPort, o.RemoteAddress, o.RemotePort);
        if (_subflows.ContainsKey(key) || o.RemoteAddress.Length != _setup.Address.Length)
        {
            o.Owner.Tell(new SubflowDown(new SubflowFinished(key, 0, 0, 0, 0, TcpCloseReason.Refused), null));
            return;
        }
        Start(key, NewStart(key) with { Owner = o.Owner, Mptcp = o.Setup });
    }

    private SubflowStart NewStart(TcpFlowKey key) =>
        new(key, Self, _options, _setup.Isn.Next(key.LocalAddress, key.LocalPort, key.RemoteAddress, key.RemotePort, NowNs),
            _setup.Isn.TimestampOffset(key.LocalAddress, key.LocalPort, key.RemoteAddress, key.RemotePort)) { Link = _link };

    private void Bind(TcpMsg.Bind b)
    {
        var port = b.LocalAddress is IPEndPoint ep ? (ushort)ep.Port : (ushort)0;
        if (port == 0 || _listeners.ContainsKey(port))
        {
            Sender.Tell(new TcpMsg.CommandFailed(b));
            return;
        }
        _listeners[port] = b.Handler;
        Context.Watch(b.Handler);
        Sender.Tell(new TcpMsg.Bound(new IPEndPoint(_setup.Address.ToIPAddress(), port)));
    }

    private void Start(TcpFlowKey key, SubflowStart start)
    {
        var actor = Context.ActorOf(SubflowActor.Props(start), $"subflow-{key.LocalPort}-{key.RemotePort}-{Guid.NewGuid():N}");
        _subflows[key] = actor;
        _keys[actor] = key;
        if (start.Mptcp is null) _plain.Add(actor);
        _dispatcher.Table = _dispatcher.Table.SetItem(key, actor);
        Context.Watch(actor);
    }

    private void Forget(IActorRef subflow)
    {
        _keys.Remove(subflow);
        _plain.Remove(subflow);
    }

    private void OnFrame(byte[] frame)
    {
        switch (TcpFraming.Unwrap(frame, _local, out var ip, out var seg))
        {
            case TcpFraming.Verdict.NotForUs:
                if (IcmpTooBig.TryParse(frame, _setup.Address, out var tooBig, out var mtu, out var ipHeader))
                {
                    if (_subflows.TryGetValue(tooBig, out var target)) target.Tell(new PathMtu(mtu, ipHeader));
                    return;
                }
                if (_responder.Handle(frame, Learn) is { } reply) Emit(reply);
                return;
            case not TcpFraming.Verdict.Segment:
                return;
        }
        var key = new TcpFlowKey(new IpAddressBytes(ip.Destination), seg.DestinationPort, new IpAddressBytes(ip.Source), seg.SourcePort);
        if (_subflows.TryGetValue(key, out var subflow))
        {
            subflow.Tell(new SegmentIn(seg.Bytes.ToArray()));
            return;
        }
        var isSyn = seg.Has(TcpFlags.Syn) && !seg.Has(TcpFlags.Ack) && !seg.Has(TcpFlags.Rst);
        if (isSyn && _mptcpListeners.TryGetValue(seg.DestinationPort, out var mptcpListener))
        {
            if (_pendingSyns.Add(key)) mptcpListener.Tell(new IncomingSyn(key, seg.Bytes.ToArray(), Self));
            return;
        }
        if (isSyn && _listeners.TryGetValue(seg.DestinationPort, out var listener))
        {
            Start(key, NewStart(key) with { Syn = seg.Bytes.ToArray(), Listener = listener });
            return;
        }
        Reset(key, seg);
    }

    /// <summary>Answers a segment no connection takes with RST, as a kernel does (RFC 9293 3.10.7.1).</summary>
    private void Reset(TcpFlowKey key, TcpSegment seg)
    {
        var room = TcpFraming.HeaderRoom(_setup.Address.IsIpv6);
        var n = TcpConnection.WriteResetFor(seg, _frame.AsSpan(room));
        if (n > 0) Send(key, n);
    }

    private void Transmit(TcpFlowKey key, byte[] segment)
    {
        segment.CopyTo(_frame.AsSpan(TcpFraming.HeaderRoom(_setup.Address.IsIpv6)));
        Send(key, segment.Length);
    }

    /// <summary>Frames the segment at <c>_frame[HeaderRoom..]</c> from the flow's local address to its remote one and sends it.</summary>
    private void Send(TcpFlowKey key, int segmentLength)
    {
        Span<byte> localBytes = stackalloc byte[16];
        Span<byte> remoteBytes = stackalloc byte[16];
        var localLength = key.LocalAddress.CopyTo(localBytes);
        var remoteLength = key.RemoteAddress.CopyTo(remoteBytes);
        var remote = key.RemoteAddress;
        if (_setup.NextHop(remote) is not { } hop) return; // no route: lost like on a wire
        var now = NowNs;
        var mac = _setup.StaticNeighbor?.Invoke(hop) ?? _neighbors.Lookup(hop, now);
        var n = TcpFraming.Wrap(_frame, _setup.Mac, mac ?? new byte[6], localBytes[..localLength], remoteBytes[..remoteLength], segmentLength, _ipId++);
        if (mac is not null)
        {
            Emit(_frame.AsSpan(0, n));
            return;
        }
        if (_neighbors.Enqueue(hop, _frame.AsSpan(0, n).ToArray(), now)) Emit(_responder.Request(hop));
    }

    private void Learn(IpAddressBytes ip, byte[] mac)
    {
        _link?.Learned(ip, mac);
        foreach (var waiting in _neighbors.Learn(ip, mac, NowNs))
        {
            mac.CopyTo(waiting, 0);
            Emit(waiting);
        }
    }

    /// <summary>
    /// Sends a frame: straight into a thread-safe device when the interface has one (the raw socket copies it before
    /// returning, so no copy and no extra actor hop), else as a message to the actor that owns the device (simulator).
    /// </summary>
    private void Emit(ReadOnlySpan<byte> frame)
    {
        if (_setup.DirectDevice is { } device)
        {
            try
            {
                device.Transmit(frame);
            }
            catch (ArgumentException)
            {
                // Larger than the link carries: lost like on a wire (the device counts it); TCP's PMTU handling recovers.
            }
            return;
        }
        _setup.Device.Actor.Tell(new FrameOut(_setup.Device.Port, frame.ToArray()));
    }

    private ushort EphemeralPort(IpAddressBytes remote, ushort remotePort)
    {
        for (var i = 0; i < 28232; i++)
        {
            var port = _nextEphemeral;
            _nextEphemeral = (ushort)(_nextEphemeral >= 60999 ? 32768 : _nextEphemeral + 1);
            if (!_subflows.ContainsKey(new TcpFlowKey(_setup.Address, port, remote, remotePort))) return port;
        }
        throw new InvalidOperationException("no ephemeral port left");
    }
}
