using Akka.Actor;
using MptcpActors.Actors.Mptcp;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Subflow;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Connection;

// Between a ConnectionActor and its SubflowActors. Data moves in chunks of up to tens of KB per message (never one
// message per segment); every subflow message is sent by the subflow, so the connection knows it by Sender.

/// <summary>How a subflow's MPTCP layer starts: the connection's key, and for an additional subflow the join's parameters.</summary>
public sealed record MptcpSubflowSetup(ulong LocalKey, bool Checksum, JoinParameters? Join = null, uint JoinNonce = 0)
{
    /// <summary>The connection's receive buffer (mptcp.reassembly-memory): the window a subflow announces at most.</summary>
    public int ConnectionWindow { get; init; } = int.MaxValue;
    /// <summary>The connection's congestion control when it differs from the interface's (a per-connection choice).</summary>
    public Tcp.Congestion.CongestionControlKind? CongestionControl { get; init; }
    /// <summary>Set the C bit of MP_CAPABLE: joins to the initial address and port are refused (allow-join-initial-addr-port off).</summary>
    public bool DenyJoinId0 { get; init; }
    /// <summary>
    /// The node's counters (DSS checksum errors and MP_FAILs are seen by the subflow); null for the process-wide
    /// instance, as for a subflow on another cluster node (counters never cross nodes).
    /// </summary>
    public Metrics.MptcpMetrics? Metrics { get; init; }
}

/// <summary>A subflow can carry data: its MPTCP handshake completed (or the initial subflow fell back to TCP).</summary>
public sealed record SubflowUp(TcpFlowKey Key, bool IsJoin, ulong? RemoteKey, bool Fallback, bool Checksums, byte RemoteAddressId,
    byte LocalAddressId, bool PeerBackup, bool LocalBackup)
{
    /// <summary>The peer's MP_CAPABLE had the C bit: the in-engine path manager opens no subflow to its initial address.</summary>
    public bool PeerDenyJoinId0 { get; init; }
}

/// <summary>One range of data-level bytes.</summary>
public readonly record struct DataChunk(ulong Dsn, byte[] Data);

/// <summary>In-order subflow data, mapped to the data sequence space.</summary>
public sealed record SubflowData(DataChunk[] Chunks)
{
    /// <summary>
    /// A subflow sends a batch once its <see cref="Cost"/> reaches this: a message to an owner on another node must
    /// stay well under the remoting frame limit (a chunk is at most one mapping, 64 KB, so a batch costs at most this
    /// plus one chunk).
    /// </summary>
    public const int MaxCost = 128 * 1024;

    /// <summary>
    /// What a chunk costs beyond its bytes: Hyperion spends 18 bytes per chunk, so a peer mapping every byte
    /// separately (1-byte DSS mappings) cannot make a batch of 128 KB of data 19 times its size.
    /// </summary>
    public const int ChunkCost = 32;

    /// <summary>A batch's cost: its bytes plus <see cref="ChunkCost"/> per chunk.</summary>
    public static int Cost(int chunkBytes) => chunkBytes + ChunkCost;
}

/// <summary>
/// A subflow's state after it handled a message: what the scheduler needs (RTT, cwnd, room), the peer's DATA_ACK,
/// window and DATA_FIN, and the signals (ADD_ADDR, REMOVE_ADDR, MP_PRIO, ...) it received.
/// </summary>
public sealed record SubflowReport(long SrttNs, long CongestionWindow, long BytesInFlight, long SendSpace, int Mss, int RtoBackoffs,
    bool PeerBackup, bool FullyEstablished, long BytesSinceLastLoss, long BytesBetweenLastTwoLosses, ulong? PeerDataAck, ulong PeerWindowEnd, ulong? PeerDataFin, MptcpSignal[]? Signals)
{
    /// <summary>
    /// A subflow of an owner on another node reports at once, without waiting for its batch's flush, when this many
    /// signals are pending: a peer sending an option on every segment (ADD_ADDRs, with a wrong HMAC too) would
    /// otherwise make a report of a whole batch's signals, over the remoting frame limit.
    /// </summary>
    public const int MaxSignals = 64;

    /// <summary>Bytes the subflow sent again (for <c>mptcp info</c>; it changes only on loss, so reports stay as rare as before).</summary>
    public long BytesRetransmitted { get; init; }
    /// <summary>Its retransmission timeout now, backoff included (the connection's retransmission interval follows it).</summary>
    public long RtoNs { get; init; }
    /// <summary>Bytes it holds that its peer has not acknowledged, sent or not.</summary>
    public long Unacknowledged { get; init; }
    /// <summary>
    /// When its last ACK arrived, while it holds unacknowledged data (0 otherwise, so a subflow that only receives does not
    /// report after every segment): the connection judges staleness by whether this moves.
    /// </summary>
    public long LastAckNs { get; init; }
    /// <summary>Bytes of every <see cref="SubflowSend"/> it has handled, taken or refused: the connection counts what is still on its way.</summary>
    public long Handed { get; init; }
}

/// <summary>The subflow closed; <see cref="Finished"/> says what it carried.</summary>
public sealed record SubflowDown(SubflowFinished Finished, MpTcpRstReason? PeerResetReason);

/// <summary>Data for a subflow to send: queued after what it holds, mapped at <see cref="Dsn"/>.</summary>
public sealed record SubflowSend(ulong Dsn, byte[] Data);

/// <summary>
/// A <see cref="SubflowSend"/> of Data's first <see cref="Length"/> bytes in an array rented from
/// <see cref="System.Buffers.ArrayPool{T}.Shared"/>, which the subflow gives back once it has copied them: a send
/// allocates no array per chunk. For one subflow on this node only: it is no cross-node message (never serialised), so
/// its length cannot come from anywhere else.
/// </summary>
public sealed record RentedSubflowSend(ulong Dsn, byte[] Data, int Length);

/// <summary>The subflow could not take all of a <see cref="SubflowSend"/>: this part goes elsewhere.</summary>
public sealed record SubflowSendRefused(ulong Dsn, int Length);

/// <summary>
/// The connection's DATA_ACK and the right edge of its receive window; <see cref="Force"/> sends them in a pure ACK now
/// rather than on the next segment.
/// </summary>
public sealed record DataLevelAck(ulong DataAck, ulong WindowEnd, bool Force);

/// <summary>
/// Send DATA_FIN at this DSN on every segment without data, starting with a pure ACK now; null once the peer
/// acknowledged it (it would otherwise crowd SACK blocks out of every ACK).
/// </summary>
public sealed record SendDataFin(ulong? Dsn);

/// <summary>Announce an address (ADD_ADDR) or echo one of the peer's.</summary>
public sealed record SendAddAddr(byte AddressId, IpAddressBytes Address, ushort? Port, bool Echo);

/// <summary>Tell the peer these addresses are gone (REMOVE_ADDR).</summary>
public sealed record SendRemoveAddr(byte[] AddressIds);

/// <summary>Ask the peer to use this subflow as backup or not (MP_PRIO).</summary>
public sealed record SendPrio(bool Backup);

/// <summary>Close the subflow gracefully (TCP FIN) after what it holds.</summary>
public sealed record CloseSubflow
{
    public static readonly CloseSubflow Instance = new();
}

/// <summary>
/// To the initial subflow: it is no longer the connection's only path with data in order (a join was opened or
/// accepted, or data reinjected), so a checksum failure resets it instead of falling back (RFC 8684 3.7).
/// </summary>
public sealed record DisallowInfiniteFallback
{
    public static readonly DisallowInfiniteFallback Instance = new();
}

/// <summary>Reset the subflow: with MP_FASTCLOSE when the whole connection is aborted, and MP_TCPRST's reason.</summary>
public sealed record AbortSubflow(bool FastClose, MpTcpRstReason Reason);

/// <summary>To an interface: open a subflow from its address for a connection.</summary>
public sealed record OpenSubflow(IpAddressBytes RemoteAddress, ushort RemotePort, IActorRef Owner, MptcpSubflowSetup Setup, ushort LocalPort = 0);

/// <summary>To an interface: accept this SYN as a subflow of a connection.</summary>
public sealed record AcceptSubflow(TcpFlowKey Key, byte[] Syn, IActorRef Owner, MptcpSubflowSetup Setup);

/// <summary>To an interface: the SYN of <see cref="IncomingSyn"/> opens nothing (unknown token, limits): answer it with RST.</summary>
public sealed record RefuseSubflow(TcpFlowKey Key, byte[] Syn);

/// <summary>To an interface: SYNs to this port go to <paramref name="Listener"/> as <see cref="IncomingSyn"/> (Nobody stops it).</summary>
public sealed record ListenMptcp(ushort Port, IActorRef Listener);

/// <summary>To a listener of MPTCP connections: a SYN reached a port it bound on this interface.</summary>
public sealed record IncomingSyn(TcpFlowKey Key, byte[] Syn, IActorRef Interface);

/// <summary>After ConnectionClosed: what the connection and each of its subflows carried (for --stats and reports).</summary>
public sealed record ConnectionFinished(uint? LocalToken, uint? RemoteToken, bool Fallback, bool Checksums, long BytesSent, long BytesReceived,
    long BytesReinjected, IReadOnlyList<SubflowFinished> Subflows);

/// <summary>Ask a connection for <see cref="ConnectionInfo"/> (like <c>ss -Mti</c> for one connection).</summary>
public sealed record GetConnectionInfo
{
    public static readonly GetConnectionInfo Instance = new();
}

/// <summary>One subflow as its connection last heard of it.</summary>
public sealed record SubflowInfo(TcpFlowKey Key, bool IsJoin, bool Backup, bool Stale, double SmoothedRttMs, long CongestionWindow,
    long BytesInFlight, long BytesScheduled, long BytesReinjected)
{
    public long BytesRetransmitted { get; init; }

    /// <summary>The cluster node carrying the subflow (akka.tcp://...) when it is not the connection's own; null on its node.</summary>
    public string? Node { get; init; }
}

/// <summary>A connection's state: tokens, whether it fell back, its data-level counters and its live subflows.</summary>
public sealed record ConnectionInfo(uint LocalToken, uint? RemoteToken, bool Fallback, bool Checksums, long BytesSent, long BytesReceived,
    long BytesReinjected, IReadOnlyList<SubflowInfo> Subflows)
{
    /// <summary>What its path manager resent, ignored or refused.</summary>
    public PathManagerCounters? PathManager { get; init; }

    /// <summary>
    /// Where the data streams are, named as <c>ss</c> names a socket's states: SYN-SENT / SYN-RECV (no subflow up yet),
    /// ESTAB, FIN-WAIT (our DATA_FIN sent), CLOSE-WAIT (the peer's came), CLOSING (both, ours not yet acknowledged),
    /// TIME-WAIT (both streams over, the subflows closing).
    /// </summary>
    public string State { get; init; } = "ESTAB";

    /// <summary>Whether the connection was opened by this node (Connect) or accepted (Bind).</summary>
    public bool Client { get; init; }
}

/// <summary>
/// To the MptcpManager: the node's connections, answered with <see cref="ConnectionList"/>; from another cluster node
/// a page at a time (<paramref name="Skip"/>, at most <paramref name="Max"/>), as a list of every connection would
/// exceed the remoting frame limit (about 2,500 references).
/// </summary>
public sealed record ListConnections(int Skip = 0, int Max = int.MaxValue)
{
    public static readonly ListConnections Instance = new();
}

/// <summary>The node's connection actors (ask each for <see cref="ConnectionInfo"/>), and whether MPTCP is on at all.</summary>
public sealed record ConnectionList(IReadOnlyList<IActorRef> Connections, bool MptcpEnabled)
{
    /// <summary>How many connections the node has: more pages follow while Skip + Connections.Count is below it.</summary>
    public int Total { get; init; }
}

/// <summary>
/// To each subflow of a connection under coupled congestion control: another subflow's latest figures (or that it is
/// gone), for LIA/OLIA's sums over all subflows (RFC 6356).
/// </summary>
public sealed record PeerCongestion(int SubflowId, long CongestionWindow, long SmoothedRttNs, int Mss, long BytesSinceLastLoss,
    long BytesBetweenLastTwoLosses, bool Gone = false);

/// <summary>
/// To a connection (from its application or a path manager): use the subflows from this local address as backup or
/// not, and tell the peer with MP_PRIO (RFC 8684 3.3.8), like <c>ip mptcp endpoint change ADDR backup|nobackup</c>.
/// </summary>
public sealed record SetBackup(IpAddressBytes LocalAddress, bool Backup);
