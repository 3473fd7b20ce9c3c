using System.Security.Cryptography;
using Akka.Actor;
using Akka.Event;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Mptcp;
using MptcpActors.Actors.PathManagement;
using MptcpActors.Actors.Subflow;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Connection;

/// <summary>
/// The in-engine path manager's policy for one connection, as Linux's in-kernel PM applies it (net/mptcp/pm_kernel.c):
/// <c>signal</c> endpoints are announced (ADD_ADDR, resent every add-addr-timeout until echoed, three times at most);
/// a client opens subflows from its <c>subflow</c> endpoints to the peer's initial address (unless the peer's MP_CAPABLE
/// denied joins there) and, from <c>fullmesh</c> ones, to every address the peer announced; an ADD_ADDR leads to a join
/// within <c>add-addr-accepted</c>; joins opened and accepted stay within <c>subflows</c>. A new view of the node's
/// endpoints applies its difference at once: a new endpoint is announced or joined from, a deleted one is withdrawn with
/// REMOVE_ADDR and its subflows reset, a backup change is sent as MP_PRIO; an interface that goes down takes its subflows
/// with it and, back up, is joined from again. A subflow of ours that fails while its addresses are still usable is
/// opened again (three tries, backing off). A controller (userspace PM) turns all of this off for the connection.
/// </summary>
public sealed partial class ConnectionActor
{
    /// <summary>Linux's ADD_ADDR_RETRANS_MAX: an unechoed ADD_ADDR is sent again this many times, add-addr-timeout apart.</summary>
    private const int AddAddrRetransmissions = 3;
    private const int RejoinAttempts = 3;
    private readonly HashSet<byte> _acceptedAddresses = [];
    private readonly Dictionary<byte, (IpAddressBytes Address, ushort? Port)> _remoteAddresses = [];
    private readonly Dictionary<byte, Announcement> _announced = [];
    private readonly HashSet<(IpAddressBytes Local, IpAddressBytes Remote, ushort Port)> _joining = [];
    private readonly Dictionary<(IpAddressBytes Local, IpAddressBytes Remote, ushort Port), int> _rejoins = [];
    private int _joinsOpenedOrAccepted;
    private PathManagerView _view;
    private IActorRef? _controller;
    private bool _peerDenyJoinId0;

    /// <summary>An address we announced: resent until echoed.</summary>
    private sealed class Announcement(IpAddressBytes address, ushort? port)
    {
        public IpAddressBytes Address { get; } = address;
        public ushort? Port { get; } = port;
        public bool Echoed;
        public int Retransmissions;
    }

    private sealed record AddAddrTimeout(byte AddressId);

    private sealed record Rejoin(IpAddressBytes Local, IpAddressBytes Remote, ushort Port, byte LocalId, bool Backup);

    private PathManagerLimits Limits => _view.Limits;

    /// <summary>The in-engine policy decides: the node runs it and no controller owns this connection.</summary>
    private bool InEnginePm => Settings.PathManager.Type == PathManagerType.InEngine && _controller is null;

    private bool PathManagerMessage(object message)
    {
        switch (message)
        {
            case PathManagerView view:
                ApplyView(view);
                return true;
            case ControlledBy c:
                _controller = c.Controller;
                return true;
            case AddAddrTimeout t:
                OnAddAddrTimeout(t.AddressId);
                return true;
            case Rejoin r:
                if (_start.Interfaces.FirstOrDefault(i => i.Address.Equals(r.Local)) is { } route && Usable(r.Local))
                    TryJoin(route, r.Remote, r.Port, r.LocalId, r.Backup);
                return true;
            case IConnectionPathCommand command:
                OnPathCommand(command);
                return true;
            default:
                return false;
        }
    }

    private void OnEstablished()
    {
        Publish(PmEventKind.Established, _initial);
        if (!InEnginePm || _initial is null) return;
        foreach (var ep in _view.Endpoints) Use(ep);
    }

    /// <summary>A new endpoint, or one back with its interface: announce it, join from it.</summary>
    private void Use(EndpointSettings ep)
    {
        if (_initial?.Key is not { } initial) return;
        var address = IpAddressBytes.From(ep.Address);
        if (address.Length != initial.LocalAddress.Length) return;
        var id = (byte)ep.Id;
        var backup = ep.Flags.HasFlag(EndpointFlags.Backup);
        // The initial subflow's own address needs no announcement (Linux accounts it as used already).
        if (ep.Flags.HasFlag(EndpointFlags.Signal) && !(address.Equals(initial.LocalAddress) && ep.Port is null)) Announce(id, address, ep.Port is { } p ? (ushort)p : null);
        if (!_start.Client || _start.Interfaces.FirstOrDefault(r => r.Address.Equals(address)) is not { } route || address.Equals(initial.LocalAddress)) return;
        if (ep.Flags.HasFlag(EndpointFlags.Subflow) && !_peerDenyJoinId0) TryJoin(route, _start.RemoteAddress, _start.RemotePort, id, backup);
        if (ep.Flags.HasFlag(EndpointFlags.Fullmesh))
            foreach (var remote in _acceptedAddresses.Where(_remoteAddresses.ContainsKey).Select(id => _remoteAddresses[id]).Where(r => r.Address.Length == address.Length))
                TryJoin(route, remote.Address, remote.Port ?? _start.RemotePort, id, backup);
    }

    /// <summary>
    /// A deleted endpoint, or one whose interface went down (Linux: mptcp_pm_remove_addrs_and_subflows): REMOVE_ADDR when it
    /// was announced or carries subflows, sent on another subflow when there is one; its subflows are closed (but
    /// <paramref name="spare"/>, the last one a carrier loss keeps).
    /// </summary>
    private void Withdraw(byte id, IpAddressBytes address, ushort? port, SubflowEntry? spare = null)
    {
        var announced = _announced.Remove(id);
        Timers.Cancel(AddAddrTimerKey(id));
        var victims = _subflows.Values.Where(e => e != spare && e.Key is { } k && k.LocalAddress.Equals(address) && (port is null || k.LocalPort == port)).ToList();
        if (announced || victims.Count > 0)
        {
            // While the path works, on the subflow being closed, just before its FIN: the peer then handles the REMOVE_ADDR
            // before the FIN (Linux's worker does PM work before closing subflows) and closes the subflow itself, as from a Linux peer.
            var carrier = Usable(address) ? victims.FirstOrDefault(e => e.Up) : null;
            carrier ??= _subflows.Values.FirstOrDefault(e => e.Up && !victims.Contains(e) && e.Key is { } k && Usable(k.LocalAddress));
            carrier?.Actor.Tell(new SendRemoveAddr([id]));
        }
        // Closed as Linux closes them (shutdown, then close): FIN while the path works, so the peer's REMOVE_ADDR handling
        // finds the subflow; reset when its address is gone.
        foreach (var v in victims)
        {
            v.Withdrawn = true;
            v.Actor.Tell(Usable(address) ? CloseSubflow.Instance : new AbortSubflow(false, MpTcpRstReason.AdministrativelyProhibited));
        }
    }

    private bool Usable(IpAddressBytes local) => !_view.DownAddresses.Contains(local);

    /// <summary>The node's endpoints or interfaces changed: apply the difference to this connection (Linux walks every msk).</summary>
    private void ApplyView(PathManagerView next)
    {
        var old = _view;
        _view = next;
        if (_core is null || !_fullyEstablished || _fallback) return;
        // A subflow dies with the interface it crosses, not with its local address: a join to our initial address that
        // came in over another path keeps working (as on Linux, whose weak host model takes it on any interface), and
        // with it the connection.
        var dying = _subflows.Values.Where(e => next.DownInterfaces.Contains(e.Route.Name) && !old.DownInterfaces.Contains(e.Route.Name)).ToList();
        // A carrier loss that would take every subflow keeps one (the initial, else the oldest): its TCP rides the outage
        // out by retransmitting, as Linux's does (Linux closes no subflow on carrier loss at all). The peer, told of the
        // same loss, keeps the same one; closing it would end the connection, or, where one end is not yet fully
        // established and keeps its subflow, leave that end's retransmissions to be reset by the other.
        var kept = dying.Count > 0 && _subflows.Values.All(e => e.Withdrawn || dying.Contains(e))
            ? _initial is not null && dying.Contains(_initial) ? _initial : dying.MinBy(e => e.Id)
            : null;
        if (kept is not null) dying.Remove(kept);
        foreach (var e in dying)
        {
            e.Withdrawn = true;
            e.Actor.Tell(new AbortSubflow(false, MpTcpRstReason.Unspecified));
        }
        if (!InEnginePm) return;
        static bool Same(EndpointSettings a, EndpointSettings b) => a.Id == b.Id && a.Address.Equals(b.Address) && a.Port == b.Port;
        foreach (var gone in old.Endpoints.Where(o => !next.Endpoints.Any(n => Same(o, n))))
            Withdraw((byte)gone.Id, IpAddressBytes.From(gone.Address), gone.Port is { } p ? (ushort)p : null, spare: kept);
        foreach (var ep in next.Endpoints)
        {
            var before = old.Endpoints.FirstOrDefault(o => Same(o, ep));
            if (before is null) Use(ep);
            else if (before.Flags.HasFlag(EndpointFlags.Backup) != ep.Flags.HasFlag(EndpointFlags.Backup))
                OnSetBackup(new SetBackup(IpAddressBytes.From(ep.Address), ep.Flags.HasFlag(EndpointFlags.Backup)));
        }
        // The initial subflow's address back up: join from it again (id 0) to the peer's initial address.
        if (_start.Client && !_peerDenyJoinId0 && _initial?.Key is { } initial && old.DownAddresses.Contains(initial.LocalAddress) && !next.DownAddresses.Contains(initial.LocalAddress)
            && _start.Interfaces.FirstOrDefault(r => r.Address.Equals(initial.LocalAddress)) is { } route)
            TryJoin(route, _start.RemoteAddress, _start.RemotePort, 0, backup: false);
    }

    private static string AddAddrTimerKey(byte id) => $"add-addr-{id}";

    private void Announce(byte id, IpAddressBytes address, ushort? port)
    {
        if (_announced.ContainsKey(id)) return;
        _announced[id] = new Announcement(address, port);
        SendAnnouncement(id, address, port);
    }

    private void SendAnnouncement(byte id, IpAddressBytes address, ushort? port)
    {
        var carrier = _initial is { Up: true } initial && _subflows.ContainsKey(initial.Actor) ? initial : _subflows.Values.FirstOrDefault(e => e.Up);
        if (carrier is not null) Metrics.AddAddrTx.Add(1);
        carrier?.Actor.Tell(new SendAddAddr(id, address, port, Echo: false));
        Timers.StartSingleTimer(AddAddrTimerKey(id), new AddAddrTimeout(id), Settings.AddAddrTimeout);
    }

    private void OnAddAddrTimeout(byte id)
    {
        if (!_announced.TryGetValue(id, out var a) || a.Echoed || a.Retransmissions >= AddAddrRetransmissions) return;
        a.Retransmissions++;
        _announcementsResent++;
        SendAnnouncement(id, a.Address, a.Port);
    }

    private void OnSignal(SubflowEntry from, MptcpSignal signal)
    {
        CountReceived(signal);
        switch (signal)
        {
            case AddAddrReceived { Echo: true } echo:
                if (_announced.TryGetValue(echo.AddressId, out var mine))
                {
                    mine.Echoed = true;
                    Timers.Cancel(AddAddrTimerKey(echo.AddressId));
                }
                break;
            case AddAddrReceived add:
                Metrics.EchoAddTx.Add(1);
                from.Actor.Tell(new SendAddAddr(add.AddressId, add.Address, add.Port, Echo: true));
                _remoteAddresses[add.AddressId] = (add.Address, add.Port);
                NodePathManager?.Tell(new PmEvent(PmEventKind.Announced, _localToken) { RemoteId = add.AddressId, RemoteAddress = add.Address, RemotePort = add.Port });
                FollowAnnouncement(add);
                break;
            case RemoveAddrReceived rm:
                foreach (var id in rm.AddressIds)
                {
                    var known = _remoteAddresses.Remove(id) | _acceptedAddresses.Remove(id);
                    var matching = _subflows.Values.Where(e => e.Up && e.RemoteAddressId == id && (e.IsJoin || id == 0)).ToList();
                    NodePathManager?.Tell(new PmEvent(PmEventKind.Removed, _localToken) { RemoteId = id });
                    if (!known && matching.Count == 0)
                    {
                        _unknownRemovals++;
                        Metrics.RmAddrDrop.Add(1);
                    }
                    foreach (var e in matching)
                    {
                        e.Withdrawn = true;
                        e.Actor.Tell(new AbortSubflow(false, MpTcpRstReason.AdministrativelyProhibited));
                    }
                }
                break;
            case PrioReceived prio:
                Publish(PmEventKind.SubflowPriority, from, backup: prio.Backup);
                break;
            case FastCloseReceived:
                AbortAll(fastClose: false);
                ReportClosed(new Akka.IO.Tcp.ErrorClosed("Connection closed by the peer's MP_FASTCLOSE"));
                Finish();
                break;
            case InvalidSignal invalid:
                _invalidSignals++;
                Metrics.AddAddrBadHmac.Add(1);
                _log.Warning("connection {0:x8}: {1}", _localToken, invalid.What);
                break;
            case FailReceived fail:
                _log.Warning("connection {0:x8}: MP_FAIL at DSN {1} on subflow {2}", _localToken, fail.Dsn, from.Key);
                // Once a failure is accepted no subflow may join (Linux: allow_subflows = false in mptcp_pm_mp_fail_received).
                if (_infiniteFallbackAllowed) _failing = true;
                break;
            case FailSent sent:
                _log.Warning("connection {0:x8}: DSS checksum failed at DSN {1} on subflow {2}: MP_FAIL sent, falling back", _localToken, sent.Dsn, from.Key);
                _failing = true;
                break;
            case FellBackToTcp:
                _log.Warning("connection {0:x8}: fell back to TCP on subflow {1}", _localToken, from.Key);
                _fallback = true;
                _core?.FallBack();
                // A DATA_FIN already sent would now go unseen: the subflow's FIN ends our stream instead.
                if (_dataFinSent is not null && _core is { DataFinAcked: false }) from.Actor.Tell(CloseSubflow.Instance);
                break;
        }
    }

    private void CountReceived(MptcpSignal signal)
    {
        if (signal is AddAddrReceived { Port: not null }) Metrics.PortAdd.Add(1);
        var counter = signal switch
        {
            AddAddrReceived { Echo: false } => Metrics.AddAddr,
            AddAddrReceived => Metrics.EchoAdd,
            RemoveAddrReceived => Metrics.RmAddr,
            PrioReceived => Metrics.MpPrioRx,
            FailReceived => Metrics.MpFailRx,
            FastCloseReceived => Metrics.MpFastcloseRx,
            _ => null,
        };
        counter?.Add(1);
    }

    /// <summary>
    /// An ADD_ADDR (Linux: mptcp_pm_nl_add_addr_received): followed within add-addr-accepted and subflows unless a subflow
    /// goes there already (beyond them: echoed, not followed, counted as AddAddrDrop); the join leaves from every fullmesh endpoint of the family, else from the interface that routes there.
    /// </summary>
    private void FollowAnnouncement(AddAddrReceived add)
    {
        // Linux stops accepting addresses once either limit is reached (pm.accept_addr goes false).
        var full = _acceptedAddresses.Count >= Limits.AddAddrAccepted || _joinsOpenedOrAccepted >= Limits.Subflows;
        if (!InEnginePm || _acceptedAddresses.Contains(add.AddressId) || full)
        {
            // A controller hears of it (the Announced event) and decides; without one, or beyond the limit, nobody will.
            var dropped = InEnginePm ? !_acceptedAddresses.Contains(add.AddressId) : _controller is null;
            if (dropped)
            {
                _announcementsIgnored++;
                Metrics.AddAddrDrop.Add(1);
            }
            return;
        }
        var port = add.Port ?? _start.RemotePort;
        if (_subflows.Values.Any(e => e.Key is { } k && k.RemoteAddress.Equals(add.Address) && k.RemotePort == port)) return;
        _acceptedAddresses.Add(add.AddressId);
        var fullmesh = _view.Endpoints.Where(ep => ep.Flags.HasFlag(EndpointFlags.Fullmesh)).Select(ep => (ep, Address: IpAddressBytes.From(ep.Address)))
            .Where(x => x.Address.Length == add.Address.Length && Usable(x.Address)).ToList();
        if (fullmesh.Count > 0)
        {
            foreach (var (ep, address) in fullmesh)
                if (_start.Interfaces.FirstOrDefault(r => r.Address.Equals(address)) is { } r)
                    TryJoin(r, add.Address, port, (byte)ep.Id, ep.Flags.HasFlag(EndpointFlags.Backup));
            return;
        }
        var route = InterfaceRoute.For(_start.Interfaces, add.Address) ?? _initial?.Route;
        if (route is not null && route.Address.Length == add.Address.Length && Usable(route.Address))
            TryJoin(route, add.Address, port, LocalIdFor(route.Address, null), backup: _view.ByAddress(route.Address)?.Flags.HasFlag(EndpointFlags.Backup) == true);
    }

    private void OnSetBackup(SetBackup change)
    {
        foreach (var e in _subflows.Values)
        {
            if (!e.Up || e.Key is not { } key || !key.LocalAddress.Equals(change.LocalAddress) || e.LocalBackup == change.Backup) continue;
            e.LocalBackup = change.Backup;
            Metrics.MpPrioTx.Add(1);
            e.Actor.Tell(new SendPrio(change.Backup));
            UpdateView(e);
        }
    }

    /// <summary>Opens a join unless one goes there already, within the subflow limit (a controller's joins: within Linux's 8).</summary>
    private bool TryJoin(InterfaceRoute route, IpAddressBytes remote, ushort port, byte localId, bool backup)
    {
        if (_remoteKey is not { } remoteKey || _fallback || _failing) return false;
        if (_joinsOpenedOrAccepted >= (InEnginePm ? Limits.Subflows : PathManagerLimits.LinuxMaximum)) return false;
        // Linux refuses joins once the connection is closing (it has our DATA_FIN, or sent its own): no use asking.
        if (_dataFinSent is not null || _core is { PeerClosed: true } || _subflowsClosing) return false;
        if (!_joining.Add((route.Address, remote, port))) return false;
        if (_subflows.Values.Any(e => e.Key is { } k && k.LocalAddress.Equals(route.Address) && k.RemoteAddress.Equals(remote) && k.RemotePort == port))
        {
            _joining.Remove((route.Address, remote, port));
            return false;
        }
        _joinsOpenedOrAccepted++;
        EndInfiniteFallback();
        OpenSubflow(route, remote, port, new JoinParameters(_start.LocalKey, remoteKey, localId, backup, _checksums));
        return true;
    }

    // Joins that came before the initial subflow reported the handshake done: the peer sends its join only once its
    // side is established, but here the join (interface, manager) and the initial subflow's third ACK travel different
    // actors and may arrive in either order. A kernel server has processed the third ACK first; so do we, by waiting.
    private List<JoinRequest>? _earlyJoins;

    /// <summary>
    /// After a join of ours went down: one that failed (reset, timed out) while its addresses are still usable is opened
    /// again, a second later, then two, then four; one we closed on purpose, or to an address the peer removed, is not.
    /// </summary>
    private void MaybeRejoin(SubflowEntry e, SubflowFinished finished)
    {
        _joining.Remove((finished.Key.LocalAddress, finished.Key.RemoteAddress, finished.Key.RemotePort));
        if (!_start.Client || !InEnginePm || e.Withdrawn || !e.Up || _core is null || _subflowsClosing || _dataFinSent is not null) return;
        if (finished.Reason is not (TcpCloseReason.Reset or TcpCloseReason.TimedOut)) return;
        var k = finished.Key;
        var ep = _view.ByAddress(k.LocalAddress);
        var ours = k.LocalAddress.Equals(_initial?.Route.Address) || ep is not null && (ep.Flags & (EndpointFlags.Subflow | EndpointFlags.Fullmesh)) != 0;
        var remoteKnown = k.RemoteAddress.Equals(_start.RemoteAddress) && !_peerDenyJoinId0 || _remoteAddresses.Values.Any(r => r.Address.Equals(k.RemoteAddress));
        if (!ours || !remoteKnown || !Usable(k.LocalAddress)) return;
        var tries = _rejoins.GetValueOrDefault((k.LocalAddress, k.RemoteAddress, k.RemotePort));
        if (tries >= RejoinAttempts) return;
        _rejoins[(k.LocalAddress, k.RemoteAddress, k.RemotePort)] = tries + 1;
        Timers.StartSingleTimer($"rejoin-{k}", new Rejoin(k.LocalAddress, k.RemoteAddress, k.RemotePort, e.LocalAddressId, e.LocalBackup),
            TimeSpan.FromSeconds(1 << tries));
    }

    /// <summary>
    /// A peer's MP_JOIN SYN with our token: accepted once the connection is established and not fallen back (RFC 8684 3.2),
    /// within the subflow limit (with a controller: while it lives, like Linux's userspace PM), on the initial port or one
    /// we announced (Linux: MismatchPortSynRx), and to the initial address and port only when allow-join-initial-addr-port;
    /// else refused with RST. One that comes before the initial subflow is up waits for it.
    /// </summary>
    private void OnJoinRequest(JoinRequest request)
    {
        var syn = request.Syn;
        if (_core is null && !_fallback && !_subflowsClosing)
        {
            (_earlyJoins ??= []).Add(request);
            return;
        }
        var to = syn.Key;
        var initial = _initial?.Key;
        var announcedPort = _announced.Values.Any(a => a.Port == to.LocalPort && a.Address.Equals(to.LocalAddress));
        var portMismatch = initial is { } i0 && to.LocalPort != i0.LocalPort && !announcedPort;
        var why = _core is null || _remoteKey is null ? "not established"
            : _fallback ? "fell back to TCP"
            : _failing ? "an MP_FAIL is under way"
            : _subflowsClosing ? "closing"
            // Its interface, not its address: Linux keeps a downed interface's address local, reachable over the others.
            : _start.Interfaces.FirstOrDefault(r => r.Actor.Equals(syn.Interface)) is { } via && _view.DownInterfaces.Contains(via.Name) ? $"interface {via.Name} is down"
            : portMismatch ? $"port {to.LocalPort} was not announced"
            : initial is { } j && !Settings.AllowJoinInitialAddrPort && to.LocalAddress.Equals(j.LocalAddress) && to.LocalPort == j.LocalPort
                ? "joins to the initial address and port are not allowed"
            : Settings.PathManager.Type == PathManagerType.Userspace && _controller is null ? "no controller"
            : _joinsOpenedOrAccepted >= (InEnginePm ? Limits.Subflows : PathManagerLimits.LinuxMaximum) ? $"subflow limit {Limits.Subflows} reached"
            : null;
        if (why is not null)
        {
            _log.Info("connection {0:x8}: MP_JOIN from {1} refused: {2}", _localToken, syn.Key, why);
            (portMismatch ? Metrics.MismatchPortSynRx : Metrics.MpJoinRejected).Add(1);
            syn.Interface.Tell(new RefuseSubflow(syn.Key, syn.Syn));
            return;
        }
        _joinsOpenedOrAccepted++;
        if (announcedPort) Metrics.MpJoinPortSynRx.Add(1);
        EndInfiniteFallback();
        // The join may have arrived on another cluster node's interface: its subflow lives there, on that address.
        var route = _start.Interfaces.FirstOrDefault(r => r.Actor.Equals(syn.Interface))
            ?? new InterfaceRoute(syn.Interface.Path.Name, syn.Key.LocalAddress, syn.Key.LocalAddress.Length * 8, false, syn.Interface);
        var localId = LocalIdFor(to.LocalAddress, announcedPort ? to.LocalPort : null);
        var backup = _view.ByAddress(to.LocalAddress)?.Flags.HasFlag(EndpointFlags.Backup) == true;
        var entry = Track(ActorRefs.Nobody, route);
        entry.LocalBackup = backup;
        _pendingAccepts[syn.Key] = entry;
        var setup = new MptcpSubflowSetup(_start.LocalKey, _checksums, new JoinParameters(_start.LocalKey, _remoteKey!.Value, localId, backup, _checksums),
            (uint)RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue))
        {
            CongestionControl = _start.CongestionControl,
            ConnectionWindow = _start.Options.ReceiveWindow,
            Metrics = _start.Interfaces.Contains(route) ? Metrics : null,
        };
        syn.Interface.Tell(new AcceptSubflow(syn.Key, syn.Syn, Self, setup));
    }

    /// <summary>
    /// The initial subflow stops being the only path with data in order (a join, or data reinjected): from now on a
    /// checksum failure resets a subflow rather than falling back (Linux clears allow_infinite_fallback for good).
    /// The subflow hears it before any join exists or any reinjected byte reaches it.
    /// </summary>
    private void EndInfiniteFallback()
    {
        if (!_infiniteFallbackAllowed) return;
        _infiniteFallbackAllowed = false;
        _initial?.Actor.Tell(DisallowInfiniteFallback.Instance);
    }

    private bool _infiniteFallbackAllowed = true;
    /// <summary>An MP_FAIL was sent or accepted: no more subflows, fallback is under way.</summary>
    private bool _failing;

    /// <summary>
    /// The address id of a local address: 0 for the initial subflow's, else its endpoint's (the one with this port first);
    /// an address that is no endpoint gets an id of its own, above the endpoints' (Linux: an implicit endpoint).
    /// </summary>
    private byte LocalIdFor(IpAddressBytes address, ushort? port)
    {
        if (port is not null)
            foreach (var (id, a) in _announced)
                if (a.Address.Equals(address) && a.Port == port) return id;
        if (_initial?.Key is { } k && address.Equals(k.LocalAddress)) return 0;
        foreach (var ep in _view.Endpoints)
            if (IpAddressBytes.From(ep.Address).Equals(address) && ep.Port is null) return (byte)ep.Id;
        if (_view.ByAddress(address) is { } any) return (byte)any.Id;
        if (_implicitIds.TryGetValue(address, out var known)) return known;
        var next = (byte)Math.Min(EndpointSettings.MaxId, _view.Endpoints.Select(e => e.Id).Append(_implicitIds.Count == 0 ? 0 : _implicitIds.Values.Max()).Max() + 1);
        _implicitIds[address] = next;
        return next;
    }

    private readonly Dictionary<IpAddressBytes, byte> _implicitIds = [];
    /// <summary>The joins that waited for the initial subflow, answered now that it is up (or refused, when it never will be).</summary>
    private void AnswerEarlyJoins()
    {
        if (_earlyJoins is not { } early) return;
        _earlyJoins = null;
        foreach (var join in early)
        {
            if (_core is null) join.Syn.Interface.Tell(new RefuseSubflow(join.Syn.Key, join.Syn.Syn));
            else OnJoinRequest(join);
        }
    }
}
