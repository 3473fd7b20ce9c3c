using Akka.Actor;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.PathManagement;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Connection;

/// <summary>
/// The userspace path manager's side of a connection (Linux's MPTCP generic-netlink PM): the events it publishes to the
/// node's path manager, and a controller's commands, each answered with what was done or why it cannot be.
/// </summary>
public sealed partial class ConnectionActor
{
    private long _announcementsResent;
    private long _announcementsIgnored;
    private long _unknownRemovals;
    private long _invalidSignals;

    /// <summary>The node's PathManagerActor: events go to it.</summary>
    private IActorRef? NodePathManager => _start.PathManager;

    /// <summary>What the path manager refused or ignored on this connection (Linux's AddAddrDrop, RmAddrDrop ... counters).</summary>
    private PathManagerCounters Counters => new(_announcementsResent, _announcementsIgnored, _unknownRemovals, _invalidSignals);

    private void Publish(PmEventKind kind, SubflowEntry? e, bool? backup = null, string? error = null)
    {
        if (NodePathManager is null) return;
        var k = e?.Key;
        var subflow = kind is PmEventKind.SubflowEstablished or PmEventKind.SubflowClosed or PmEventKind.SubflowPriority;
        NodePathManager.Tell(new PmEvent(kind, _localToken)
        {
            LocalAddress = k?.LocalAddress,
            LocalPort = k?.LocalPort,
            RemoteAddress = k?.RemoteAddress,
            RemotePort = k?.RemotePort,
            LocalId = subflow ? e!.LocalAddressId : null,
            RemoteId = subflow ? e!.RemoteAddressId : null,
            Backup = subflow ? backup ?? (e!.LocalBackup || e.Last?.PeerBackup == true) : null,
            Error = error,
            ServerSide = kind is PmEventKind.Created or PmEventKind.Established ? !_start.Client : null,
        });
    }

    private static string Describe(SubflowDown down) =>
        down.PeerResetReason is { } reason ? $"reset by peer ({reason})" : down.Finished.Reason.ToString().ToLowerInvariant();

    private void OnPathCommand(IConnectionPathCommand command)
    {
        if (command is GetPathInfo)
        {
            Sender.Tell(Info());
            return;
        }
        var why = Refusal(command);
        Sender.Tell(why is null ? new PathManagerCommandDone(command) : new PathManagerCommandFailed(command, why));
    }

    /// <summary>Carries out a controller's command; returns why it cannot, or null when done.</summary>
    private string? Refusal(IConnectionPathCommand command)
    {
        if (InEnginePm) return $"connection {_localToken:x8} is managed by the in-engine path manager (subscribe with Control first)";
        if (_core is null || _initial?.Key is not { } initial) return $"connection {_localToken:x8} is not established";
        if (_fallback) return $"connection {_localToken:x8} fell back to TCP";
        if (_subflowsClosing || _dataFinSent is not null) return $"connection {_localToken:x8} is closing";
        switch (command)
        {
            case Announce a:
                if (a.AddressId == 0) return "address id 0 is the initial subflow's: announce ids 1..255";
                if (LocalAddressProblem(a.Address, initial.LocalAddress) is { } problem) return problem;
                if (_announced.TryGetValue(a.AddressId, out var had)) return $"address id {a.AddressId} is already announced ({had.Address})";
                if (_announced.Values.Any(x => x.Address.Equals(a.Address) && x.Port == a.Port)) return $"{a.Address} is already announced";
                Announce(a.AddressId, a.Address, a.Port);
                return null;
            case RemoveAddress r:
                var announced = _announced.TryGetValue(r.AddressId, out var ann);
                var from = _subflows.Values.FirstOrDefault(e => e.Up && e.LocalAddressId == r.AddressId && e.IsJoin);
                if (!announced && from?.Key is null) return $"address id {r.AddressId} is neither announced nor used by a subflow";
                Withdraw(r.AddressId, announced ? ann!.Address : from!.Key!.Value.LocalAddress, announced ? ann!.Port : null);
                return null;
            case CreateSubflow c:
                if (LocalAddressProblem(c.LocalAddress, c.RemoteAddress) is { } bad) return bad;
                if (_subflows.Values.Any(e => e.Key is { } k && k.LocalAddress.Equals(c.LocalAddress) && k.RemoteAddress.Equals(c.RemoteAddress) && k.RemotePort == c.RemotePort))
                    return $"a subflow from {c.LocalAddress} to {c.RemoteAddress}:{c.RemotePort} exists already";
                if (_joinsOpenedOrAccepted >= PathManagerLimits.LinuxMaximum) return $"the connection has {PathManagerLimits.LinuxMaximum} additional subflows, Linux's limit";
                var route = _start.Interfaces.First(i => i.Address.Equals(c.LocalAddress));
                return TryJoin(route, c.RemoteAddress, c.RemotePort, c.LocalId, c.Backup) ? null : $"a join from {c.LocalAddress} to {c.RemoteAddress}:{c.RemotePort} is under way";
            case DestroySubflow d:
                var victim = _subflows.Values.FirstOrDefault(e => e.Key is { } k && k.LocalAddress.Equals(d.LocalAddress) && k.LocalPort == d.LocalPort
                    && k.RemoteAddress.Equals(d.RemoteAddress) && k.RemotePort == d.RemotePort);
                if (victim is null) return $"no subflow {d.LocalAddress}:{d.LocalPort} -> {d.RemoteAddress}:{d.RemotePort}";
                victim.Withdrawn = true;
                victim.Actor.Tell(new AbortSubflow(false, MpTcpRstReason.AdministrativelyProhibited));
                return null;
            case SetSubflowBackup b:
                if (!_subflows.Values.Any(e => e.Up && e.Key is { } k && k.LocalAddress.Equals(b.LocalAddress))) return $"no subflow from {b.LocalAddress}";
                OnSetBackup(new SetBackup(b.LocalAddress, b.Backup));
                return null;
            default:
                return $"unknown command {command.GetType().Name}";
        }
    }

    /// <summary>Why a local address cannot be used toward <paramref name="other"/> (not ours, down, other family), or null.</summary>
    private string? LocalAddressProblem(IpAddressBytes local, IpAddressBytes other)
    {
        if (!_start.Interfaces.Any(i => i.Address.Equals(local))) return $"{local} is not an address of this node";
        if (!Usable(local)) return $"{local} is on an interface that is down";
        if (local.Length != other.Length) return $"{local} and {other} are not of one address family";
        return null;
    }
}

/// <summary>A connection's path-manager counters: ADD_ADDRs resent unechoed, ignored over the limit, unknown REMOVE_ADDR ids, bad HMACs.</summary>
public sealed record PathManagerCounters(long AddAddrResent, long AddAddrIgnored, long RemoveAddrUnknown, long InvalidSignals);
