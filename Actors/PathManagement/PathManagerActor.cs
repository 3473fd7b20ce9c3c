using Akka.Actor;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Connection;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.PathManagement;

/// <summary>
/// The node's path manager (one per MptcpManager, its child): owns the endpoint set and limits and changes them at run time
/// as <c>ip mptcp endpoint/limits</c> change Linux's in-kernel PM (net/mptcp/pm_kernel.c); every change reaches every live
/// connection as a new <see cref="PathManagerView"/>, and each connection applies the difference to itself (announce,
/// REMOVE_ADDR, MP_PRIO, joins), as Linux walks its msk list. It tracks interfaces going down and up, publishes every
/// connection's <see cref="PmEvent"/>s to subscribers, and routes a controller's userspace commands by token.
/// </summary>
public sealed class PathManagerActor : UntypedActor
{
    private readonly EndpointTable _table;
    private readonly IReadOnlyList<InterfaceRoute> _interfaces;
    private readonly HashSet<string> _down = [];
    private readonly Dictionary<uint, IActorRef> _connections = [];
    private readonly Dictionary<IActorRef, uint> _tokenOf = [];
    private readonly HashSet<IActorRef> _subscribers = [];
    private PathManagerView _view;
    private IActorRef? _controller;
    private IReadOnlyList<EndpointSettings> _service = [];
    private IActorRef? _sharer;

    public PathManagerActor(MptcpSettings settings, IReadOnlyList<InterfaceRoute> interfaces)
    {
        _interfaces = interfaces;
        _table = new EndpointTable(settings.PathManager.Endpoints, settings.PathManager.Limits);
        _view = PathManagerView.From(settings);
    }

    public static Props Props(MptcpSettings settings, IReadOnlyList<InterfaceRoute> interfaces) =>
        Akka.Actor.Props.Create(() => new PathManagerActor(settings, interfaces));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case PmEvent e:
                foreach (var s in _subscribers) s.Tell(e);
                break;
            case RegisterConnection r:
                _connections[r.Token] = Sender;
                _tokenOf[Sender] = r.Token;
                Context.Watch(Sender);
                if (r.ViewVersion != _view.Version) Sender.Tell(_view);
                if (_controller is not null) Sender.Tell(new ControlledBy(_controller));
                break;
            case IConnectionPathCommand c:
                if (_connections.TryGetValue(c.Token, out var connection)) connection.Forward(c);
                else Sender.Tell(new PathManagerCommandFailed(c, $"no connection with token {c.Token:x8}"));
                break;
            case AddEndpoint add:
                if (!_interfaces.Any(r => r.Address.Equals(IpAddressBytes.From(add.Endpoint.Address))))
                    Fail(add, $"{add.Endpoint.Address} is not an address of this node's interfaces");
                else Apply(add, _table.Add(add.Endpoint).Error);
                break;
            case DeleteEndpoint del:
                Apply(del, _table.Delete(del.Id, del.Address).Error);
                break;
            case ChangeEndpoint change:
                Apply(change, _table.Change(change.Id, change.Address, change.Backup, change.Fullmesh).Error);
                break;
            case FlushEndpoints flush:
                _table.Flush();
                Apply(flush, null);
                break;
            case SetLimits limits:
                Apply(limits, _table.SetLimits(limits.Limits));
                break;
            case ShowEndpoints:
                Sender.Tell(Changed());
                break;
            case ServiceEndpoints service:
                _service = service.Endpoints;
                _sharer = Sender;
                Apply(service, null);
                break;
            case InterfaceStateChanged state:
                if (!_interfaces.Any(r => r.Name == state.Interface)) Fail(state, $"no interface named {state.Interface}");
                else if (state.Up ? _down.Remove(state.Interface) : _down.Add(state.Interface)) Apply(state, null);
                else Sender.Tell(Changed());
                break;
            case SubscribePathEvents sub:
                if (sub.Control && _controller is not null && !_controller.Equals(sub.Subscriber))
                {
                    Fail(sub, $"{_controller.Path} already controls this node's connections");
                    break;
                }
                _subscribers.Add(sub.Subscriber);
                Context.Watch(sub.Subscriber);
                if (sub.Control) SetController(sub.Subscriber);
                Sender.Tell(new PathEventsSubscribed(sub.Control));
                break;
            case UnsubscribePathEvents unsub:
                Unsubscribe(unsub.Subscriber);
                break;
            case Terminated t:
                if (_tokenOf.Remove(t.ActorRef, out var token)) _connections.Remove(token);
                Unsubscribe(t.ActorRef);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Unsubscribe(IActorRef subscriber)
    {
        _subscribers.Remove(subscriber);
        if (subscriber.Equals(_controller)) SetController(null);
    }

    private void SetController(IActorRef? controller)
    {
        _controller = controller;
        foreach (var c in _connections.Values) c.Tell(new ControlledBy(controller));
    }

    private void Fail(object command, string reason) => Sender.Tell(new PathManagerCommandFailed(command, reason));

    /// <summary>After an edit: a refusal goes back as is; a change becomes a new view for the node's manager and every connection.</summary>
    private void Apply(object command, string? error)
    {
        if (error is not null)
        {
            Fail(command, error);
            return;
        }
        var down = _interfaces.Where(r => _down.Contains(r.Name)).Select(r => r.Address).ToHashSet();
        var usable = _table.Endpoints.Where(ep => !down.Contains(IpAddressBytes.From(ep.Address)) && (ep.Interface is null || !_down.Contains(ep.Interface)))
            .ToList();
        // Another node's address is announced like ours unless it would be mistaken for one of ours.
        usable.AddRange(_service.Where(s => !_table.Endpoints.Any(ep => ep.Id == s.Id || ep.Address.Equals(s.Address))));
        _view = new PathManagerView(_view.Version + 1, usable, _table.Limits, down, _down.ToHashSet());
        Context.Parent.Tell(_view);
        foreach (var c in _connections.Values) c.Tell(_view);
        Sender.Tell(Changed());
        if (_sharer is not null && !_sharer.Equals(Sender)) _sharer.Tell(Changed());
    }

    private EndpointsChanged Changed() => new(_table.Endpoints.ToList(), _table.Limits, _down.ToHashSet());
}

/// <summary>A connection to its node's path manager, when it starts: it takes events and commands for this token.</summary>
public sealed record RegisterConnection(uint Token, long ViewVersion);

/// <summary>To a connection: this controller (or, when null, none) owns its path decisions.</summary>
public sealed record ControlledBy(IActorRef? Controller);
