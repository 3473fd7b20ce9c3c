using Akka.Actor;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Mptcp;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Subflow;

/// <summary>
/// A subflow of an MPTCP connection: its MPTCP layer (<see cref="MptcpSubflowHook"/>) rides the TCP core; data goes
/// to and comes from the owning ConnectionActor in data-sequence chunks, one message per direction per turn at most.
/// </summary>
public sealed partial class SubflowActor
{
    /// <summary>RTO backoffs after which a subflow counts as stale (mptcp.stale-loss-count, Linux's stale_loss_cnt).</summary>
    private int _staleAfter = 4;
    private MptcpSubflowHook? _mptcp;
    private IActorRef? Owner => _start.Owner;
    private bool _upReported;
    private SubflowReport? _lastReport;
    private readonly List<DataChunk> _chunks = [];

    private void StartMptcp(MptcpSubflowSetup setup, bool client)
    {
        _mptcp = setup.Join is { } join
            ? MptcpSubflowHook.Join(client, join, setup.JoinNonce)
            : MptcpSubflowHook.Initial(client, setup.LocalKey, setup.Checksum);
        _staleAfter = setup.StaleLossCount;
    }

    private bool OnConnectionMessage(object message, long now)
    {
        switch (message)
        {
            case SubflowSend s:
                Queue(s.Dsn, s.Data, now);
                break;
            case DataLevelAck a:
                _mptcp!.DataAck = a.DataAck;
                if (a.Force) _core.SendAckNow(now);
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
            case Terminated t when t.ActorRef.Equals(Owner):
                _core.Abort(now);
                Context.Stop(Self);
                break;
            default:
                return false;
        }
        return true;
    }

    /// <summary>Queues connection data behind what this subflow holds, recording where its mapping starts.</summary>
    private void Queue(ulong dsn, byte[] data, long now)
    {
        var end = _core.SndUna - _core.InitialSendSequence + (uint)_core.SendBufferUsed;
        var accepted = _core.State.CanSend() ? Math.Min(data.Length, _core.SendBufferFree) : 0;
        if (accepted > 0)
        {
            _mptcp!.SendMappings.Append(end, dsn, accepted);
            _core.Write(data.AsSpan(0, accepted), now);
        }
        if (accepted < data.Length) Owner!.Tell(new SubflowSendRefused(dsn + (ulong)accepted, data.Length - accepted));
    }

    /// <summary>After every message: reset on a failed handshake, report the subflow up, pass its data and state on.</summary>
    private void AfterMptcpTurn(long now)
    {
        var h = _mptcp!;
        if (h.ResetRequested && _core.State != TcpState.Closed)
        {
            _core.Abort(now);
            return;
        }
        if (!_upReported && h.Usable && _core.State.IsSynchronized())
        {
            _upReported = true;
            Owner!.Tell(new SubflowUp(_start.Key, h.IsJoin, h.RemoteKey, h.State == MptcpNegotiation.Fallback, h.Checksums,
                h.RemoteAddressId, h.LocalAddressId, h.PeerBackup, h.LocalBackup));
        }
        if (!_upReported) return;
        PassData(now);
        h.SendMappings.DropBefore(_core.SndUna - _core.InitialSendSequence);
        Report();
    }

    private void PassData(long now)
    {
        var h = _mptcp!;
        var readable = _core.Readable;
        if (readable == 0) return;
        var seq = _core.RcvNxt - (uint)readable - _core.InitialReceiveSequence;
        _chunks.Clear();
        var taken = 0;
        while (taken < readable)
        {
            if (!h.TryMapReceived(seq, out var dsn, out var contiguous))
            {
                // Data without a mapping: on a lone initial subflow before any mapping the peer fell back (RFC 8684
                // 3.7); anywhere else the subflow cannot be trusted and is reset.
                if (!h.IsJoin && !h.HasPeerDataAck && h.ReceiveMappings.Count == 0 && taken == 0)
                {
                    h.FallBack();
                    continue;
                }
                h.ResetReason = MpTcpRstReason.MptcpSpecific;
                _core.Abort(now);
                return;
            }
            var n = Math.Min(readable - taken, contiguous);
            var bytes = new byte[n];
            _core.Peek(bytes.AsSpan()); // Peek copies from the first readable byte, so consume as we go
            _core.Consume(n, now);
            _chunks.Add(new DataChunk(dsn, bytes));
            taken += n;
            seq += (uint)n;
        }
        h.ReceiveMappings.DropBefore(seq);
        Owner!.Tell(new SubflowData(_chunks.ToArray()));
    }

    private void Report()
    {
        var h = _mptcp!;
        var signals = h.Signals.Count > 0 ? h.Signals.ToArray() : null;
        h.Signals.Clear();
        var cwnd = _core.CongestionControl.CongestionWindow;
        var queued = _core.SendBufferUsed;
        // Room for about two windows: one in flight and one queued, so the scheduler decides late and a subflow's
        // queue never holds much that a faster one could carry.
        var space = _core.State.CanSend() ? Math.Max(0, Math.Min(_core.SendBufferFree, 2 * cwnd - queued)) : 0;
        var report = new SubflowReport(Math.Max(0, _core.Rtt.SmoothedRttNs), cwnd, _core.BytesInFlight, space, _core.EffectiveMss,
            _core.RtoBackoffs >= _staleAfter, h.PeerBackup, h.FullyEstablished, h.HasPeerDataAck ? h.PeerDataAck : null, h.PeerWindowEnd, h.PeerDataFin, signals);
        if (signals is null && report == _lastReport) return;
        _lastReport = report with { Signals = null };
        Owner!.Tell(report);
    }

    private void MptcpClosed(TcpCloseReason reason)
    {
        if (_mptcp is null) return;
        Owner?.Tell(new SubflowDown(Finished(reason), _mptcp.PeerResetReason));
    }
}
