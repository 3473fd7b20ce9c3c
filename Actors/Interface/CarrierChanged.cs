namespace MptcpActors.Actors.Interface;

/// <summary>
/// To an interface actor: its link lost or regained the carrier. Either way it forgets its neighbours. On loss as
/// Linux does (<c>neigh_carrier_down</c>): a kernel peer that tried to reach us during the outage holds an unresolved
/// entry retried once a second, and the ARP request we send first when the link is back resolves it at once (RFC 826:
/// the target learns the sender), where a new subflow's SYN alone would leave its SYN/ACK in the peer's queue until
/// that retry. On return because a request sent into the dead link (for a reset on the way out) would hold the next
/// one back for the retry interval.
/// </summary>
public sealed record CarrierChanged(bool Up);
