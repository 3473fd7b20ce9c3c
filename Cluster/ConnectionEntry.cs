using Akka.Actor;
using Akka.Event;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Stack;

namespace MptcpActors.Cluster;

/// <summary>
/// One token's entry in the cluster's connection registry (the sharded entity): the connection that has the token,
/// wherever it lives. An MP_JOIN arriving on any node reaches it here and goes on to the connection, which accepts
/// it on the interface it arrived on. The entry stops with its connection; a join for a token with no connection is
/// refused (RST), as on a lone node — after <see cref="RegistrationGrace"/>: a fresh shard is allocated to the region
/// that asks first, and when that is a join's node, the join gets here while the owner's registration still waits in
/// its own region for the shard's home (seen opening thousands of connections a second on a loaded machine: joins
/// refused for live tokens, the registration seconds late). The SYN's retransmissions meanwhile replace the held one.
/// </summary>
public sealed class ConnectionEntry : UntypedActor, IWithTimers
{
    /// <summary>Long enough for a registration delayed by a loaded node, short of the SYN's third retransmission (7 s).</summary>
    public static readonly TimeSpan RegistrationGrace = TimeSpan.FromSeconds(5);

    private readonly uint _token;
    private IActorRef? _connection;
    private Dictionary<TcpFlowKey, JoinRequest>? _early;

    public ConnectionEntry(string entityId) => _token = uint.Parse(entityId, System.Globalization.NumberStyles.HexNumber);

    public static Props Props(string entityId) => Akka.Actor.Props.Create(() => new ConnectionEntry(entityId));

    public ITimerScheduler Timers { get; set; } = null!;

    private sealed class GraceOver
    {
        public static readonly GraceOver Instance = new();
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case RegisterConnection r:
                _connection = r.Connection;
                Context.Watch(r.Connection);
                Context.GetLogger().Debug("token {0:x8}: connection {1}", _token, r.Connection.Path);
                if (_early is not null)
                {
                    Timers.Cancel(GraceOver.Instance);
                    foreach (var join in _early.Values) _connection.Tell(join);
                    _early = null;
                }
                break;
            case JoinRequest join when _connection is not null:
                _connection.Tell(join);
                break;
            case JoinRequest join:
                if (_early is null)
                {
                    _early = [];
                    Timers.StartSingleTimer(GraceOver.Instance, GraceOver.Instance, RegistrationGrace);
                }
                _early[join.Syn.Key] = join;
                break;
            case GraceOver:
                foreach (var join in _early?.Values ?? Enumerable.Empty<JoinRequest>())
                {
                    Context.GetLogger().Info("MP_JOIN from {0} for unknown token {1:x8} refused", join.Syn.Key, _token);
                    join.Syn.Interface.Tell(new RefuseSubflow(join.Syn.Key, join.Syn.Syn));
                }
                Context.Stop(Self);
                break;
            case LookupConnection:
                Sender.Tell(new ConnectionLocation(_token, _connection));
                if (_connection is null && _early is null) Context.Stop(Self);
                break;
            case Terminated t when t.ActorRef.Equals(_connection):
                Context.Stop(Self);
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
