using System.Buffers;
using Akka.Actor;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Mptcp;
using MptcpActors.Actors.Tcp;
using MptcpActors.Actors.Tcp.Congestion;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Subflow;

/// <summary>
/// A subflow of an MPTCP connection: its MPTCP layer (<see cref="MptcpSubflowHook"/>) rides the TCP core; data goes
/// to and comes from the owning ConnectionActor in data-sequence chunks, one message per direction per turn at most.
/// </summary>
public sealed partial class SubflowActor
{
    private const int QueueSegments = 16;
    private MptcpSubflowHook? _mptcp;
    private IActorRef? Owner => _start.Owner;
    private bool _upReported;
    private SubflowReport? _lastReport;
    private readonly List<DataChunk> _chunks = [];
    // Relative subflow sequence of the next byte to pass on (not RCV.NXT - readable: a received FIN counts in RCV.NXT).
    private uint _nextReadSeq = 1;

    private void StartMptcp(MptcpSubflowSetup setup, bool client)
    {
        _mptcp = setup.Join is { } join
            ? MptcpSubflowHook.Join(client, join, setup.JoinNonce)
            : MptcpSubflowHook.Initial(client, setup.LocalKey, setup.Checksum, setup.DenyJoinId0);
        _mptcp.ConnectionWindow = setup.ConnectionWindow;
        _ownerIsRemote = Owner is { } o && o.Path.Address.HasGlobalScope && !o.Path.Address.Equals(Self.Path.Address);
        // The initial subflow starts as the connection's only path: until it says otherwise, a checksum failure falls back.
        _mptcp.InfiniteFallbackAllowed = setup.Join is null;
    }

    private bool OnConnectionMessage(object message, long now)
    {
        switch (message)
        {
            case SubflowSend s:
                Queue(s.Dsn, s.Data, now);
                break;
            case RentedSubflowSend r:
                Queue(r.Dsn, r.Data.AsSpan(0, r.Length), now);
                ArrayPool<byte>.Shared.Return(r.Data);
                break;
            case DataLevelAck a:
                var opened = a.WindowEnd != _mptcp!.ReceiveWindowEnd;
                _mptcp.DataAck = a.DataAck;
                _mptcp.ReceiveWindowEnd = a.WindowEnd;
                // Fallen back, no option carries the DATA_ACK: TCP's own ACKs say it all, an extra one would be a duplicate.
                if (a.Force && _mptcp.State == MptcpNegotiation.Mptcp && (_mptcp.DataAckSent != a.DataAck || opened)) _core.SendAckNow(now);
                break;
            case SendDataFin f:
                _mptcp!.DataFinToSend = f.Dsn;
                if (f.Dsn is not null) _core.SendAckNow(now);
                break;
            case SendAddAddr add:
                _mptcp!.QueueAddAddr(add.AddressId, add.Address, add.Port, add.Echo);
                _core.SendAckNow(now);
                break;
            case SendRemoveAddr rm:
                _mptcp!.QueueRemoveAddr(rm.AddressIds);
                _core.SendAckNow(now);
                break;
            case SendPrio p:
                _mptcp!.QueuePrio(p.Backup);
                _core.SendAckNow(now);
                break;
            case CloseSubflow:
                _core.Shutdown(now);
                break;
            case AbortSubflow abort:
                _mptcp!.FastCloseOnReset = abort.FastClose;
                _mptcp.ResetReason = abort.Reason;
                _core.Abort(now);
                break;
            case PeerCongestion p:
                OnPeerCongestion(p);
                break;
            case FlushToOwner:
                _flushQueued = false;
                _flushNow = true;
                break;
            case DisallowInfiniteFallback:
                _mptcp!.InfiniteFallbackAllowed = false;
                break;
            case Terminated t when t.ActorRef.Equals(Owner):
                // The connection is gone without closing: an abort of the whole connection (MP_FASTCLOSE, RFC 8684 3.5).
                _mptcp!.FastCloseOnReset = true;
                _core.Abort(now);
                Context.Stop(Self);
                break;
            default:
                return false;
        }
        return true;
    }

    /// <summary>Queues connection data behind what this subflow holds, recording where its mapping starts.</summary>
    private void Queue(ulong dsn, ReadOnlySpan<byte> data, long now)
    {
        _handed += data.Length;
        var end = _core.SndUna - _core.InitialSendSequence + (uint)_core.SendBufferUsed;
        var accepted = _core.State.CanSend() ? Math.Min(data.Length, _core.SendBufferFree) : 0;
        if (accepted > 0)
        {
            _mptcp!.SendMappings.Append(end, dsn, accepted);
            _core.Write(data[..accepted], now);
        }
        if (accepted < data.Length) Owner!.Tell(new SubflowSendRefused(dsn + (ulong)accepted, data.Length - accepted));
    }

    /// <summary>After every message: reset on a failed handshake, report the subflow up, pass its data and state on.</summary>
    private void AfterMptcpTurn(long now)
    {
        var h = _mptcp!;
        CountInfiniteMappings(h);
        if (h.ResetRequested && _core.State != TcpState.Closed) _core.Abort(now);
        if (h.ResetRequested)
        {
            ReportDown();
            return;
        }
        if (!_upReported && h.Usable && _core.State.IsSynchronized())
        {
            _upReported = true;
            Owner!.Tell(new SubflowUp(_start.Key, h.IsJoin, h.RemoteKey, h.State == MptcpNegotiation.Fallback, h.Checksums,
                h.RemoteAddressId, h.LocalAddressId, h.PeerBackup, h.LocalBackup) { PeerDenyJoinId0 = h.PeerDenyJoinId0 });
        }
        if (_upReported)
        {
            h.DropSentBefore(_core.SndUna - _core.InitialSendSequence);
            if (!_ownerIsRemote || _flushNow || _closedReason is not null || h.Signals.Count >= SubflowReport.MaxSignals)
            {
                _flushNow = false;
                PassData(now);
                if (h.PureAckOwed) _core.SendPureAck(now);
                Report();
            }
            else if (!_flushQueued)
            {
                _flushQueued = true;
                Self.Tell(FlushToOwner.Instance);
            }
        }
        ReportDown();
    }

    // A join accepted for an owner on another cluster node arrives without the owner's node-local counters.
    private Metrics.MptcpMetrics NodeMetrics => _start.Mptcp!.Metrics ?? Metrics.MptcpMetrics.Shared;

    private long _infiniteSentCounted;
    private long _infiniteReceivedCounted;

    /// <summary>The hook counts infinite mappings; the node's counters get what is new since the last turn.</summary>
    private void CountInfiniteMappings(MptcpSubflowHook h)
    {
        var metrics = NodeMetrics;
        if (h.InfiniteMappingsSent != _infiniteSentCounted)
        {
            metrics.InfiniteMapTx.Add(h.InfiniteMappingsSent - _infiniteSentCounted);
            _infiniteSentCounted = h.InfiniteMappingsSent;
        }
        if (h.InfiniteMappingsReceived != _infiniteReceivedCounted)
        {
            metrics.InfiniteMapRx.Add(h.InfiniteMappingsReceived - _infiniteReceivedCounted);
            _infiniteReceivedCounted = h.InfiniteMappingsReceived;
        }
    }

    /// <summary>
    /// An owner on another cluster node hears from this subflow once per batch, not once per segment: the data and
    /// report wait for a flush queued behind the segments already in the mailbox, so everything they brought crosses
    /// the link in one <see cref="SubflowData"/> and one <see cref="SubflowReport"/>.
    /// </summary>
    private sealed class FlushToOwner
    {
        public static readonly FlushToOwner Instance = new();
    }

    private long _handed;
    private bool _ownerIsRemote;
    private bool _flushQueued;
    private bool _flushNow;

    private void PassData(long now)
    {
        var h = _mptcp!;
        var readable = _core.Readable;
        if (readable == 0) return;
        var seq = _nextReadSeq;
        _chunks.Clear();
        var taken = 0;
        var batched = 0;
        while (taken < readable)
        {
            if (!h.TryMapReceived(seq, out var dsn, out var contiguous, out var mapping))
            {
                // Data without a mapping: on the connection's only subflow, data in order, the peer fell back (RFC 8684
                // 3.7: before any mapping, or after MP_FAIL, where Linux may stop sending options before the segment
                // with its infinite mapping; Linux: MAPPING_NODSS, then mptcp_try_fallback); anywhere else the subflow
                // cannot be trusted and is reset.
                if (h.InfiniteFallbackAllowed)
                {
                    h.FallBack();
                    continue;
                }
                h.ResetReason = MpTcpRstReason.MptcpSpecific;
                _core.Abort(now);
                return;
            }
            var n = Math.Min(readable - taken, contiguous);
            if (h.Checksums && mapping is { } m && h.State == MptcpNegotiation.Mptcp)
            {
                // A checksummed mapping is passed on only whole and verified (RFC 8684 3.3.1): wait for the rest of it.
                if (seq != m.SubflowSeq || n < m.Length) break;
            }
            var bytes = GC.AllocateUninitializedArray<byte>(n); // filled whole by Peek: zeroing it first was wasted
            _core.Peek(bytes.AsSpan()); // Peek copies from the first readable byte, so consume as we go
            var verdict = mapping is { } checkedMapping ? h.VerifyChecksum(checkedMapping, bytes, now) : ChecksumVerdict.Valid;
            if (verdict != ChecksumVerdict.Valid)
            {
                var metrics = NodeMetrics;
                metrics.DataCsumErr.Add(1);
                metrics.MpFailTx.Add(1);
            }
            if (verdict == ChecksumVerdict.Reset)
            {
                // The data is not what was sent and other paths exist: nothing of it is delivered; the subflow goes with
                // MP_FAIL and MP_TCPRST (middlebox interference), and the connection resends its data on the others (3.7).
                _core.Abort(now);
                return;
            }
            _core.Consume(n, now);
            _chunks.Add(new DataChunk(dsn, bytes));
            taken += n;
            seq += (uint)n;
            batched += SubflowData.Cost(n);
            if (batched >= SubflowData.MaxCost)
            {
                Owner!.Tell(new SubflowData(_chunks.ToArray()));
                _chunks.Clear();
                batched = 0;
            }
        }
        _nextReadSeq = seq;
        h.ReceiveMappings.DropBefore(seq);
        if (_chunks.Count > 0) Owner!.Tell(new SubflowData(_chunks.ToArray()));
    }

    private void Report()
    {
        var h = _mptcp!;
        var signals = h.Signals.Count > 0 ? h.Signals.ToArray() : null;
        h.Signals.Clear();
        var cwnd = _core.CongestionControl.CongestionWindow;
        var queued = _core.SendBufferUsed;
        // Room for what the window can send now plus a few segments to cover the message round trip to the
        // connection: the scheduler decides late, and a subflow never queues much that a faster one could carry.
        var space = _core.State.CanSend() ? Math.Max(0, Math.Min(_core.SendBufferFree, cwnd + QueueSegments * _core.EffectiveMss - queued)) : 0;
        var losses = _core.CongestionControl as ISubflowLossHistory;
        var report = new SubflowReport(Math.Max(0, _core.Rtt.SmoothedRttNs), cwnd, _core.BytesInFlight, space, _core.EffectiveMss,
            _core.RtoBackoffs, h.PeerBackup, h.FullyEstablished, losses?.BytesSinceLastLoss ?? 0, losses?.BytesBetweenLastTwoLosses ?? 0,
            h.TakePeerDataAck(), h.PeerWindowEnd, h.PeerDataFin, signals)
        {
            BytesRetransmitted = _core.Statistics.BytesRetransmitted,
            RtoNs = _core.Rtt.RtoNs,
            Unacknowledged = queued,
            LastAckNs = queued > 0 ? _core.LastAckReceivedNs : 0,
            Handed = _handed,
        };
        if (signals is null && report == _lastReport) return;
        // Compared without its signals (sent once); a report that carries none is kept as it is, not copied.
        _lastReport = signals is null ? report : report with { Signals = null };
        Owner!.Tell(report);
    }

    /// <summary>Coupled congestion control (LIA/OLIA) over this subflow and the others' relayed figures; null when uncoupled.</summary>
    private CongestionCoupling? _coupling;
    private readonly Dictionary<int, PeerCongestionView> _peers = [];

    private CongestionCoupling? CouplingFor(MptcpSubflowSetup? setup)
    {
        var kind = setup?.CongestionControl ?? _start.Options.CongestionControl;
        return setup is not null && kind is CongestionControlKind.Lia or CongestionControlKind.Olia ? _coupling = new CongestionCoupling() : null;
    }

    private void OnPeerCongestion(PeerCongestion p)
    {
        if (_coupling is null) return;
        if (p.Gone)
        {
            if (_peers.Remove(p.SubflowId, out var gone)) _coupling.Remove(gone);
            return;
        }
        if (!_peers.TryGetValue(p.SubflowId, out var view))
        {
            view = new PeerCongestionView(p.SubflowId);
            _peers[p.SubflowId] = view;
            _coupling.Add(view);
        }
        view.CongestionWindow = p.CongestionWindow;
        view.SmoothedRttNs = p.SmoothedRttNs;
        view.Mss = p.Mss;
        view.BytesSinceLastLoss = p.BytesSinceLastLoss;
        view.BytesBetweenLastTwoLosses = p.BytesBetweenLastTwoLosses;
    }

    /// <summary>
    /// The core closed while handling a segment: the report waits for the end of the turn, after the data and the
    /// DATA_FIN that segment brought were passed on (a fallen-back peer's last segment often carries both with its FIN).
    /// </summary>
    private void MptcpClosed(TcpCloseReason reason) => _closedReason = reason;

    private TcpCloseReason? _closedReason;

    private void ReportDown()
    {
        if (_closedReason is not { } reason || _downReported) return;
        _downReported = true;
        Owner?.Tell(new SubflowDown(Finished(reason), _mptcp!.PeerResetReason));
    }

    private bool _downReported;
}
