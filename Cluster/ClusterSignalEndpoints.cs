using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.PathManagement;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Cluster;

/// <summary>
/// Cluster-wide path management (CLI.md "Cluster"): a node's <c>signal</c> endpoints are announced on connections owned
/// by any node, so a client learns every address of the service and its joins land on the node that owns each one.
/// One per node (named <see cref="Name"/> everywhere): it tells the other nodes this node's signal addresses whenever
/// they change or a node comes up, and hands what the others told it to its own path manager as
/// <see cref="ServiceEndpoints"/>. A node's addresses are withdrawn (REMOVE_ADDR on live connections) when it is removed
/// from the cluster, not while it is only unreachable: it may come back, and its subflows are failed by
/// <see cref="SubflowNodeWatcher"/> meanwhile. Address ids are this node's to give (a connection's ids are its owner's):
/// from 255 down, never one of the node's own endpoints, and kept for an address as long as the process lives.
/// </summary>
public sealed class ClusterSignalEndpoints : UntypedActor
{
    public const string Name = "mptcp-signal-endpoints";

    private readonly IActorRef _manager;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<Address, SignalAddress[]> _byNode = [];
    private readonly Dictionary<SignalAddress, int> _ids = [];
    private SignalAddress[] _own = [];
    private IReadOnlyList<EndpointSettings> _ownTable = [];
    private List<EndpointSettings> _shared = [];

    public ClusterSignalEndpoints(IActorRef manager) => _manager = manager;

    /// <summary><paramref name="manager"/>: the node's MptcpManager (it hands path manager commands to its PathManagerActor).</summary>
    public static Props Props(IActorRef manager) => Akka.Actor.Props.Create(() => new ClusterSignalEndpoints(manager));

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberUp), typeof(ClusterEvent.MemberRemoved));
        // Registers this actor as the path manager's sharer: the answer, and every later change, is an EndpointsChanged.
        _manager.Tell(new ServiceEndpoints([]));
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case EndpointsChanged changed:
                _ownTable = changed.Endpoints;
                var own = changed.Endpoints
                    .Where(ep => ep.Flags.HasFlag(EndpointFlags.Signal) && (ep.Interface is null || !changed.DownInterfaces.Contains(ep.Interface)))
                    .Select(ep => new SignalAddress(IpAddressBytes.From(ep.Address), ep.Port is { } p ? (ushort)p : null)).ToArray();
                if (!own.SequenceEqual(_own))
                {
                    _own = own;
                    foreach (var m in _cluster.State.Members.Where(m => m.Status == MemberStatus.Up)) Tell(m.Address);
                }
                Publish();
                break;
            case ClusterEvent.MemberUp up:
                Tell(up.Member.Address);
                break;
            case ClusterEvent.MemberRemoved removed:
                if (_byNode.Remove(removed.Member.Address))
                {
                    _log.Info("node {0} removed: its signal addresses are withdrawn", removed.Member.Address);
                    Publish();
                }
                break;
            case NodeSignalEndpoints theirs:
                var node = Sender.Path.Address;
                if (node.Equals(_cluster.SelfAddress) || !node.HasGlobalScope) break;
                if (_cluster.State.Members.All(m => !m.Address.Equals(node)))
                {
                    _log.Warning("signal addresses from {0}, not a member of the cluster, ignored", node);
                    break;
                }
                // A node heard from for the first time may have missed ours (its actor started after our MemberUp).
                if (!_byNode.ContainsKey(node)) Sender.Tell(new NodeSignalEndpoints(_own));
                _byNode[node] = theirs.Addresses;
                Publish();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Tell(Address node)
    {
        if (node.Equals(_cluster.SelfAddress)) return;
        Context.ActorSelection(new RootActorPath(node) / "user" / Name).Tell(new NodeSignalEndpoints(_own));
    }

    /// <summary>Every other node's addresses, with this node's ids, to the path manager (when they changed).</summary>
    private void Publish()
    {
        var taken = _ownTable.Select(ep => ep.Id).ToHashSet();
        var shared = new List<EndpointSettings>();
        foreach (var a in _byNode.Values.SelectMany(x => x).Distinct())
        {
            if (_ownTable.Any(ep => ep.Address.Equals(a.Address.ToIPAddress()))) continue;
            if (!_ids.TryGetValue(a, out var id) || taken.Contains(id))
            {
                id = EndpointSettings.MaxId;
                while (id >= EndpointSettings.MinId && (taken.Contains(id) || _ids.ContainsValue(id))) id--;
                if (id < EndpointSettings.MinId)
                {
                    _log.Warning("no address id left for {0}: not announced", a);
                    continue;
                }
                _ids[a] = id;
            }
            taken.Add(id);
            shared.Add(new EndpointSettings(a.Address.ToIPAddress(), a.Port, id, null, EndpointFlags.Signal));
        }
        if (shared.SequenceEqual(_shared)) return;
        _shared = shared;
        _manager.Tell(new ServiceEndpoints(shared));
    }
}

/// <summary>One signal address of a node (its port, when it announces one): what the nodes tell each other.</summary>
public readonly record struct SignalAddress(IpAddressBytes Address, ushort? Port)
{
    public override string ToString() => Port is { } p ? $"{Address} port {p}" : Address.ToString();
}

/// <summary>From a node's <see cref="ClusterSignalEndpoints"/> to the others': its signal addresses now.</summary>
public sealed record NodeSignalEndpoints(SignalAddress[] Addresses);
