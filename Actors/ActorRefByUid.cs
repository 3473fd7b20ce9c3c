using Akka.Actor;

namespace MptcpActors.Actors;

/// <summary>
/// Actor references as keys hashed by their incarnation's uid: Akka's own hash walks the whole actor path on every
/// lookup, a cost a connection paid on each of its subflows' reports (several per segment). Equal references share
/// their uid, so equality stays Akka's.
/// </summary>
public sealed class ActorRefByUid : IEqualityComparer<IActorRef>
{
    public static readonly ActorRefByUid Instance = new();

    public bool Equals(IActorRef? x, IActorRef? y) => ReferenceEquals(x, y) || x is not null && x.Equals(y);

    public int GetHashCode(IActorRef obj) => obj.Path.Uid.GetHashCode();
}
