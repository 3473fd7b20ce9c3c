using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Event;
using Akka.IO;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Metrics;
using MptcpActors.Actors.Mptcp;
using MptcpActors.Actors.Mptcp.Scheduling;
using MptcpActors.Actors.PathManagement;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Subflow;
using MptcpActors.Actors.Tcp;
using MptcpActors.Actors.Tcp.Congestion;
using MptcpActors.Transport.Crypto;
using MptcpActors.Transport.Wire.Mptcp;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Actors.Connection;

/// <summary>
/// One MPTCP connection (RFC 8684): owns its data level (<see cref="MptcpConnectionCore"/>), coordinates its
/// subflows (each a SubflowActor) by messages, applies the in-engine path manager's policy (announce signal
/// endpoints, join from subflow endpoints, follow ADD_ADDR / REMOVE_ADDR within the limits), and speaks Akka.IO's TCP
/// protocol to its application handler: Connected, Register, Write with ack, Received, Close / ConfirmedClose /
/// Abort, the ConnectionClosed events — so code written for Akka.IO's TCP runs on MPTCP unchanged.
/// </summary>
public sealed partial class ConnectionActor : UntypedActor, IWithTimers
{
    private const string DataTimerKey = "data-rto";
    private readonly ConnectionStart _start;
    private readonly ILoggingAdapter _log;
    private readonly Dictionary<IActorRef, SubflowEntry> _subflows = new(ActorRefByUid.Instance);
    private readonly List<SubflowFinished> _finished = [];
    private readonly int[] _chosen = new int[16];
    private readonly uint _localToken;
    private MptcpConnectionCore? _core;
    private SubflowEntry? _initial;
    private ulong? _remoteKey;
    private bool _fallback;
    private bool _checksums;
    private int _nextSubflowId;
    private IActorRef? _handler;
    private bool _keepOpenOnPeerClosed;
    private PendingWrite? _pending;
    private IActorRef? _closeCommander;
    private TcpMsg.CloseCommand? _closeCommand;
    private bool _closedReported;
    private bool _peerClosedReported;
    private ulong? _dataFinSent;
    private long _timerAt = long.MaxValue;
    private long _deadlineAt = long.MaxValue;
    private long _bytesReceived;
    private long _bytesSent;

    public ConnectionActor(ConnectionStart start)
    {
        _start = start;
        _pullMode = start.PullMode;
        _readingSuspended = start.PullMode;
        _localToken = MptcpCrypto.Token(start.LocalKey);
        _view = start.PathView;
        // Structured: every event of this connection carries its token (Serilog property MptcpToken).
        _log = Context.GetLogger().WithContext("MptcpToken", _localToken.ToString("x8"));
    }

    private MptcpMetrics Metrics => _start.Metrics;
    private ConnectionGauges? _gauges;
    private bool _countedEstablished;
    private long _reinjectedCounted;
    private long _staleCounted;
    private long _recoveredCounted;

    protected override void PostStop()
    {
        if (_gauges is not null) Metrics.Unregister(_gauges);
        if (_countedEstablished) Metrics.CurrentlyEstablished.Add(-1);
        AnswerEarlyJoins();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private static long NowNs => MonotonicClock.NowNs(Context.System.Scheduler);

    public static Props Props(ConnectionStart start) => Akka.Actor.Props.Create(() => new ConnectionActor(start));

    private sealed class DataTimer
    {
        public static readonly DataTimer Instance = new();
    }

    /// <summary>Both data streams are over and the subflows were told to close, but some have not finished closing.</summary>
    private sealed class LingerTimeout
    {
        public static readonly LingerTimeout Instance = new();
    }

    private sealed class FinalTimeout
    {
        public static readonly FinalTimeout Instance = new();
    }

    /// <summary>
    /// How long subflows may take to close once the connection is over: a subflow on a dead path cannot finish its
    /// FIN exchange, and the application must not wait for it (Linux releases the connection and resets leftovers).
    /// </summary>
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(5);

    /// <summary>A subflow as this connection tracks it.</summary>
    private sealed class SubflowEntry(int id, IActorRef actor, InterfaceRoute route)
    {
        public int Id { get; } = id;
        public IActorRef Actor { get; } = actor;
        public InterfaceRoute Route { get; } = route;
        public TcpFlowKey? Key;
        public bool Up;
        public bool IsJoin;
        public byte RemoteAddressId;
        /// <summary>We asked for this subflow to be a backup (our endpoint's flag, sent in MP_JOIN or MP_PRIO).</summary>
        public bool LocalBackup;
        public byte LocalAddressId;
        /// <summary>Closed on purpose (endpoint deleted, address removed or down, a controller's command): not opened again.</summary>
        public bool Withdrawn;
        public SubflowReport? Last;
        /// <summary>On this node: a message to it is never serialised, so it may carry a rented array.</summary>
        public bool Local { get; } = actor is IActorRefScope { IsLocal: true };
    }

    private SubflowEntry? SubflowOf(int id)
    {
        foreach (var e in _subflows.Values)
            if (e.Id == id) return e;
        return null;
    }

    private MptcpSettings Settings => _start.Settings;

    /// <summary>LIA or OLIA: every subflow hears of the others' windows and RTTs (RFC 6356 couples them).</summary>
    private bool _coupled => _start.CongestionControl is CongestionControlKind.Lia or CongestionControlKind.Olia;

    protected override void PreStart()
    {
        NodePathManager?.Tell(new RegisterConnection(_localToken, _view.Version));
        if (_start.Client)
        {
            var route = _start.Interface!;
            Metrics.MpCapableSynTx.Add(1);
            OpenSubflow(route, _start.RemoteAddress, _start.RemotePort, null);
        }
        else
        {
            var syn = _start.Syn!;
            var route = _start.Interfaces.First(r => r.Actor.Equals(syn.Interface));
            var entry = Track(Akka.Actor.ActorRefs.Nobody, route);
            _pendingAccepts[syn.Key] = entry;
            syn.Interface.Tell(new AcceptSubflow(syn.Key, syn.Syn, Self,
                new MptcpSubflowSetup(_start.LocalKey, Settings.Checksum)
                {
                    CongestionControl = _start.CongestionControl,
                    ConnectionWindow = _start.Options.ReceiveWindow,
                    DenyJoinId0 = !Settings.AllowJoinInitialAddrPort,
                    Metrics = Metrics,
                }));
        }
    }

    // A passive subflow's actor is made by its interface; until it speaks, the entry waits under its 4-tuple.
    private readonly Dictionary<TcpFlowKey, SubflowEntry> _pendingAccepts = [];

    protected override void OnReceive(object message)
    {
        var now = NowNs;
        switch (message)
        {
            case SubflowUp up:
                OnSubflowUp(Adopt(up.Key), up);
                break;
            case SubflowData d when Entry() is { } e:
                OnData(e, d);
                break;
            case SubflowReport r when Entry() is { } e:
                OnReport(e, r, now);
                break;
            case SubflowSendRefused refused:
                _core?.Requeue(Entry()?.Id, refused.Dsn, refused.Length);
                break;
            case SubflowDown down when _lostWithNode.Remove(Sender):
                // Already failed with its node, which was only leaving: its own figures replace the placeholder.
                var at = _finished.FindIndex(f => f.Key.Equals(down.Finished.Key) && f.BytesSent == 0 && f.BytesReceived == 0);
                if (at >= 0) _finished[at] = down.Finished;
                break;
            case SubflowDown down:
                OnSubflowDown(down, Sender);
                break;
            case Terminated t when _subflows.TryGetValue(t.ActorRef, out var gone):
                // Stopped without a word (its interface went away): treated as a reset.
                OnSubflowDown(new SubflowDown(new SubflowFinished(gone.Key ?? default, 0, 0, 0, 0, TcpCloseReason.Aborted), null), t.ActorRef);
                break;
            case SubflowNodeLost lost:
                OnNodeLost(lost.Node);
                break;
            case SetBackup change:
                OnSetBackup(change);
                break;
            case JoinRequest join:
                OnJoinRequest(join);
                break;
            case DataTimer:
                _timerAt = long.MaxValue;
                _core?.OnTimer(now); // nothing, when kept armed for a deadline since pushed later
                if (now >= _deadlineAt && _dataFinSent is { } fin && _core is { DataFinAcked: false }) Broadcast(new SendDataFin(fin));
                break;
            case GetConnectionInfo:
                Sender.Tell(Info());
                return;
            case LingerTimeout:
                // Reset what is left; its subflows report themselves down at once, or are listed as aborted shortly.
                AbortAll(fastClose: false);
                Timers.StartSingleTimer("final", FinalTimeout.Instance, TimeSpan.FromSeconds(1));
                break;
            case FinalTimeout:
                foreach (var e in _subflows.Values)
                    if (e.Key is { } key) _finished.Add(new SubflowFinished(key, 0, 0, 0, 0, TcpCloseReason.Aborted));
                Finish();
                return;
            case TcpMsg.ResumeReading:
                _readingSuspended = false;
                Deliver();
                if (_core is not null) Broadcast(DataAck(force: true)); // the window opened
                break;
            case TcpMsg.SuspendReading:
                _readingSuspended = true;
                break;
            case TcpMsg.Register r:
                _handler = r.Handler;
                _keepOpenOnPeerClosed = r.KeepOpenOnPeerClosed;
                Context.Watch(r.Handler);
                Deliver(); // what arrived before the handler registered
                break;
            case TcpMsg.Write w:
                PendingWrite.TryHold(ref _pending, _closeCommand is not null, w, Sender);
                break;
            case TcpMsg.Abort:
                _closeCommander = Sender;
                _closeCommand = TcpMsg.Abort.Instance;
                AbortAll(fastClose: true);
                ReportClosed(TcpMsg.Aborted.Instance);
                Finish();
                return;
            case TcpMsg.CloseCommand close:
                _closeCommander = Sender;
                _closeCommand = close;
                break;
            case Terminated t when t.ActorRef.Equals(_handler):
                AbortAll(fastClose: true);
                Finish();
                return;
            case Terminated:
                break; // a subflow that already reported itself down
            case var pm when PathManagerMessage(pm):
                break;
            default:
                Unhandled(message);
                return;
        }
        Pump(now);
    }

    private SubflowEntry? Entry() => _subflows.GetValueOrDefault(Sender);

    private SubflowEntry Track(IActorRef actor, InterfaceRoute route)
    {
        var entry = new SubflowEntry(_nextSubflowId++, actor, route);
        if (!actor.IsNobody()) _subflows[actor] = entry;
        return entry;
    }

    /// <summary>The entry of the subflow that sent <paramref name="key"/>'s first message (a passive subflow is known by its 4-tuple until then).</summary>
    private SubflowEntry Adopt(TcpFlowKey key)
    {
        if (_subflows.TryGetValue(Sender, out var known)) return known;
        var entry = _pendingAccepts.Remove(key, out var pending) ? pending : null;
        var adopted = new SubflowEntry(entry?.Id ?? _nextSubflowId++, Sender, entry?.Route ?? _start.Interfaces.First(r => r.Address.Equals(key.LocalAddress)))
        {
            LocalBackup = entry?.LocalBackup ?? false,
        };
        _subflows[Sender] = adopted;
        Context.Watch(Sender);
        // A subflow on another cluster node: its node's departure must fail it at once, not after RTOs.
        if (Sender.Path.Address.HasGlobalScope && !Sender.Path.Address.Equals(Self.Path.Address)) _start.NodeWatcher?.Tell(new WatchSubflowNode(Sender.Path.Address));
        return adopted;
    }

    /// <summary>
    /// A node carrying some of our subflows left the cluster or failed: they are down now (their outstanding data is
    /// reinjected on the others at once), as are joins accepted there that had not come up yet.
    /// </summary>
    private readonly HashSet<IActorRef> _lostWithNode = [];

    private void OnNodeLost(Address node)
    {
        foreach (var (key, pending) in _pendingAccepts.Where(kv => kv.Value.Route.Actor.Path.Address.Equals(node)).ToList())
        {
            _pendingAccepts.Remove(key);
            _joinsOpenedOrAccepted = Math.Max(0, _joinsOpenedOrAccepted - 1);
            _finished.Add(new SubflowFinished(key, 0, 0, 0, 0, TcpCloseReason.Aborted));
        }
        foreach (var lost in _subflows.Values.Where(e => e.Actor.Path.Address.Equals(node)).ToList())
        {
            _log.Info("connection {0:x8}: node {1} is gone, subflow {2} with it", _localToken, node, lost.Key);
            // Only unreachable, it may still be running: its subflow must not carry data nobody reads.
            lost.Actor.Tell(new AbortSubflow(false, MpTcpRstReason.Unspecified));
            _lostWithNode.Add(lost.Actor);
            OnSubflowDown(new SubflowDown(new SubflowFinished(lost.Key ?? default, 0, 0, 0, 0, TcpCloseReason.Aborted), null), lost.Actor);
        }
    }

    private void OpenSubflow(InterfaceRoute route, IpAddressBytes remote, ushort port, JoinParameters? join)
    {
        var nonce = join is null ? 0u : (uint)RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
        var setup = new MptcpSubflowSetup(_start.LocalKey, Settings.Checksum || _checksums, join, nonce)
        {
            CongestionControl = _start.CongestionControl,
            ConnectionWindow = _start.Options.ReceiveWindow,
            DenyJoinId0 = join is null && !Settings.AllowJoinInitialAddrPort,
            Metrics = Metrics,
        };
        if (join is not null) Metrics.MpJoinSynTx.Add(1);
        route.Actor.Tell(new OpenSubflow(remote, port, Self, setup));
        _opening++;
    }

    private int _opening;

    private void OnSubflowUp(SubflowEntry e, SubflowUp up)
    {
        e.Key = up.Key;
        e.Up = true;
        e.IsJoin = up.IsJoin;
        e.RemoteAddressId = up.RemoteAddressId;
        e.LocalBackup = up.LocalBackup;
        e.LocalAddressId = up.LocalAddressId;
        _joining.Remove((up.Key.LocalAddress, up.Key.RemoteAddress, up.Key.RemotePort));
        if (!up.IsJoin)
        {
            _opening = Math.Max(0, _opening - 1);
            _initial = e;
            _remoteKey = up.RemoteKey;
            _fallback = up.Fallback;
            _checksums = up.Checksums;
            _peerDenyJoinId0 = up.PeerDenyJoinId0;
            var remoteIdsn = up.RemoteKey is { } rk ? MptcpCrypto.Idsn(rk) : 0;
            CountInitialUp(up.Fallback);
            _core = new MptcpConnectionCore(_start.Options, MptcpCrypto.Idsn(_start.LocalKey), remoteIdsn);
            _core.AddSubflow(e.Id);
            var connected = new TcpMsg.Connected(ToEndPoint(up.Key.RemoteAddress, up.Key.RemotePort), ToEndPoint(up.Key.LocalAddress, up.Key.LocalPort));
            if (_start.Commander is { } commander) commander.Tell(connected, Self);
            else _start.BindHandler?.Tell(connected, Self);
            if (!_fallback) Publish(PmEventKind.Created, e);
            AnswerEarlyJoins();
        }
        else
        {
            if (_start.Client) _opening = Math.Max(0, _opening - 1);
            if (_core is null)
            {
                e.Actor.Tell(new AbortSubflow(false, MpTcpRstReason.MptcpSpecific));
                return;
            }
            (_start.Client ? Metrics.MpJoinSynAckRx : Metrics.MpJoinAckRx).Add(1);
            _core.AddSubflow(e.Id);
            e.Actor.Tell(DataAck(force: false));
            _rejoins.Remove((up.Key.LocalAddress, up.Key.RemoteAddress, up.Key.RemotePort));
            // Its endpoint's backup flag changed while the join was on its way: the peer learns the new one now.
            if (InEnginePm && _view.ByAddress(up.Key.LocalAddress) is { } ep && ep.Flags.HasFlag(EndpointFlags.Backup) != e.LocalBackup)
                OnSetBackup(new SetBackup(up.Key.LocalAddress, !e.LocalBackup));
            Publish(PmEventKind.SubflowEstablished, e, backup: e.LocalBackup || up.PeerBackup);
        }
        _log.Debug("connection {0:x8}: subflow {1} up (join {2}, backup {3}/{4})", _localToken, up.Key, up.IsJoin, up.LocalBackup, up.PeerBackup);
    }

    private void OnData(SubflowEntry e, SubflowData d)
    {
        if (_core is null) return;
        foreach (var c in d.Chunks)
        {
            // In-order data that fits a hole goes to the application in the subflow's own (fresh) array rather than
            // through the reassembly ring: two copies and an allocation less (about half the bytes of the failover
            // benchmark, two paths of different delays: the rest arrives ahead of a hole or overlaps held bytes).
            if (c.Data.Length > 0 && _handler is not null && !_readingSuspended && _core.TryReadThrough(c.Dsn, c.Data.Length)) Hand(c.Data, c.Data.Length);
            else _core.OnData(c.Dsn, c.Data);
        }
        Deliver();
        e.Actor.Tell(DataAck(force: true));
        // One immutable message serves every other subflow: the data level's ACK is the same on all of them.
        var update = DataAck(force: false);
        foreach (var other in _subflows.Values)
            if (other != e && other.Up) other.Actor.Tell(update);
    }

    private void OnReport(SubflowEntry e, SubflowReport r, long now)
    {
        if (_core is null) return;
        e.Last = r;
        if (e == _initial && r.FullyEstablished && !_fullyEstablished && !_fallback)
        {
            _fullyEstablished = true;
            OnEstablished();
        }
        // Either side's wish makes a backup (Linux: subflow->backup || subflow->request_bkup).
        UpdateView(e);
        if (r.PeerDataAck is { } ack)
        {
            var finPending = _core.DataFinDsn is not null && !_core.DataFinAcked;
            var freed = _core.OnDataAck(ack, r.PeerWindowEnd, now);
            _bytesSent += freed;
            if (finPending && _core.DataFinAcked && !_fallback) Broadcast(new SendDataFin(null));
        }
        if (r.PeerDataFin is { } fin)
        {
            _core.OnPeerDataFin(fin);
            Deliver();
        }
        if (_coupled)
        {
            var figures = new PeerCongestion(e.Id, r.CongestionWindow, r.SrttNs, r.Mss, r.BytesSinceLastLoss, r.BytesBetweenLastTwoLosses);
            foreach (var other in _subflows.Values)
                if (other != e && other.Up) other.Actor.Tell(figures);
        }
        if (r.Signals is { } signals)
            foreach (var s in signals) OnSignal(e, s);
    }

    /// <summary>What the scheduler sees of a subflow: its last report, backup when either side wants it (staleness is the core's judgement).</summary>
    private void UpdateView(SubflowEntry e)
    {
        if (_core is null || e.Last is not { } r) return;
        _core.UpdateSubflow(new SubflowView(e.Id, r.SrttNs, r.CongestionWindow, r.BytesInFlight, r.SendSpace, r.Mss, r.PeerBackup || e.LocalBackup,
            false, e.Up, r.RtoNs, r.Unacknowledged, r.LastAckNs, r.Handed), retransmissionTimedOut: r.RtoBackoffs > 0);
    }

    private void OnSubflowDown(SubflowDown down, IActorRef subflow)
    {
        _finished.Add(down.Finished);
        // A join accepted here but refused by its subflow (bad HMAC, stage) never came up: it frees its place too.
        if (_pendingAccepts.Remove(down.Finished.Key) && _core is not null) _joinsOpenedOrAccepted = Math.Max(0, _joinsOpenedOrAccepted - 1);
        if (_subflows.Remove(subflow, out var e))
        {
            // The limit counts subflows that exist (Linux: pm.subflows), so a closed join frees its place.
            if (e.IsJoin) _joinsOpenedOrAccepted = Math.Max(0, _joinsOpenedOrAccepted - 1);
            if (e.Up && !_fallback) Publish(PmEventKind.SubflowClosed, e, error: down.Finished.Reason == TcpCloseReason.Closed ? null : Describe(down));
            MaybeRejoin(e, down.Finished);
            _core?.RemoveSubflow(e.Id);
            if (_coupled) Broadcast(new PeerCongestion(e.Id, 0, 0, 0, 0, 0, Gone: true));
        }
        else
        {
            _opening = Math.Max(0, _opening - 1); // refused before it became an actor
            if (_joining.Remove((down.Finished.Key.LocalAddress, down.Finished.Key.RemoteAddress, down.Finished.Key.RemotePort)))
            {
                _joinsOpenedOrAccepted = Math.Max(0, _joinsOpenedOrAccepted - 1);
                NodePathManager?.Tell(new PmEvent(PmEventKind.SubflowClosed, _localToken)
                {
                    LocalAddress = down.Finished.Key.LocalAddress, LocalPort = down.Finished.Key.LocalPort,
                    RemoteAddress = down.Finished.Key.RemoteAddress, RemotePort = down.Finished.Key.RemotePort, Error = Describe(down),
                });
            }
        }
        _log.Debug("connection {0:x8}: subflow {1} down: {2}", _localToken, down.Finished.Key, down.Finished.Reason);
        if (_subflows.Count > 0 || _opening > 0 && _core is not null) return;
        if (_core is null && _start is { Connect: { } connect, Commander: { } commander } && !_closedReported)
        {
            // Refused or timed out before the initial subflow came up: Akka.IO answers the Connect with CommandFailed.
            commander.Tell(new TcpMsg.CommandFailed(connect));
            _closedReported = true;
        }
        if (!_closedReported)
        {
            var done = _core is not null && SendDone && _core.PeerClosed;
            ReportClosed(done ? ClosedEvent() : down.PeerResetReason is not null || down.Finished.Reason == TcpCloseReason.Reset
                ? new TcpMsg.ErrorClosed("Connection reset by peer")
                : new TcpMsg.ErrorClosed($"all subflows closed ({down.Finished.Reason})"));
        }
        Finish();
    }

    /// <summary>After every message: application data into the send buffer, chunks onto subflows, DATA_FIN and the close when due.</summary>
    private void Pump(long now)
    {
        if (_core is null) return;
        PushWrites();
        var ids = _chosen.AsSpan();
        while (true)
        {
            var n = _core.NextChunk(ids, out var dsn, out var length, now);
            if (n == 0) break;
            if (_core.BytesReinjected > 0) EndInfiniteFallback();
            if (n == 1 && SubflowOf(ids[0]) is { Local: true } only)
            {
                // One subflow on this node: the chunk travels in a rented array, which the subflow gives back.
                var rented = ArrayPool<byte>.Shared.Rent(length);
                _core.CopySendData(dsn, rented.AsSpan(0, length));
                only.Actor.Tell(new RentedSubflowSend(dsn, rented, length));
                continue;
            }
            var data = GC.AllocateUninitializedArray<byte>(length); // filled whole at once: zeroing it first was wasted
            _core.CopySendData(dsn, data);
            for (var i = 0; i < n; i++)
                if (SubflowOf(ids[i]) is { } e) e.Actor.Tell(new SubflowSend(dsn, data));
        }
        if (_closeCommand is TcpMsg.Close or TcpMsg.ConfirmedClose && _pending is null) _core.Close();
        if (_core.DataFinDsn is { } fin && _core.AllSent && _dataFinSent is null && !_fallback)
        {
            _log.Debug("connection {0:x8}: all data sent, DATA_FIN at {1}", _localToken, fin);
            _dataFinSent = fin;
            Broadcast(new SendDataFin(fin));
        }
        if (_fallback && _core.DataFinDsn is not null && _core.AllSent && _dataFinSent is null)
        {
            // Plain TCP underneath: the subflow's FIN is the end of the stream.
            _dataFinSent = 0;
            _initial?.Actor.Tell(CloseSubflow.Instance);
        }
        CheckClosed();
        Rearm();
        Publish();
    }

    /// <summary>The initial subflow is up: MP_CAPABLE completed (each role counts what it received) or fell back.</summary>
    private void CountInitialUp(bool fallback)
    {
        if (fallback)
        {
            (_start.Client ? Metrics.MpCapableFallbackSynAck : Metrics.MpCapableFallbackAck).Add(1);
            return;
        }
        (_start.Client ? Metrics.MpCapableSynAckRx : Metrics.MpCapableAckRx).Add(1);
        Metrics.CurrentlyEstablished.Add(1);
        _countedEstablished = true;
        _gauges = Metrics.Register(_localToken);
    }

    /// <summary>The counters and gauges that follow the data level: reinjected bytes and stale subflows as they grow, the connection's figures.</summary>
    private void Publish()
    {
        if (_core is null) return;
        AddGrowth(Metrics.ReinjectedBytes, _core.BytesReinjected, ref _reinjectedCounted);
        AddGrowth(Metrics.SubflowStale, _core.SubflowsStale, ref _staleCounted);
        AddGrowth(Metrics.SubflowRecover, _core.SubflowsRecovered, ref _recoveredCounted);
        _gauges?.Update(_subflows.Count, _bytesSent, _bytesReceived, _core.BytesReinjected);
    }

    private static void AddGrowth(System.Diagnostics.Metrics.Counter<long> counter, long total, ref long counted)
    {
        if (total == counted) return;
        counter.Add(total - counted);
        counted = total;
    }

    private void PushWrites()
    {
        if (_pending is not { } p || _core is null) return;
        var rest = p.Rest;
        if (p.Advance(rest.IsEmpty ? 0 : _core.Write(rest))) _pending = null;
    }

    private DataLevelAck DataAck(bool force) => new(_core!.DataAck, _core.ReceiveWindowEnd, force);

    /// <summary>
    /// Hands what is readable to the handler: at once (push mode), or once per ResumeReading (Akka.IO's pull mode, and
    /// after SuspendReading). Unread data stays in the reassembly buffer, whose room is the window every subflow
    /// announces, so a slow reader slows the peer down instead of filling memory.
    /// </summary>
    private void Deliver()
    {
        if (_core is null || _handler is null || _readingSuspended) return;
        if (_core.Readable > 0)
        {
            var data = GC.AllocateUninitializedArray<byte>(_core.Readable);
            Hand(data, _core.Read(data));
        }
        if (_core.PeerClosed && !_peerClosedReported)
        {
            _peerClosedReported = true;
            Broadcast(DataAck(force: true));
            if (_closeCommand is not null) return; // our own close completes with the peer's DATA_FIN
            if (_keepOpenOnPeerClosed) _handler.Tell(TcpMsg.PeerClosed.Instance);
            else
            {
                _closeCommand = TcpMsg.Close.Instance;
                ReportClosed(TcpMsg.PeerClosed.Instance);
            }
        }
    }

    /// <summary>Gives the application <paramref name="count"/> bytes of <paramref name="data"/>, which it then owns.</summary>
    private void Hand(byte[] data, int count)
    {
        _bytesReceived += count;
        _handler!.Tell(new TcpMsg.Received(ByteString.FromBytes(data, 0, count)));
        if (_pullMode) _readingSuspended = true;
    }

    private void CheckClosed()
    {
        if (_core is null) return;
        var sendDone = SendDone;
        // In pull mode the peer's stream may be complete while the application has not read all of it: it is over
        // only once delivered, or the connection would end (and drop it) first.
        var peerDone = _core.PeerClosed && _core.Readable == 0;
        if (_closeCommand is TcpMsg.Close && sendDone) ReportClosed(TcpMsg.Closed.Instance);
        if (sendDone && (peerDone || _closeCommand is TcpMsg.Close) && !_subflowsClosing)
        {
            // Both data streams are finished (or Akka.IO's Close does not wait for the peer): the subflows end with FIN.
            if (_closeCommand is TcpMsg.ConfirmedClose && peerDone) ReportClosed(TcpMsg.ConfirmedClosed.Instance);
            if (peerDone || _closeCommand is TcpMsg.Close)
            {
                _subflowsClosing = true;
                Broadcast(CloseSubflow.Instance);
                Timers.StartSingleTimer("linger", LingerTimeout.Instance, Linger);
            }
        }
    }

    private bool _subflowsClosing;
    private readonly bool _pullMode;
    private bool _readingSuspended;

    /// <summary>Our stream is over: DATA_FIN acknowledged, or (fallen back) the subflow's FIN sent after all data.</summary>
    private bool SendDone => _core is not null && (_core.DataFinAcked || (_fallback && _dataFinSent is not null));
    private bool _fullyEstablished;

    private TcpMsg.ConnectionClosed ClosedEvent() => _closeCommand switch
    {
        TcpMsg.ConfirmedClose => TcpMsg.ConfirmedClosed.Instance,
        TcpMsg.Close => TcpMsg.Closed.Instance,
        _ => TcpMsg.PeerClosed.Instance,
    };

    private void ReportClosed(TcpMsg.ConnectionClosed closed)
    {
        if (_closedReported) return;
        _closedReported = true;
        _handler?.Tell(closed);
        if (_closeCommander is not null && !_closeCommander.Equals(_handler)) _closeCommander.Tell(closed);
    }

    private void AbortAll(bool fastClose)
    {
        foreach (var e in _subflows.Values)
        {
            if (fastClose && !_fallback) Metrics.MpFastcloseTx.Add(1);
            e.Actor.Tell(new AbortSubflow(fastClose && !_fallback, MpTcpRstReason.Unspecified));
        }
    }

    private void Broadcast(object message)
    {
        foreach (var e in _subflows.Values)
            if (e.Up) e.Actor.Tell(message);
    }

    /// <summary>The connection is over: the handler gets what it carried; the actor stops (its subflows stop with it).</summary>
    private void Finish()
    {
        if (_core is not null && !_fallback) NodePathManager?.Tell(new PmEvent(PmEventKind.Closed, _localToken));
        var to = _handler ?? _start.Commander;
        to?.Tell(new ConnectionFinished(_fallback ? null : _localToken, _fallback || _remoteKey is null ? null : MptcpCrypto.Token(_remoteKey.Value),
            _fallback, _checksums && !_fallback, _bytesSent, _bytesReceived, _core?.BytesReinjected ?? 0, _finished.ToList()));
        Context.Stop(Self);
    }

    private ConnectionInfo Info()
    {
        var subflows = _subflows.Values.Where(e => e.Up && e.Key is not null).Select(e =>
        {
            var r = e.Last;
            var (scheduled, reinjected) = _core?.SubflowBytes(e.Id) ?? (0, 0);
            return new SubflowInfo(e.Key!.Value, e.IsJoin, e.LocalBackup || r?.PeerBackup == true, _core?.IsStale(e.Id) == true, (r?.SrttNs ?? 0) / 1e6,
                r?.CongestionWindow ?? 0, r?.BytesInFlight ?? 0, scheduled, reinjected)
            {
                BytesRetransmitted = r?.BytesRetransmitted ?? 0,
                Node = e.Actor.Path.Address.HasGlobalScope && !e.Actor.Path.Address.Equals(Self.Path.Address) ? e.Actor.Path.Address.ToString() : null,
            };
        }).ToList();
        return new ConnectionInfo(_localToken, _remoteKey is { } k ? MptcpCrypto.Token(k) : null, _fallback, _checksums && !_fallback, _bytesSent,
            _bytesReceived, _core?.BytesReinjected ?? 0, subflows) { State = State(), Client = _start.Client, PathManager = Counters };
    }

    private string State()
    {
        if (_core is null) return _start.Client ? "SYN-SENT" : "SYN-RECV";
        var finSent = _dataFinSent is not null;
        return (finSent, _core.PeerClosed) switch
        {
            (false, false) => "ESTAB",
            (true, false) => "FIN-WAIT",
            (false, true) => "CLOSE-WAIT",
            _ => SendDone ? "TIME-WAIT" : "CLOSING",
        };
    }

    private void Rearm()
    {
        var at = _core?.NextDeadlineNs ?? long.MaxValue;
        // The DATA_FIN goes again a second after the connection's last turn: that timer restarts at every turn.
        var dataFinResend = _dataFinSent is not null && _core is { DataFinAcked: false } && at == long.MaxValue;
        if (dataFinResend) at = NowNs + 1_000_000_000;
        _deadlineAt = at;
        // The data-level RTO pushed later (on every DATA_ACK that advances) keeps the armed timer: firing early, it finds
        // nothing due and arms again. Restarting it on every DATA_ACK was a third of a simulated run's timer work.
        if (at == _timerAt || (!dataFinResend && at != long.MaxValue && at > _timerAt)) return;
        _timerAt = at;
        if (at == long.MaxValue) Timers.Cancel(DataTimerKey);
        // Rounded up to the timer's 100 ns ticks: firing before the deadline would find nothing due and re-arm at once.
        else Timers.StartSingleTimer(DataTimerKey, DataTimer.Instance, TimeSpan.FromTicks((Math.Max(0, at - NowNs) + 99) / 100));
    }

    private static EndPoint ToEndPoint(IpAddressBytes address, ushort port) => new IPEndPoint(address.ToIPAddress(), port);
}
