using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using MptcpActors.Actors.Connection;

namespace MptcpActors.Cluster;

/// <summary>
/// The node's eye on cluster membership for its connections: a connection with subflows on another node registers
/// (<see cref="WatchSubflowNode"/>), and the moment that node is unreachable, leaving or removed every such connection
/// hears <see cref="SubflowNodeLost"/>, fails those subflows and reinjects their data on the others — long before RTOs
/// would have told it. One subscription per node, not one per connection.
/// </summary>
public sealed class SubflowNodeWatcher : UntypedActor
{
    private readonly Dictionary<Address, HashSet<IActorRef>> _watchers = [];
    private readonly HashSet<Address> _lost = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public static Props Props() => Akka.Actor.Props.Create(() => new SubflowNodeWatcher());

    protected override void PreStart() =>
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.ReachableMember));

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case WatchSubflowNode w when _lost.Contains(w.Node):
                Sender.Tell(new SubflowNodeLost(w.Node));
                break;
            case WatchSubflowNode w:
                if (!_watchers.TryGetValue(w.Node, out var set)) _watchers[w.Node] = set = [];
                if (set.Add(Sender)) Context.Watch(Sender);
                break;
            case ClusterEvent.UnreachableMember u:
                Lost(u.Member.Address, "unreachable");
                break;
            case ClusterEvent.MemberLeft or ClusterEvent.MemberExited or ClusterEvent.MemberRemoved:
                var m = ((ClusterEvent.MemberStatusChange)message).Member;
                Lost(m.Address, m.Status.ToString());
                break;
            case ClusterEvent.MemberUp up:
                // A node back at the same address is a new incarnation (or was only unreachable): its old subflows
                // were already failed and reset; new ones are watched afresh.
                _lost.Remove(up.Member.Address);
                break;
            case ClusterEvent.ReachableMember r:
                _lost.Remove(r.Member.Address);
                break;
            case Terminated t:
                foreach (var watching in _watchers.Values) watching.Remove(t.ActorRef);
                break;
            case ClusterEvent.IMemberEvent:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Lost(Address node, string why)
    {
        if (!_lost.Add(node)) return;
        if (!_watchers.Remove(node, out var connections)) return;
        _log.Warning("node {0} is {1}: failing the subflows of {2} connection(s) there", node, why, connections.Count);
        foreach (var c in connections)
        {
            c.Tell(new SubflowNodeLost(node));
            if (!_watchers.Values.Any(s => s.Contains(c))) Context.Unwatch(c);
        }
    }
}
