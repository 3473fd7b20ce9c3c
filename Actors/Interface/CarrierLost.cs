namespace MptcpActors.Actors.Interface;

/// <summary>
/// To an interface actor: its link lost the carrier. It forgets its neighbours, as Linux does, because a peer that
/// tried to reach us while the link was down keeps an unresolved entry whose next ARP request waits up to a second;
/// the request we send first when the link is back resolves that entry at once (RFC 826: the target learns the
/// sender), where our segments alone (SYN of a new subflow) would sit in the peer's queue until its retry.
/// </summary>
public sealed class CarrierLost
{
    public static readonly CarrierLost Instance = new();

    private CarrierLost()
    {
    }
}
