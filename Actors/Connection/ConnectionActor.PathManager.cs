using System.Security.Cryptography;
using Akka.Actor;
using Akka.Event;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Mptcp;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Connection;

/// <summary>
/// The in-engine path manager's policy for one connection, as Linux's in-kernel PM applies it (net/mptcp/pm_netlink.c):
/// a server announces its <c>signal</c> endpoints; a client opens subflows from its <c>subflow</c> endpoints to the
/// server's address and, on ADD_ADDR, one to the announced address; joins accepted and opened stay within
/// <c>limits.subflows</c>, announcements followed within <c>limits.add-addr-accepted</c>; REMOVE_ADDR closes the
/// subflows to the removed address.
/// </summary>
public sealed partial class ConnectionActor
{
    private readonly HashSet<byte> _acceptedAddresses = [];
    private readonly Dictionary<byte, (IpAddressBytes Address, ushort? Port)> _remoteAddresses = [];
    private int _joinsOpenedOrAccepted;

    private PathManagerLimits Limits => Settings.PathManager.Limits;
    private bool InEnginePm => Settings.PathManager.Type == PathManagerType.InEngine;

    private void OnEstablished()
    {
        if (!InEnginePm || _initial is null) return;
        if (!_start.Client)
        {
            foreach (var ep in Settings.PathManager.Endpoints)
            {
                if ((ep.Flags & EndpointFlags.Signal) == 0) continue;
                var address = IpAddressBytes.From(ep.Address);
                if (address.Length != _start.Interfaces[0].Address.Length && address.Length != _initial.Route.Address.Length) continue;
                if (address.Equals(_initial.Route.Address) && ep.Port is null) continue; // the initial address needs no announcement
                Metrics.AddAddrTx.Add(1);
                _initial.Actor.Tell(new SendAddAddr((byte)ep.Id, address, ep.Port is { } p ? (ushort)p : null, Echo: false));
            }
            return;
        }
        foreach (var ep in Settings.PathManager.Endpoints)
        {
            if ((ep.Flags & EndpointFlags.Subflow) == 0) continue;
            var address = IpAddressBytes.From(ep.Address);
            if (address.Equals(_initial.Route.Address) || address.Length != _start.RemoteAddress.Length) continue;
            if (_start.Interfaces.FirstOrDefault(r => r.Address.Equals(address)) is not { } route) continue;
            TryJoin(route, _start.RemoteAddress, _start.RemotePort, (byte)ep.Id, (ep.Flags & EndpointFlags.Backup) != 0);
        }
    }

    private void OnSignal(SubflowEntry from, MptcpSignal signal)
    {
        CountReceived(signal);
        switch (signal)
        {
            case AddAddrReceived { Echo: false } add:
                Metrics.EchoAddTx.Add(1);
                from.Actor.Tell(new SendAddAddr(add.AddressId, add.Address, add.Port, Echo: true));
                _remoteAddresses[add.AddressId] = (add.Address, add.Port);
                if (!InEnginePm || !_start.Client || _acceptedAddresses.Contains(add.AddressId)) break;
                if (_acceptedAddresses.Count >= Limits.AddAddrAccepted) break;
                _acceptedAddresses.Add(add.AddressId);
                var route = InterfaceRoute.For(_start.Interfaces, add.Address) ?? _initial?.Route;
                if (route is not null && route.Address.Length == add.Address.Length)
                    TryJoin(route, add.Address, add.Port ?? _start.RemotePort, LocalIdFor(route), backup: false);
                break;
            case RemoveAddrReceived rm:
                foreach (var id in rm.AddressIds)
                {
                    _remoteAddresses.Remove(id);
                    _acceptedAddresses.Remove(id);
                    foreach (var e in _subflows.Values)
                        if (e.Up && e.RemoteAddressId == id && (e.IsJoin || id == 0)) e.Actor.Tell(new AbortSubflow(false, MpTcpRstReason.AdministrativelyProhibited));
                }
                break;
            case FastCloseReceived:
                AbortAll(fastClose: false);
                ReportClosed(new Akka.IO.Tcp.ErrorClosed("Connection closed by the peer's MP_FASTCLOSE"));
                Finish();
                break;
            case InvalidSignal invalid:
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

    private void TryJoin(InterfaceRoute route, IpAddressBytes remote, ushort port, byte localId, bool backup)
    {
        if (_remoteKey is not { } remoteKey || _fallback || _failing) return;
        if (_joinsOpenedOrAccepted >= Limits.Subflows) return;
        // Linux refuses joins once the connection is closing (it has our DATA_FIN, or sent its own): no use asking.
        if (_dataFinSent is not null || _core is { PeerClosed: true } || _subflowsClosing) return;
        _joinsOpenedOrAccepted++;
        EndInfiniteFallback();
        OpenSubflow(route, remote, port, new JoinParameters(_start.LocalKey, remoteKey, localId, backup, _checksums));
    }

    /// <summary>
    /// A peer's MP_JOIN SYN with our token: accepted within the subflow limit once the connection is established and
    /// not fallen back (RFC 8684 3.2), else refused with RST.
    /// </summary>
    private void OnJoinRequest(JoinRequest request)
    {
        var syn = request.Syn;
        if (_core is null || _fallback || _failing || _remoteKey is not { } remoteKey || _joinsOpenedOrAccepted >= Limits.Subflows || _subflowsClosing)
        {
            _log.Info("connection {0:x8}: MP_JOIN from {1} refused (established {2}, fallback {3}, subflows {4} of {5})", _localToken, syn.Key,
                _core is not null, _fallback, _joinsOpenedOrAccepted, Limits.Subflows);
            syn.Interface.Tell(new RefuseSubflow(syn.Key, syn.Syn));
            return;
        }
        _joinsOpenedOrAccepted++;
        EndInfiniteFallback();
        var route = _start.Interfaces.First(r => r.Actor.Equals(syn.Interface));
        var localId = LocalIdFor(route);
        var backup = Settings.PathManager.Endpoints.Any(ep => IpAddressBytes.From(ep.Address).Equals(route.Address) && (ep.Flags & EndpointFlags.Backup) != 0);
        var entry = Track(ActorRefs.Nobody, route);
        entry.LocalBackup = backup;
        _pendingAccepts[syn.Key] = entry;
        var setup = new MptcpSubflowSetup(_start.LocalKey, _checksums, new JoinParameters(_start.LocalKey, remoteKey, localId, backup, _checksums),
            (uint)RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue), Settings.StaleLossCount)
        {
            CongestionControl = _start.CongestionControl,
            ConnectionWindow = _start.Options.ReceiveWindow,
            Metrics = Metrics,
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

    /// <summary>The address id of an interface's address: its endpoint's id, 0 for the initial subflow's address.</summary>
    private byte LocalIdFor(InterfaceRoute route)
    {
        if (_initial is not null && route.Address.Equals(_initial.Route.Address)) return 0;
        foreach (var ep in Settings.PathManager.Endpoints)
            if (IpAddressBytes.From(ep.Address).Equals(route.Address)) return (byte)ep.Id;
        return 0;
    }
}
