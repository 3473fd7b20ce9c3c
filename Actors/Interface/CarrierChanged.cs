namespace MptcpActors.Actors.Interface;

/// <summary>
/// To an interface actor: its link lost or regained the carrier. On loss it forgets its neighbours, as Linux does
/// (<c>neigh_carrier_down</c>): a kernel peer that tried to reach us during the outage holds an unresolved entry
/// retried once a second, and the ARP request we send first when the link is back resolves it at once (RFC 826: the
/// target learns the sender), where a new subflow's SYN alone would leave its SYN/ACK in the peer's queue until
/// that retry. On return it asks at once for the next hops that frames wait for (a join's SYN may be there before this
/// message), as the requests sent during the outage went into a dead link and would hold the next one back a second.
/// </summary>
public sealed record CarrierChanged(bool Up);
