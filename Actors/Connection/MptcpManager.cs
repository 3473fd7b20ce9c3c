using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Event;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Metrics;
using MptcpActors.Actors.Mptcp;
using MptcpActors.Actors.Mptcp.Scheduling;
using MptcpActors.Actors.PathManagement;
using MptcpActors.Actors.Tcp.Congestion;
using MptcpActors.Transport.Crypto;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Actors.Connection;

/// <summary>
/// The node's MPTCP entry point, as Akka.IO's TCP manager is for TCP: Connect opens a connection (a ConnectionActor
/// whose initial subflow leaves through the interface that routes to the peer), Bind listens on every interface of
/// the node. It registers every connection's token in the node's <see cref="ITokenRegistry"/>, so a SYN with MP_JOIN
/// arriving on any interface reaches its connection (on a lone node a dictionary; in a cluster a shard region, and the
/// join may have arrived on another node). With MPTCP
/// disabled (<c>mptcp.enabled = off</c>) Connect and Bind go to the interfaces as plain TCP.
/// </summary>
public sealed class MptcpManager : UntypedActor, IWithTimers
{
    private readonly MptcpSettings _settings;
    private readonly IReadOnlyList<InterfaceRoute> _interfaces;
    private readonly MptcpConnectionOptions _options;
    private readonly ITokenRegistry _registry;
    private readonly Dictionary<IActorRef, uint> _tokenOf = [];
    private readonly Dictionary<ushort, IActorRef> _binds = [];
    private readonly Dictionary<ushort, IEnumerable<Akka.IO.Inet.SocketOption>> _bindOptions = [];
    private readonly HashSet<ushort> _pullBinds = [];
    private readonly HashSet<ushort> _endpointPorts = [];
    private IActorRef _pathManager = ActorRefs.Nobody;
    private PathManagerView _view;
    private readonly MptcpMetrics _metrics;

    public MptcpManager(MptcpSettings settings, IReadOnlyList<InterfaceRoute> interfaces, MptcpMetrics? metrics = null, ITokenRegistry? registry = null)
    {
        _settings = settings;
        _registry = registry ?? new LocalTokenRegistry();
        _interfaces = interfaces;
        _metrics = metrics ?? MptcpMetrics.Shared;
        _options = new MptcpConnectionOptions
        {
            SendBuffer = settings.Tcp.SendBuffer,
            ReceiveWindow = settings.ReassemblyMemory,
            Scheduler = settings.Scheduler.ToKind(),
            StaleLossCount = settings.StaleLossCount,
        };
        _view = PathManagerView.From(settings);
    }

    /// <summary>
    /// The manager of a node; <paramref name="metrics"/> counts its events (the process-wide instance when null),
    /// <paramref name="registry"/> finds connections by token (this node's alone when null; a cluster's shard region).
    /// </summary>
    public static Props Props(MptcpSettings settings, IReadOnlyList<InterfaceRoute> interfaces, MptcpMetrics? metrics = null, ITokenRegistry? registry = null) =>
        Akka.Actor.Props.Create(() => new MptcpManager(settings, interfaces, metrics, registry));

    /// <summary>
    /// Abort every connection (MP_FASTCLOSE to each peer) and answer <see cref="Akka.Done"/> once they are gone: the
    /// engine's shutdown runs this before the interfaces and their devices stop, so the peers learn the connections
    /// ended rather than finding out by timeouts.
    /// </summary>
    public sealed record AbortAllConnections
    {
        public static readonly AbortAllConnections Instance = new();
    }

    private sealed record AbortDone
    {
        public static readonly AbortDone Instance = new();
    }

    private readonly List<IActorRef> _abortWaiters = [];

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        _pathManager = Context.ActorOf(PathManagerActor.Props(_settings, _interfaces), "path-manager");
        ListenOnEndpointPorts();
        var self = Self;
        CoordinatedShutdown.Get(Context.System).AddTask(CoordinatedShutdown.PhaseServiceStop, $"mptcp-abort-{self.Path.Name}",
            () => self.Ask<Akka.Done>(AbortAllConnections.Instance, TimeSpan.FromSeconds(5)).ContinueWith(_ => Akka.Done.Instance));
    }

    /// <summary>Connections open now (registered tokens), for tests and reports.</summary>
    public sealed record CountConnections
    {
        public static readonly CountConnections Instance = new();
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
            case TcpMsg.Connect c:
                Connect(c);
                break;
            case TcpMsg.Bind b:
                Bind(b);
                break;
            case TcpMsg.Unbind:
                foreach (var port in _binds.Where(kv => kv.Value.Equals(Sender)).Select(kv => kv.Key).ToList()) Unbind(port);
                Sender.Tell(TcpMsg.Unbound.Instance);
                break;
            case IncomingSyn syn:
                OnSyn(syn);
                break;
            case IPathManagerCommand command:
                _pathManager.Forward(command);
                break;
            case PathManagerView view:
                foreach (var r in _interfaces.Where(r => view.DownInterfaces.Contains(r.Name) != _view.DownInterfaces.Contains(r.Name)))
                    r.Actor.Tell(new Interface.CarrierChanged(!view.DownInterfaces.Contains(r.Name)));
                _view = view;
                ListenOnEndpointPorts();
                break;
            case CountConnections:
                Sender.Tell(_tokenOf.Count);
                break;
            case ListConnections l:
                Sender.Tell(new ConnectionList(_tokenOf.Keys.Skip(l.Skip).Take(l.Max).ToList(), _settings.Enabled) { Total = _tokenOf.Count });
                break;
            case AbortAllConnections:
                _abortWaiters.Add(Sender);
                foreach (var connection in _tokenOf.Keys) connection.Tell(Akka.IO.Tcp.Abort.Instance);
                // The subflows send their RSTs as they handle the connection's abort: give them a moment on the wire.
                Timers.StartSingleTimer("abort-all", AbortDone.Instance, TimeSpan.FromMilliseconds(_tokenOf.Count == 0 ? 1 : 200));
                break;
            case AbortDone:
                foreach (var waiter in _abortWaiters) waiter.Tell(Akka.Done.Instance);
                _abortWaiters.Clear();
                break;
            case Terminated t:
                if (_tokenOf.Remove(t.ActorRef, out var token)) _registry.Unregister(token);
                foreach (var port in _binds.Where(kv => kv.Value.Equals(t.ActorRef)).Select(kv => kv.Key).ToList()) Unbind(port);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Connect(TcpMsg.Connect c)
    {
        if (c.RemoteAddress is not IPEndPoint remote)
        {
            Sender.Tell(new TcpMsg.CommandFailed(c));
            return;
        }
        var remoteAddress = IpAddressBytes.From(remote.Address);
        var route = c.LocalAddress is IPEndPoint local && !local.Address.Equals(IPAddress.Any) && !local.Address.Equals(IPAddress.IPv6Any)
            ? _interfaces.FirstOrDefault(r => r.Address.Equals(IpAddressBytes.From(local.Address)))
            : InterfaceRoute.For(_interfaces, remoteAddress);
        if (route is null)
        {
            Sender.Tell(new TcpMsg.CommandFailed(c));
            return;
        }
        if (!_settings.Enabled)
        {
            route.Actor.Forward(c);
            return;
        }
        Start(NewStart(c.Options) with
        {
            Commander = Sender,
            Connect = c,
            Interface = route,
            RemoteAddress = remoteAddress,
            RemotePort = (ushort)remote.Port,
            PullMode = c.PullMode,
        });
    }

    /// <summary>
    /// A new connection's start, either role: a fresh key, the node's path manager and metrics, and the node's scheduler
    /// and congestion control unless the Connect or Bind chose others (<see cref="MptcpSocketOptions"/>).
    /// </summary>
    private ConnectionStart NewStart(IEnumerable<Akka.IO.Inet.SocketOption>? options)
    {
        var scheduler = _options.Scheduler;
        var cc = _settings.CongestionControl.ToKind();
        foreach (var o in options ?? [])
        {
            if (o is MptcpSocketOptions.Scheduler s) scheduler = s.Kind;
            else if (o is MptcpSocketOptions.CongestionControl c) cc = c.Kind;
        }
        return new ConnectionStart(NewKey(), _settings, _options with { Scheduler = scheduler }, _interfaces)
        {
            PathManager = _pathManager,
            PathView = _view,
            Metrics = _metrics,
            CongestionControl = cc,
        };
    }

    private void Bind(TcpMsg.Bind b)
    {
        var endpoint = b.LocalAddress as IPEndPoint;
        var port = (ushort)(endpoint?.Port ?? 0);
        if (port == 0 || _binds.ContainsKey(port))
        {
            Sender.Tell(new TcpMsg.CommandFailed(b));
            return;
        }
        if (!_settings.Enabled)
        {
            foreach (var r in _interfaces) r.Actor.Tell(new TcpMsg.Bind(b.Handler, new IPEndPoint(r.Address.ToIPAddress(), port)));
        }
        else
        {
            foreach (var r in _interfaces) r.Actor.Tell(new ListenMptcp(port, Self));
        }
        _binds[port] = b.Handler;
        _bindOptions[port] = b.Options;
        ListenerEvent(PmEventKind.ListenerCreated, port);
        if (b.PullMode) _pullBinds.Add(port);
        else _pullBinds.Remove(port);
        Context.Watch(b.Handler);
        Sender.Tell(new TcpMsg.Bound(new IPEndPoint(endpoint!.Address, port)));
    }

    private void Unbind(ushort port)
    {
        _binds.Remove(port);
        _bindOptions.Remove(port);
        ListenerEvent(PmEventKind.ListenerClosed, port);
        if (!_endpointPorts.Contains(port))
            foreach (var r in _interfaces) r.Actor.Tell(new ListenMptcp(port, ActorRefs.Nobody));
    }

    private void ListenerEvent(PmEventKind kind, ushort port)
    {
        foreach (var r in _interfaces) _pathManager.Tell(new PmEvent(kind, 0) { LocalAddress = r.Address, LocalPort = port });
    }

    /// <summary>
    /// A signal endpoint with a port gets its own listener (Linux: mptcp_pm_nl_create_listen_socket), taking only MP_JOINs
    /// (other SYNs there are refused unless the application bound the port too); it closes with the endpoint.
    /// </summary>
    private void ListenOnEndpointPorts()
    {
        var ports = _view.Endpoints.Where(ep => ep.Port is not null && ep.Flags.HasFlag(EndpointFlags.Signal)).Select(ep => (ushort)ep.Port!.Value).ToHashSet();
        foreach (var port in ports.Where(p => !_endpointPorts.Contains(p)).ToList())
        {
            _endpointPorts.Add(port);
            if (_binds.ContainsKey(port)) continue;
            foreach (var r in _interfaces) r.Actor.Tell(new ListenMptcp(port, Self));
            ListenerEvent(PmEventKind.ListenerCreated, port);
        }
        foreach (var port in _endpointPorts.Where(p => !ports.Contains(p)).ToList())
        {
            _endpointPorts.Remove(port);
            if (_binds.ContainsKey(port)) continue;
            foreach (var r in _interfaces) r.Actor.Tell(new ListenMptcp(port, ActorRefs.Nobody));
            ListenerEvent(PmEventKind.ListenerClosed, port);
        }
    }

    /// <summary>
    /// A SYN reached a bound port: MP_JOIN goes to the connection that owns its token (RFC 8684 3.2; an unknown token
    /// is refused with RST); anything else opens a new connection — MPTCP if it carries MP_CAPABLE, else plain TCP
    /// (fallback) under the same application API.
    /// </summary>
    private void OnSyn(IncomingSyn syn)
    {
        if (!TcpSegment.TryParse(syn.Syn, out var seg))
        {
            syn.Interface.Tell(new RefuseSubflow(syn.Key, syn.Syn));
            return;
        }
        if (FindJoin(seg.Options) is { } join)
        {
            _metrics.MpJoinSynRx.Add(1);
            if (!_registry.TryRoute(new JoinRequest(syn, join)))
            {
                _metrics.MpJoinNoTokenFound.Add(1);
                Context.GetLogger().Info("MP_JOIN from {0} for unknown token {1:x8} refused", syn.Key, join.Token);
                syn.Interface.Tell(new RefuseSubflow(syn.Key, syn.Syn));
            }
            return;
        }
        if (!_binds.TryGetValue(syn.Key.LocalPort, out var handler))
        {
            syn.Interface.Tell(new RefuseSubflow(syn.Key, syn.Syn));
            return;
        }
        if (HasCapable(seg.Options)) _metrics.MpCapableSynRx.Add(1);
        Start(NewStart(_bindOptions.GetValueOrDefault(syn.Key.LocalPort)) with
        {
            Syn = syn,
            BindHandler = handler,
            PullMode = _pullBinds.Contains(syn.Key.LocalPort),
        });
    }

    private void Start(ConnectionStart start)
    {
        var token = MptcpCrypto.Token(start.LocalKey);
        var actor = Context.ActorOf(ConnectionActor.Props(start with { NodeWatcher = _registry.NodeWatcher }), $"connection-{token:x8}");
        _registry.Register(token, actor);
        _tokenOf[actor] = token;
        Context.Watch(actor);
    }

    /// <summary>A random key whose token the registry lets this node take (RFC 8684 3.1: tokens identify connections locally).</summary>
    private ulong NewKey()
    {
        Span<byte> b = stackalloc byte[8];
        while (true)
        {
            RandomNumberGenerator.Fill(b);
            var key = BinaryPrimitives.ReadUInt64BigEndian(b);
            if (key != 0 && _registry.CanTake(MptcpCrypto.Token(key))) return key;
        }
    }

    private static bool HasCapable(ReadOnlySpan<byte> options)
    {
        foreach (var o in new TcpOptionReader(options))
            if (o.Kind == TcpOptionKind.Mptcp && MpCapableOption.Read(o.Raw, out _) == MptcpOptionError.None) return true;
        return false;
    }

    private static MpJoinOption? FindJoin(ReadOnlySpan<byte> options)
    {
        foreach (var o in new TcpOptionReader(options))
            if (o.Kind == TcpOptionKind.Mptcp && MpJoinOption.Read(o.Raw, out var j) == MptcpOptionError.None && j.Stage == MpJoinStage.Syn) return j;
        return null;
    }
}
