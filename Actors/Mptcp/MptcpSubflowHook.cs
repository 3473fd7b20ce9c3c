using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Crypto;
using MptcpActors.Transport.Wire.Mptcp;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Actors.Mptcp;

public enum MptcpNegotiation
{
    /// <summary>MP_CAPABLE (or MP_JOIN) offered, handshake not complete.</summary>
    Negotiating,
    /// <summary>Both sides speak MPTCP v1 on this subflow.</summary>
    Mptcp,
    /// <summary>The peer did not (or a middlebox stripped the options): plain TCP, the stream unchanged (RFC 8684 3.7).</summary>
    Fallback,
}

/// <summary>What a received mapping's DSS checksum says (RFC 8684 3.3.1, 3.7).</summary>
public enum ChecksumVerdict
{
    /// <summary>It matches (or checksums are not in use).</summary>
    Valid,
    /// <summary>It failed on a lone subflow that may fall back: the data goes on as TCP delivered it, MP_FAIL rides the next ACK.</summary>
    FailSignalled,
    /// <summary>It failed where fallback is not possible: the subflow is reset with MP_FAIL.</summary>
    Reset,
}

/// <summary>The keys and local choices a joining subflow starts from (its connection knows them).</summary>
public sealed record JoinParameters(ulong LocalKey, ulong RemoteKey, byte LocalAddressId, bool Backup, bool Checksums);

/// <summary>
/// The MPTCP v1 part of one subflow (RFC 8684): the MP_CAPABLE handshake of an initial subflow or the MP_JOIN handshake
/// with its HMACs, then DSS on every segment — the connection's DATA_ACK, a mapping of each payload into the data
/// sequence space (from the mappings of the data its connection queued here), DATA_FIN — and the signals (ADD_ADDR,
/// REMOVE_ADDR, MP_PRIO, MP_FAIL, MP_FASTCLOSE, MP_TCPRST) in both directions. It rides the TCP core through
/// <see cref="ITcpOptionHook"/>; the connection-level state (send buffer, reassembly, scheduling) lives in the
/// connection, which this learns from and reports to through its owner.
/// Subflow sequence numbers here are relative to the ISNs: the first data byte of each direction is 1.
/// </summary>
public sealed class MptcpSubflowHook : ITcpOptionHook
{
    private const int DssFullSpace = 28;   // DATA_ACK(8) + DSN(8) + subflow seq + length (+ checksum): 26/28, padded
    private const int DssAckSpace = 12;    // DATA_ACK(8) alone
    private const int MpFailSpace = 12;
    private readonly byte _capableFlags;
    private readonly uint _localNonce;
    private uint _iss;
    private uint _irs;
    private bool _peerFinSeen;
    private bool _peerAckedData;
    private uint _remoteNonce;
    private ulong? _failToSend;
    private bool _sendInfiniteMapping;
    private uint? _infiniteMappingSeq;
    private ulong _lastMappedDsn;
    private readonly List<OutgoingSignal> _pending = [];
    private int _synRetransmissions;
    /// <summary>Retransmitted SYNs that still carry MP_CAPABLE; later ones go without (Linux's net.mptcp.syn_retrans_before_tcp_fallback).</summary>
    public const int SynRetransmissionsBeforeFallback = 2;

    private MptcpSubflowHook(bool client, bool join, ulong localKey, bool checksums, uint localNonce, bool denyJoinId0 = false)
    {
        Client = client;
        IsJoin = join;
        LocalKey = localKey;
        Checksums = checksums;
        _localNonce = localNonce;
        _capableFlags = (byte)(MpCapableOption.FlagHmacSha256 | (checksums ? MpCapableOption.FlagChecksumRequired : 0)
            | (denyJoinId0 ? MpCapableOption.FlagNoSourceAddress : 0));
        (LocalToken, LocalIdsn) = MptcpCrypto.TokenAndIdsn(localKey);
    }

    /// <summary>
    /// The first subflow of a connection: MP_CAPABLE with our key; <paramref name="requestChecksum"/> sets the A bit,
    /// <paramref name="denyJoinId0"/> the C bit (no joins to this subflow's address and port: allow-join-initial-addr-port off).
    /// </summary>
    public static MptcpSubflowHook Initial(bool client, ulong localKey, bool requestChecksum = false, bool denyJoinId0 = false) =>
        new(client, join: false, localKey, requestChecksum, 0, denyJoinId0);

    /// <summary>An additional subflow of an established connection: MP_JOIN with our random <paramref name="localNonce"/>.</summary>
    public static MptcpSubflowHook Join(bool client, JoinParameters p, uint localNonce)
    {
        var h = new MptcpSubflowHook(client, join: true, p.LocalKey, p.Checksums, localNonce)
        {
            LocalAddressId = p.LocalAddressId,
            LocalBackup = p.Backup,
        };
        h.SetRemoteKey(p.RemoteKey);
        return h;
    }

    public bool Client { get; }
    public bool IsJoin { get; }
    public MptcpNegotiation State { get; private set; } = MptcpNegotiation.Negotiating;
    public ulong LocalKey { get; }
    public uint LocalToken { get; }
    public ulong LocalIdsn { get; }
    public ulong? RemoteKey { get; private set; }
    public ulong RemoteIdsn { get; private set; }
    public uint RemoteToken { get; private set; }
    /// <summary>DSS checksums are in use: either side asked for them (RFC 8684 3.1, the A bit).</summary>
    public bool Checksums { get; private set; }
    public byte LocalAddressId { get; private set; }
    public byte RemoteAddressId { get; private set; }
    /// <summary>We asked the peer to use this subflow as backup (join B bit, or MP_PRIO we sent).</summary>
    public bool LocalBackup { get; private set; }
    /// <summary>The peer asked us to use this subflow as backup (its join B bit or MP_PRIO).</summary>
    public bool PeerBackup { get; private set; }
    /// <summary>The peer's MP_CAPABLE had the C bit: no joins to its initial address and port (Linux: remote_deny_join_id0).</summary>
    public bool PeerDenyJoinId0 { get; private set; }

    /// <summary>The subflow may carry data: MP_CAPABLE done (or fallen back), or a join confirmed by the fourth ACK / a valid third ACK.</summary>
    public bool Usable => State == MptcpNegotiation.Fallback || (State == MptcpNegotiation.Mptcp && (!IsJoin || _joinConfirmed));
    private bool _joinConfirmed;

    /// <summary>
    /// The peer has the MPTCP handshake too: a server once the third ACK carried both keys, a client once the peer
    /// sent a DSS (RFC 8684 3.1). Only then may the path manager open more subflows (Linux: mptcp_pm_fully_established),
    /// or the peer might see an MP_JOIN before it knows the connection.
    /// </summary>
    public bool FullyEstablished => State == MptcpNegotiation.Mptcp && (!Client || IsJoin || _peerAckedData);

    /// <summary>The handshake failed in a way the RFC answers with a reset (bad join HMAC, join ACK without MP_JOIN).</summary>
    public bool ResetRequested { get; private set; }
    /// <summary>The MP_TCPRST reason our RST carries (3.6).</summary>
    public MpTcpRstReason ResetReason { get; set; } = MpTcpRstReason.Unspecified;
    /// <summary>Our RST also carries MP_FASTCLOSE with the peer's key: the whole connection is being aborted (3.5).</summary>
    public bool FastCloseOnReset { get; set; }
    /// <summary>When set, our RST carries MP_FAIL with this DSN: a mapping starting there failed its DSS checksum (RFC 8684 3.7).</summary>
    public ulong? FailDsn { get; set; }
    /// <summary>Received mappings that contradicted earlier ones (DSSNOMATCH in Linux's counters).</summary>
    public long MappingConflicts { get; private set; }
    /// <summary>Mappings whose DSS checksum did not match their data.</summary>
    public long ChecksumErrors { get; private set; }

    /// <summary>How long an MP_FAIL we sent may go unanswered before the subflow is reset (Linux: TCP_RTO_MAX).</summary>
    public const long FailResponseTimeoutNs = 120_000_000_000;

    /// <summary>
    /// Set by the connection while this is its initial and only subflow and data went both ways in order on it (no join
    /// ever opened or accepted, nothing reinjected): a checksum failure may then end in fallback to TCP on this subflow
    /// instead of a reset (RFC 8684 3.7; Linux: msk->allow_infinite_fallback).
    /// </summary>
    public bool InfiniteFallbackAllowed { get; set; }

    /// <summary>When our MP_FAIL goes unanswered past this time the subflow is reset (long.MaxValue: none pending).</summary>
    public long FailResponseDeadlineNs { get; private set; } = long.MaxValue;

    /// <summary>An MP_FAIL waits for a pure ACK: the owner sends one at the end of its turn (data segments have no room for it).</summary>
    public bool PureAckOwed => _failToSend.HasValue && State == MptcpNegotiation.Mptcp;

    /// <summary>MP_FAIL options sent (MPTcpExtMPFailTx) and received (MPTcpExtMPFailRx).</summary>
    public long FailsSent { get; private set; }
    public long FailsReceived { get; private set; }
    /// <summary>Infinite mappings sent (MPTcpExtInfiniteMapTx, retransmissions not counted) and received (MPTcpExtInfiniteMapRx).</summary>
    public long InfiniteMappingsSent { get; private set; }
    public long InfiniteMappingsReceived { get; private set; }

    /// <summary>
    /// Checks a whole received mapping against its DSS checksum (RFC 8684 3.3.1). On a mismatch, where fallback is
    /// allowed the data is kept as TCP delivered it (a middlebox changed it; after fallback TCP's delivery is the
    /// contract, as in Linux) and MP_FAIL with the mapping's DSN goes on the next ACK, the peer to answer with an
    /// infinite mapping within <see cref="FailResponseTimeoutNs"/>; elsewhere the subflow is to be reset with MP_FAIL.
    /// Unlike Linux a failure of the very first mapping is signalled too rather than falling back silently: a peer
    /// seeing acknowledgements without DSS options after the handshake keeps waiting for a DATA_ACK.
    /// </summary>
    public ChecksumVerdict VerifyChecksum(in DataMapping m, ReadOnlySpan<byte> data, long nowNs)
    {
        if (!Checksums || State != MptcpNegotiation.Mptcp) return ChecksumVerdict.Valid;
        if (m.Checksum is { } sum && MptcpCrypto.DssChecksum(m.Dsn, m.SubflowSeq, (ushort)m.ChecksummedLength, sum, data) == 0) return ChecksumVerdict.Valid;
        ChecksumErrors++;
        if (InfiniteFallbackAllowed)
        {
            _failToSend = m.Dsn;
            FailResponseDeadlineNs = nowNs + FailResponseTimeoutNs;
            Signals.Add(new FailSent(m.Dsn));
            return ChecksumVerdict.FailSignalled;
        }
        FailDsn = m.Dsn;
        ResetReason = MpTcpRstReason.MiddleboxInterference;
        return ChecksumVerdict.Reset;
    }

    /// <summary>The reason an MP_TCPRST from the peer gave, if any.</summary>
    public MpTcpRstReason? PeerResetReason { get; private set; }
    public long InvalidOptions { get; private set; }

    /// <summary>Mappings of the data the connection queued on this subflow, by our relative sequence.</summary>
    public DataMappings SendMappings { get; } = new();
    /// <summary>Mappings the peer announced, by its relative sequence.</summary>
    public DataMappings ReceiveMappings { get; } = new();

    // Mappings as they went out on super-segments (GSO): every piece carried the whole mapping, so a piece sent again
    // carries it too, with the checksum over all of it. A Linux receiver part-way through a mapping takes only an
    // identical one (it resets the subflow on DSSNOMATCH), as Linux's own TSO sender keeps it.
    private readonly DataMappings _offloadedMappings = new();

    /// <summary>Forgets the mappings of data the peer acknowledged, up to relative sequence <paramref name="subflowSeq"/>.</summary>
    public void DropSentBefore(uint subflowSeq)
    {
        SendMappings.DropBefore(subflowSeq);
        _offloadedMappings.DropBefore(subflowSeq);
    }

    /// <summary>The connection's DATA_ACK (next DSN expected), put on every segment.</summary>
    public ulong DataAck { get; set; }
    /// <summary>The right edge of the connection's receive window (0 until the connection says): windows are announced up to it.</summary>
    public ulong ReceiveWindowEnd { get; set; }

    /// <summary>The connection's receive buffer: the most announced before the connection's first word (a window, once
    /// announced, only grows at the peer, so announcing the subflow's larger buffer first would overrun the connection).</summary>
    public long ConnectionWindow { get; set; } = long.MaxValue;

    public long ReceiveWindowLimit(long window)
    {
        if (State != MptcpNegotiation.Mptcp) return window;
        return ReceiveWindowEnd == 0 ? Math.Min(window, ConnectionWindow) : Math.Min(window, Math.Max(0, (long)(ReceiveWindowEnd - DataAck)));
    }

    /// <summary>The DATA_ACK last written on a segment: a new one needs an ACK of its own only when it differs.</summary>
    public ulong DataAckSent { get; private set; }
    /// <summary>When set, the DSN of our DATA_FIN: carried on every segment without payload until the connection says it was acknowledged.</summary>
    public ulong? DataFinToSend { get; set; }

    /// <summary>The latest DATA_ACK from the peer (valid once <see cref="HasPeerDataAck"/>).</summary>
    public ulong PeerDataAck { get; private set; }
    public bool HasPeerDataAck { get; private set; }
    /// <summary>The right edge of the peer's connection-level receive window: its DATA_ACK plus the window of the segment that carried it.</summary>
    public ulong PeerWindowEnd { get; private set; }
    /// <summary>DSN of the peer's DATA_FIN, once seen.</summary>
    public ulong? PeerDataFin { get; private set; }
    /// <summary>Signals received since the owner last drained them.</summary>
    public List<MptcpSignal> Signals { get; } = [];

    public bool HasPendingSignals => _pending.Count > 0;

    /// <summary>Queues ADD_ADDR (announce or echo) for the next pure ACK; the HMAC is computed here for an announcement.</summary>
    public void QueueAddAddr(byte addressId, IpAddressBytes address, ushort? port, bool echo)
    {
        ulong? hmac = null;
        if (!echo)
        {
            Span<byte> a = stackalloc byte[16];
            var n = address.CopyTo(a);
            hmac = MptcpCrypto.AddAddrHmac(LocalKey, RemoteKey!.Value, addressId, a[..n], port ?? 0);
        }
        _pending.Add(new OutgoingSignal(new AddAddrOption(echo ? AddAddrOption.FlagEcho : (byte)0, addressId, address, port, hmac)));
    }

    public void QueueRemoveAddr(ReadOnlySpan<byte> addressIds) => _pending.Add(new OutgoingSignal(new RemoveAddrOption(addressIds)));

    /// <summary>MP_PRIO for this subflow (3.3.8): ask the peer to treat it as backup, or no longer.</summary>
    public void QueuePrio(bool backup)
    {
        LocalBackup = backup;
        _pending.Add(new OutgoingSignal(new MpPrioOption(backup ? MpPrioOption.FlagBackup : (byte)0)));
    }

    /// <summary>The DSN of received data at relative subflow sequence <paramref name="subflowSeq"/>, and how many bytes from there the same mapping covers.</summary>
    public bool TryMapReceived(uint subflowSeq, out ulong dsn, out int contiguous) => TryMapReceived(subflowSeq, out dsn, out contiguous, out _);

    /// <summary>As above, with the mapping itself when the data is explicitly mapped (not fallen back or infinitely mapped).</summary>
    public bool TryMapReceived(uint subflowSeq, out ulong dsn, out int contiguous, out DataMapping? mapping)
    {
        mapping = null;
        if (State == MptcpNegotiation.Fallback)
        {
            // Fallback is allowed only while the data went in order on this one subflow: its sequence is the DSN's.
            dsn = RemoteIdsn + subflowSeq;
            contiguous = int.MaxValue;
            return true;
        }
        if (ReceiveMappings.TryFind(subflowSeq, out var m))
        {
            mapping = m;
            dsn = m.Dsn + (subflowSeq - m.SubflowSeq);
            contiguous = (int)(m.SubflowEnd - subflowSeq);
            return true;
        }
        dsn = 0;
        contiguous = 0;
        return false;
    }

    /// <summary>On a fallen-back subflow the peer's FIN ends the data stream: its DSN follows the last byte (relative sequence <paramref name="finSeq"/>).</summary>
    public void OnFallbackFin(uint finSeq)
    {
        if (State == MptcpNegotiation.Fallback) PeerDataFin ??= RemoteIdsn + finSeq;
    }

    /// <summary>
    /// Falls back to plain TCP on this (single, initial) subflow (RFC 8684 3.7): data came without a mapping, or an
    /// infinite mapping went or came. From here both directions are plain TCP, no MPTCP option is sent or heeded; after
    /// the handshake the connection learns it from <see cref="FellBackToTcp"/>.
    /// </summary>
    public void FallBack()
    {
        if (State == MptcpNegotiation.Mptcp) Signals.Add(new FellBackToTcp());
        State = MptcpNegotiation.Fallback;
        _pending.Clear();
        _failToSend = null;
        _sendInfiniteMapping = false;
        FailResponseDeadlineNs = long.MaxValue;
    }

    /// <summary>Our MP_FAIL went unanswered: the subflow is to be reset (Linux: mptcp_mp_fail_no_response).</summary>
    public bool FailResponseOverdue(long nowNs)
    {
        if (nowNs < FailResponseDeadlineNs) return false;
        FailResponseDeadlineNs = long.MaxValue;
        ResetReason = MpTcpRstReason.MiddleboxInterference;
        return true;
    }

    public bool AcceptSyn(ReadOnlySpan<byte> options, bool synAck)
    {
        if (IsJoin) return AcceptJoinSyn(options, synAck);
        var capable = FindCapable(options);
        if (capable is not { Version: 1 } c)
        {
            State = MptcpNegotiation.Fallback;
            return true;
        }
        Checksums |= c.ChecksumRequired;
        PeerDenyJoinId0 = (c.Flags & MpCapableOption.FlagNoSourceAddress) != 0;
        if (synAck)
        {
            if (c.SenderKey is not { } key)
            {
                State = MptcpNegotiation.Fallback;
                return true;
            }
            SetRemoteKey(key);
            State = MptcpNegotiation.Mptcp;
        }
        return true;
    }

    private bool AcceptJoinSyn(ReadOnlySpan<byte> options, bool synAck)
    {
        // A join without MP_JOIN in the SYN/ACK must be reset (RFC 8684 3.2); a SYN without it never reached us as a join.
        if (FindJoin(options) is not { } j) return false;
        if (synAck)
        {
            if (j.Stage != MpJoinStage.SynAck) return false;
            if (j.TruncatedHmac != MptcpCrypto.JoinTruncatedHmac(RemoteKey!.Value, LocalKey, j.Nonce, _localNonce))
            {
                ResetReason = MpTcpRstReason.AdministrativelyProhibited;
                return false;
            }
        }
        else if (j.Stage != MpJoinStage.Syn || j.Token != LocalToken) return false;
        _remoteNonce = j.Nonce;
        RemoteAddressId = j.AddressId;
        PeerBackup = j.Backup;
        State = MptcpNegotiation.Mptcp;
        return true;
    }

    public bool OnOptions(ReadOnlySpan<byte> options, in IncomingSegmentInfo segment)
    {
        var syn = (segment.Flags & TcpFlags.Syn) != 0;
        if (syn) _irs = segment.Seq;
        _peerFinSeen |= (segment.Flags & TcpFlags.Fin) != 0; // Linux's MP_CAPABLE ACK goes only in TCP_ESTABLISHED
        if (State == MptcpNegotiation.Fallback)
        {
            if ((segment.Flags & TcpFlags.Ack) != 0) SetPeerDataAck(LocalIdsn + (segment.Ack - _iss), segment.Window);
            return false;
        }
        var ackNow = false;
        var sawMptcp = false;
        var sawJoinAck = false;
        foreach (var o in new TcpOptionReader(options))
        {
            if (o.Kind != TcpOptionKind.Mptcp || o.Raw.Length < 3) continue;
            sawMptcp = true;
            switch (MptcpOptionHeader.SubtypeOf(o.Raw))
            {
                case MptcpSubtype.MpCapable when MpCapableOption.Read(o.Raw, out var c) == MptcpOptionError.None:
                    if (!Client && !IsJoin && State == MptcpNegotiation.Negotiating && c.SenderKey is { } a && c.ReceiverKey == LocalKey)
                    {
                        SetRemoteKey(a);
                        State = MptcpNegotiation.Mptcp;
                    }
                    // The client's first data carries MP_CAPABLE with its length in place of a DSS mapping (3.1).
                    if (!Client && c.DataLevelLength is { } len && len > 0 && segment.PayloadLength > 0)
                        Map(new DataMapping(1, RemoteIdsn + 1, len, c.Checksum));
                    break;
                case MptcpSubtype.MpJoin when MpJoinOption.Read(o.Raw, out var j) == MptcpOptionError.None:
                    if (IsJoin && !Client && j.Stage == MpJoinStage.Ack && !_joinConfirmed)
                    {
                        sawJoinAck = true;
                        ackNow |= VerifyJoinAck(j.Hmac);
                    }
                    break;
                case MptcpSubtype.Dss when DssOption.Read(o.Raw, out var d) == MptcpOptionError.None:
                    if (d.HasDataAck)
                    {
                        _peerAckedData = true;
                        var ack = d.DataAckIs64 ? d.DataAck : Expand32((uint)d.DataAck, HasPeerDataAck ? PeerDataAck : LocalIdsn);
                        SetPeerDataAck(ack, segment.Window);
                    }
                    if (d.HasMapping) ackNow |= OnMapping(d);
                    break;
                case MptcpSubtype.AddAddr when AddAddrOption.Read(o.Raw, out var add) == MptcpOptionError.None:
                    OnAddAddr(add);
                    break;
                case MptcpSubtype.RemoveAddr when RemoveAddrOption.Read(o.Raw, out var rm) == MptcpOptionError.None:
                    var ids = new byte[rm.Count];
                    rm.CopyIdsTo(ids);
                    Signals.Add(new RemoveAddrReceived(ids));
                    break;
                case MptcpSubtype.MpPrio when MpPrioOption.Read(o.Raw, out var prio) == MptcpOptionError.None:
                    PeerBackup = prio.Backup;
                    Signals.Add(new PrioReceived(prio.Backup));
                    break;
                case MptcpSubtype.MpFail when MpFailOption.Read(o.Raw, out var fail) == MptcpOptionError.None:
                    FailsReceived++;
                    Signals.Add(new FailReceived(fail.DataSequenceNumber));
                    ackNow |= OnFail(segment.Flags);
                    break;
                case MptcpSubtype.MpFastClose when MpFastCloseOption.Read(o.Raw, out var f) == MptcpOptionError.None:
                    // Only the holder of our key may close the connection this way (RFC 8684 3.5).
                    if (f.ReceiverKey == LocalKey) Signals.Add(new FastCloseReceived());
                    else InvalidOptions++;
                    break;
                case MptcpSubtype.MpTcpRst when MpTcpRstOption.Read(o.Raw, out var r) == MptcpOptionError.None:
                    PeerResetReason = r.Reason;
                    break;
                default:
                    InvalidOptions++; // RFC 8684 3: an invalid option is treated as absent
                    break;
            }
        }
        if (IsJoin && !syn)
        {
            if (Client && State == MptcpNegotiation.Mptcp) _joinConfirmed = true; // any non-SYN segment after our third ACK confirms the join
            else if (!Client && !_joinConfirmed && !sawJoinAck && !ResetRequested)
            {
                // The third ACK of a join must carry MP_JOIN with the HMAC; without it the subflow is reset (3.2).
                ResetRequested = true;
                ResetReason = MpTcpRstReason.MptcpSpecific;
            }
        }
        // The third ACK of the initial subflow must repeat MP_CAPABLE; a server that gets it bare falls back (RFC 8684 3.1).
        if (!IsJoin && !Client && State == MptcpNegotiation.Negotiating && !syn && !sawMptcp && (segment.Flags & TcpFlags.Ack) != 0)
            State = MptcpNegotiation.Fallback;
        // RFC 8684 3.7: data on an initial subflow that never completed the handshake, with no MPTCP option, means the peer fell back.
        if (!IsJoin && !sawMptcp && segment.PayloadLength > 0 && State == MptcpNegotiation.Negotiating && !syn) State = MptcpNegotiation.Fallback;
        return ackNow;
    }

    /// <summary>The initiator's 160-bit HMAC on the third ACK (RFC 8684 3.2); a valid one is answered by the fourth ACK at once.</summary>
    private bool VerifyJoinAck(Hmac160 received)
    {
        Span<byte> expected = stackalloc byte[32];
        MptcpCrypto.JoinHmac(RemoteKey!.Value, LocalKey, _remoteNonce, _localNonce, expected);
        if (Hmac160.From(expected) == received)
        {
            _joinConfirmed = true;
            return true;
        }
        ResetRequested = true;
        ResetReason = MpTcpRstReason.AdministrativelyProhibited;
        return false;
    }

    /// <summary>
    /// MP_FAIL without RST (RFC 8684 3.7; Linux: mptcp_pm_mp_fail_received): the answer to ours ends the wait for it;
    /// otherwise the peer found our data damaged on this lone subflow, so we answer with MP_FAIL on an ACK now and an
    /// infinite mapping on the next data, then fall back. Where fallback is not allowed it is ignored, as Linux does:
    /// the peer resets the subflow itself.
    /// </summary>
    private bool OnFail(TcpFlags flags)
    {
        if ((flags & TcpFlags.Rst) != 0 || !InfiniteFallbackAllowed) return false;
        if (FailResponseDeadlineNs != long.MaxValue)
        {
            FailResponseDeadlineNs = long.MaxValue;
            return false;
        }
        _failToSend = _lastMappedDsn;
        _sendInfiniteMapping = true;
        return true;
    }

    private bool OnMapping(in DssOption d)
    {
        var dsn = d.DsnIs64 ? d.DataSequenceNumber : Expand32((uint)d.DataSequenceNumber, DataAck);
        if (d.IsInfiniteMapping)
        {
            // The peer falls back from here (Linux: MAPPING_INVALID, then mptcp_try_fallback); only a lone subflow may.
            InfiniteMappingsReceived++;
            if (InfiniteFallbackAllowed) FallBack();
            else
            {
                ResetRequested = true;
                ResetReason = MpTcpRstReason.MptcpSpecific;
            }
            return false;
        }
        _lastMappedDsn = dsn;
        if (d.DataFin)
        {
            // DATA_FIN takes the last DSN of its mapping; alone it has subflow sequence 0 and length 1 (3.3.3).
            var known = PeerDataFin;
            PeerDataFin = dsn + d.DataLevelLength - 1u;
            if (d.DataLevelLength > 1 && d.SubflowSequenceNumber != 0)
                Map(new DataMapping(d.SubflowSequenceNumber, dsn, d.DataLevelLength - 1, d.Checksum, d.DataLevelLength));
            // Answered with a DATA_ACK at once, even on a pure ACK, when it is new or our DATA_ACK covers it (the peer
            // sends it again because our answer was lost). Not a known one beyond a hole: the answer could not
            // acknowledge it, and two ends each with a DATA_FIN outstanding on their pure ACKs answered each other's
            // for as long as the hole lasted, an ACK storm at the link's rate that starved the retransmissions.
            return known != PeerDataFin || DataAck > PeerDataFin;
        }
        Map(new DataMapping(d.SubflowSequenceNumber, dsn, d.DataLevelLength, d.Checksum));
        return false;
    }

    /// <summary>A mapping that contradicts an earlier one resets the subflow (its data cannot be trusted either way).</summary>
    private void Map(in DataMapping m)
    {
        if (ReceiveMappings.Insert(m)) return;
        MappingConflicts++;
        ResetRequested = true;
        ResetReason = MpTcpRstReason.MptcpSpecific;
    }

    private void OnAddAddr(in AddAddrOption add)
    {
        if (!add.Echo)
        {
            Span<byte> a = stackalloc byte[16];
            var n = add.Address.CopyTo(a);
            if (RemoteKey is not { } rk || add.TruncatedHmac != MptcpCrypto.AddAddrHmac(rk, LocalKey, add.AddressId, a[..n], add.Port ?? 0))
            {
                Signals.Add(new InvalidSignal($"ADD_ADDR id {add.AddressId} with a wrong HMAC"));
                return;
            }
        }
        Signals.Add(new AddAddrReceived(add.AddressId, add.Address, add.Port, add.Echo));
    }

    /// <summary>
    /// The latest DATA_ACK and the window edge it carries, as received: whether it is acceptable (not old, not for data
    /// never sent) only the connection can tell, so nothing is latched here (a forged one must not stick).
    /// </summary>
    private void SetPeerDataAck(ulong ack, long window)
    {
        PeerDataAck = ack;
        HasPeerDataAck = true;
        NewPeerDataAck = true;
        PeerWindowEnd = ack + (ulong)Math.Max(0, window);
    }

    /// <summary>A DATA_ACK arrived since the owner last took one (<see cref="TakePeerDataAck"/>).</summary>
    public bool NewPeerDataAck { get; private set; }

    /// <summary>
    /// The DATA_ACK received since the last call, if any: each is judged once, when it arrives, so one for data not
    /// sent yet cannot become acceptable later by being reported again.
    /// </summary>
    public ulong? TakePeerDataAck()
    {
        if (!NewPeerDataAck) return null;
        NewPeerDataAck = false;
        return PeerDataAck;
    }

    /// <summary>Widens a 32-bit sequence to the 64-bit value nearest <paramref name="reference"/> (RFC 8684 3.3.1).</summary>
    private static ulong Expand32(uint low, ulong reference)
    {
        var candidate = (reference & 0xFFFF_FFFF_0000_0000UL) | low;
        var diff = (long)(candidate - reference);
        if (diff > int.MaxValue) candidate -= 1UL << 32;
        else if (diff < int.MinValue) candidate += 1UL << 32;
        return candidate;
    }

    public int PayloadLimit(uint seq, int room)
    {
        if (State != MptcpNegotiation.Mptcp) return room;
        return SendMappings.TryFind(seq - _iss, out var m) ? Math.Min(room, (int)(m.SubflowEnd - (seq - _iss))) : room;
    }

    /// <summary>
    /// Super-segments carry one DSS mapping for all their pieces; the MP_CAPABLE on the client's first data and the
    /// MP_JOIN third ACK describe one segment and go alone, and nothing is cut up before MPTCP is settled.
    /// </summary>
    public bool AllowsSegmentation(uint seq) =>
        State == MptcpNegotiation.Fallback
        || State == MptcpNegotiation.Mptcp && !(IsJoin && Client && !_joinConfirmed) && !(!IsJoin && Client && !_peerAckedData && seq == _iss + 1);

    public int OptionSpace(in OutgoingSegmentInfo segment)
    {
        if ((segment.Flags & TcpFlags.Syn) != 0)
        {
            if (IsJoin) return (segment.Flags & TcpFlags.Ack) != 0 ? 16 : 12;
            return State == MptcpNegotiation.Fallback ? 0 : 12;
        }
        if (State == MptcpNegotiation.Fallback) return CarriesInfiniteMapping(segment) ? DssFullSpace : 0;
        if (State != MptcpNegotiation.Mptcp) return 0;
        if ((segment.Flags & TcpFlags.Rst) != 0) return (FastCloseOnReset ? 12 : 0) + (FailDsn.HasValue ? 12 : 0) + 4;
        if (IsJoin && Client && !_joinConfirmed) return 24;
        if (CapableAckDue(segment) || !IsJoin && Client && IsFirstData(segment) && (!_peerAckedData || _firstDataCarriedCapable)) return 24;
        if (segment.PayloadLength == 0 && _failToSend.HasValue) return DssAckSpace + MpFailSpace;
        if (segment.PayloadLength == 0 && _pending.Count > 0) return DssAckSpace + (_pending[0].Length + 3 & ~3);
        return segment.PayloadLength > 0 || DataFinToSend.HasValue ? DssFullSpace : DssAckSpace;
    }

    public int WriteOptions(Span<byte> destination, in OutgoingSegmentInfo segment, ReadOnlySpan<byte> payload)
    {
        var w = new TcpOptionWriter(destination);
        if ((segment.Flags & TcpFlags.Syn) != 0)
        {
            _iss = segment.Seq;
            var synAck = (segment.Flags & TcpFlags.Ack) != 0;
            if (IsJoin)
            {
                if (synAck) w.TryWrite(MpJoinOption.SynAck(LocalBackup, LocalAddressId,
                    MptcpCrypto.JoinTruncatedHmac(LocalKey, RemoteKey!.Value, _localNonce, _remoteNonce), _localNonce));
                else w.TryWrite(MpJoinOption.Syn(LocalBackup, LocalAddressId, RemoteToken, _localNonce));
                return w.Finish();
            }
            if (!synAck && segment.Retransmission && ++_synRetransmissions > SynRetransmissionsBeforeFallback)
            {
                // SYNs with MP_CAPABLE keep timing out: a middlebox may drop them; try plain TCP (Linux: syn_retrans_before_tcp_fallback).
                State = MptcpNegotiation.Fallback;
            }
            if (State == MptcpNegotiation.Fallback) return 0;
            w.TryWrite(synAck ? new MpCapableOption(1, _capableFlags, LocalKey) : new MpCapableOption(1, _capableFlags));
            return w.Finish();
        }
        if (State == MptcpNegotiation.Fallback)
        {
            // A retransmission of the segment that carried the infinite mapping carries it again, as Linux's skb does.
            if (CarriesInfiniteMapping(segment)) WriteInfiniteMapping(ref w, segment);
            return w.Finish();
        }
        if (State != MptcpNegotiation.Mptcp) return 0;
        if ((segment.Flags & TcpFlags.Rst) != 0)
        {
            // MP_FASTCLOSE with the peer's key aborts the whole connection (RFC 8684 3.5, option B); MP_TCPRST says why
            // this subflow went (3.6).
            if (FastCloseOnReset && RemoteKey is { } rk) w.TryWrite(new MpFastCloseOption(rk));
            if (FailDsn is { } failed) w.TryWrite(new MpFailOption(failed));
            w.TryWrite(new MpTcpRstOption(0, ResetReason));
            return w.Finish();
        }
        if (IsJoin && Client && !_joinConfirmed)
        {
            // The third ACK: 160 bits of HMAC, repeated until the peer's fourth ACK confirms the join (3.2).
            Span<byte> hmac = stackalloc byte[32];
            MptcpCrypto.JoinHmac(LocalKey, RemoteKey!.Value, _localNonce, _remoteNonce, hmac);
            w.TryWrite(MpJoinOption.Ack(hmac));
            return w.Finish();
        }
        if (!IsJoin && Client)
        {
            // The third ACK repeats both keys, and so does every ACK after it until the server shows it has them; the
            // first data carries them too, with its data-level length (RFC 8684 3.1).
            if (CapableAckDue(segment))
            {
                w.TryWrite(new MpCapableOption(1, _capableFlags, LocalKey, RemoteKey));
                return w.Finish();
            }
            // The first data sent again carries the same MP_CAPABLE, also once the server's DATA_ACKs came (they say the
            // keys arrived, not this data): the segment was cut for this option, and a DSS mapping 4 bytes longer
            // made it too long for the link, so every retransmission of the lost first data was dropped and the
            // connection hung. (Data after the server's first DATA_ACK goes with DSS from the start, as Linux's.)
            if (IsFirstData(segment) && (!_peerAckedData || _firstDataCarriedCapable))
            {
                _firstDataCarriedCapable = true;
                var length = (ushort)segment.PayloadLength;
                w.TryWrite(new MpCapableOption(1, _capableFlags, LocalKey, RemoteKey, length,
                    Checksums ? MptcpCrypto.DssChecksum(LocalIdsn + 1, 1, length, 0, payload) : null));
                return w.Finish();
            }
        }
        var relative = segment.Seq - _iss;
        DataAckSent = DataAck;
        if (segment.PayloadLength > 0 && _sendInfiniteMapping && !_failToSend.HasValue)
        {
            // Our answer to the peer's MP_FAIL went first; the next data says the rest of the stream is plain TCP (3.7).
            _infiniteMappingSeq = segment.Seq;
            InfiniteMappingsSent++;
            WriteInfiniteMapping(ref w, segment);
            FallBack();
            return w.Finish();
        }
        if (segment.PayloadLength > 0)
        {
            if (segment.Retransmission && _offloadedMappings.TryFind(relative, out var sent))
            {
                w.TryWrite(DssOption.Create(DataAck, sent.Dsn, sent.SubflowSeq, (ushort)sent.Length, sent.Checksum));
            }
            else if (SendMappings.TryFind(relative, out var m))
            {
                var dsn = m.Dsn + (relative - m.SubflowSeq);
                var length = (ushort)segment.PayloadLength;
                var checksum = Checksum(dsn, relative, length, payload);
                w.TryWrite(DssOption.Create(DataAck, dsn, relative, length, checksum));
                if (segment.SegmentSize > 0) _offloadedMappings.Insert(new DataMapping(relative, dsn, length, checksum));
            }
            else
            {
                InvalidOptions++; // data the connection never mapped here: an owner bug, never seen on the wire as a bad mapping
                w.TryWrite(DssOption.Create(DataAck));
            }
            return w.Finish();
        }
        if (_failToSend is { } failDsn)
        {
            // MP_FAIL goes with the DATA_ACK on a pure ACK, once (Linux clears send_mp_fail when it writes it).
            w.TryWrite(DssOption.Create(DataAck));
            w.TryWrite(new MpFailOption(failDsn));
            _failToSend = null;
            FailsSent++;
            return w.Finish();
        }
        if (_pending.Count > 0)
        {
            // A signal goes on a pure ACK; the DATA_ACK gives way when both do not fit (as Linux does for IPv6 ADD_ADDR).
            var signal = _pending[0];
            if (w.Remaining >= DssAckSpace + signal.Length) w.TryWrite(DssOption.Create(DataAck));
            if (signal.TryWrite(ref w)) _pending.RemoveAt(0);
            return w.Finish();
        }
        if (DataFinToSend is { } fin)
            w.TryWrite(DssOption.Create(DataAck, fin, 0, 1, Checksum(fin, 0, 1, default), dataFin: true));
        else
            w.TryWrite(DssOption.Create(DataAck));
        return w.Finish();
    }

    /// <summary>RFC 8684 3.3.1: over the 64-bit DSN, relative subflow sequence, data-level length and the mapped payload.</summary>
    private ushort? Checksum(ulong dsn, uint subflowSequence, ushort length, ReadOnlySpan<byte> payload) =>
        Checksums ? MptcpCrypto.DssChecksum(dsn, subflowSequence, length, 0, payload) : null;

    /// <summary>
    /// The infinite mapping (RFC 8684 3.3.1): data-level length 0 (and checksum 0) from this segment's data on. Fallback
    /// is allowed only while our data went in order on this one subflow, so its DSN is the IDSN plus its sequence.
    /// </summary>
    private void WriteInfiniteMapping(ref TcpOptionWriter w, in OutgoingSegmentInfo segment)
    {
        var relative = segment.Seq - _iss;
        w.TryWrite(DssOption.Create(DataAck, LocalIdsn + relative, relative, 0, Checksums ? (ushort)0 : null));
    }

    private bool CarriesInfiniteMapping(in OutgoingSegmentInfo segment) => segment.PayloadLength > 0 && segment.Seq == _infiniteMappingSeq;

    // The client's first data went out with MP_CAPABLE (before any DATA_ACK of the server): so it goes again.
    private bool _firstDataCarriedCapable;

    /// <summary>
    /// Linux's rule for the client's MP_CAPABLE ACK (mptcp_established_options_mp): every segment at the first sequence
    /// number (ISS + 1) while the subflow is established and not yet fully established (no DSS from the server), no
    /// DATA_FIN to send. A lost third ACK before a download (the client has no data to carry the keys) is so repeated
    /// by the ACK of the server's SYN/ACK sent again, else the server never learns our key. A signal waiting for a pure
    /// ACK takes it instead, as Linux's ADD_ADDR drops the other options of a pure ACK: a pure ACK owed for a signal
    /// that the MP_CAPABLE took left that signal and every later one a pure ACK behind (an upload sends few), and the
    /// kernel never got our REMOVE_ADDR.
    /// </summary>
    private bool CapableAckDue(in OutgoingSegmentInfo segment) =>
        !IsJoin && Client && !_peerAckedData && segment.PayloadLength == 0 && segment.Seq == _iss + 1
        && (segment.Flags & TcpFlags.Fin) == 0 && !_peerFinSeen && DataFinToSend is null && _pending.Count == 0;

    private bool IsFirstData(in OutgoingSegmentInfo segment) => segment.PayloadLength > 0 && segment.Seq == _iss + 1;

    private void SetRemoteKey(ulong key)
    {
        RemoteKey = key;
        (RemoteToken, RemoteIdsn) = MptcpCrypto.TokenAndIdsn(key);
        DataAck = RemoteIdsn + 1;
    }

    private static MpCapableOption? FindCapable(ReadOnlySpan<byte> options)
    {
        foreach (var o in new TcpOptionReader(options))
            if (o.Kind == TcpOptionKind.Mptcp && MpCapableOption.Read(o.Raw, out var c) == MptcpOptionError.None) return c;
        return null;
    }

    private static MpJoinOption? FindJoin(ReadOnlySpan<byte> options)
    {
        foreach (var o in new TcpOptionReader(options))
            if (o.Kind == TcpOptionKind.Mptcp && MpJoinOption.Read(o.Raw, out var j) == MptcpOptionError.None) return j;
        return null;
    }

    /// <summary>A signal option waiting for a pure ACK to carry it.</summary>
    private readonly record struct OutgoingSignal
    {
        private readonly AddAddrOption? _add;
        private readonly RemoveAddrOption? _remove;
        private readonly MpPrioOption? _prio;

        public OutgoingSignal(AddAddrOption o) => _add = o;
        public OutgoingSignal(RemoveAddrOption o) => _remove = o;
        public OutgoingSignal(MpPrioOption o) => _prio = o;

        public int Length => _add?.Length ?? _remove?.Length ?? _prio!.Value.Length;

        public bool TryWrite(ref TcpOptionWriter w) =>
            _add is { } a ? w.TryWrite(a) : _remove is { } r ? w.TryWrite(r) : w.TryWrite(_prio!.Value);
    }
}
