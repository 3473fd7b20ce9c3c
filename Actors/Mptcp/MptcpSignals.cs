using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Mptcp;

/// <summary>Connection-level signals a subflow received, for its connection (and path manager) to act on.</summary>
public abstract record MptcpSignal;

/// <summary>ADD_ADDR (RFC 8684 3.4.1), HMAC already verified; an echo confirms one of ours.</summary>
public sealed record AddAddrReceived(byte AddressId, IpAddressBytes Address, ushort? Port, bool Echo) : MptcpSignal;

/// <summary>REMOVE_ADDR (3.4.2): the peer's addresses with these ids are gone.</summary>
public sealed record RemoveAddrReceived(byte[] AddressIds) : MptcpSignal;

/// <summary>MP_PRIO (3.3.8): the peer wants this subflow used as backup (or no longer).</summary>
public sealed record PrioReceived(bool Backup) : MptcpSignal;

/// <summary>MP_FASTCLOSE carrying our key (3.5): the whole connection is closed at once.</summary>
public sealed record FastCloseReceived : MptcpSignal;

/// <summary>MP_FAIL (3.7): the peer found a checksum error at this DSN (or answers ours).</summary>
public sealed record FailReceived(ulong Dsn) : MptcpSignal;

/// <summary>We found a DSS checksum error at this DSN on a lone subflow and tell the peer with MP_FAIL, expecting fallback (3.7).</summary>
public sealed record FailSent(ulong Dsn) : MptcpSignal;

/// <summary>An infinite mapping was sent or received after MP_FAIL: the connection is plain TCP on this subflow from now on (3.7).</summary>
public sealed record FellBackToTcp : MptcpSignal;

/// <summary>An ADD_ADDR whose HMAC did not verify: ignored, as the RFC says, and reported.</summary>
public sealed record InvalidSignal(string What) : MptcpSignal;
