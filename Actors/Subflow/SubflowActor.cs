using System.Net;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Mptcp;
using Akka.Actor;
using Akka.Event;
using Akka.IO;
using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Tcp;
using MptcpActors.Actors.Tcp.Congestion;
using MptcpActors.Transport.Wire.Tcp;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Actors.Subflow;

/// <summary>
/// One TCP connection as an actor: owns the sans-I/O <see cref="TcpConnection"/>, keeps one timer at the core's next
/// deadline, passes segments to and from its interface, and speaks Akka.IO's TCP protocol to its handler
/// (Connected, Register, Write with ack, Received, Close / ConfirmedClose / Abort and the ConnectionClosed events).
/// </summary>
public sealed partial class SubflowActor : UntypedActor, IWithTimers, ITcpEvents, ITcpSegmentSink
{
    private const string TimerKey = "tcp";
    private readonly SubflowStart _start;
    // One scratch frame per thread, not per subflow: a segment is built, framed and handed on (copied into the send
    // batch or a message) within one call, so ten thousand subflows need no ten thousand 70 KB buffers.
    [ThreadStatic] private static byte[]? _scratch;
    private static byte[] Scratch => _scratch ??= new byte[70_200];
    private readonly byte[] _remote;
    private readonly byte[] _local;
    // Segments produced while handling one message leave together (sendmmsg) when the device can batch.
    private readonly Transport.Devices.IFrameBatch? _batch;
    private readonly ILoggingAdapter _log;
    private TcpConnection _core = null!;
    private IActorRef? _handler;
    private bool _keepOpenOnPeerClosed;
    // The peer's FIN waits for the handler to have registered and read everything before it (SuspendReading).
    private bool _peerClosedWaiting;
    private bool _readingSuspended;
    private PendingWrite? _pending;
    private IActorRef? _closeCommander;
    private TcpMsg.CloseCommand? _closeCommand;
    private bool _closedReported;
    private long _timerAt = long.MaxValue;

    public SubflowActor(SubflowStart start)
    {
        _start = start;
        _remote = new byte[start.Key.RemoteAddress.Length];
        start.Key.RemoteAddress.CopyTo(_remote);
        _local = new byte[start.Key.LocalAddress.Length];
        start.Key.LocalAddress.CopyTo(_local);
        _batch = start.Link?.CreateBatch();
        _log = SubflowLog(Context, start);
    }

    /// <summary>Structured: every event of a subflow carries its 4-tuple and, in an MPTCP connection, the connection's token.</summary>
    private static ILoggingAdapter SubflowLog(IActorContext context, SubflowStart start)
    {
        var log = context.GetLogger()
            .WithContext("LocalAddress", start.Key.LocalAddress.ToString())
            .WithContext("LocalPort", start.Key.LocalPort)
            .WithContext("RemoteAddress", start.Key.RemoteAddress.ToString())
            .WithContext("RemotePort", start.Key.RemotePort);
        return start.Mptcp is { } m ? log.WithContext("MptcpToken", Transport.Crypto.MptcpCrypto.Token(m.LocalKey).ToString("x8")) : log;
    }

    protected override bool AroundReceive(Receive receive, object message)
    {
        try
        {
            return base.AroundReceive(receive, message);
        }
        finally
        {
            _batch?.Flush();
        }
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private static long NowNs => MonotonicClock.NowNs(Context.System.Scheduler);

    public static Props Props(SubflowStart start) => Akka.Actor.Props.Create(() => new SubflowActor(start));

    private sealed class TimerFired
    {
        public static readonly TimerFired Instance = new();
    }

    private EndPoint Local => new IPEndPoint(_start.Key.LocalAddress.ToIPAddress(), _start.Key.LocalPort);
    private EndPoint Remote => new IPEndPoint(_start.Key.RemoteAddress.ToIPAddress(), _start.Key.RemotePort);

    protected override void PreStart()
    {
        var now = NowNs;
        var k = _start.Key;
        if (_start.Mptcp is { } setup) StartMptcp(setup, client: _start.Syn is null);
        var options = _start.Mptcp?.CongestionControl is { } cc ? _start.Options with { CongestionControl = cc } : _start.Options;
        var coupling = CouplingFor(_start.Mptcp);
        if (_start.Syn is { } syn)
        {
            if (!TcpSegment.TryParse(syn, out var seg)) throw new ArgumentException("a subflow's SYN must parse", nameof(_start));
            _core = TcpConnection.Accept(options, this, this, _mptcp, _start.Iss, _start.TimestampOffset, seg, now, coupling)!;
            if (_core is null)
            {
                // Refused (an MP_JOIN whose token or stage does not fit): RST, as Linux answers a join it will not take.
                ((ITcpSegmentSink)this).Send(TcpConnection.WriteResetFor(seg, ((ITcpSegmentSink)this).Rent(TcpSegment.MinHeaderLength)));
                Owner?.Tell(new SubflowDown(new SubflowFinished(k, 0, 0, 0, 0, TcpCloseReason.Refused), null));
                Context.Stop(Self);
                return;
            }
        }
        else
        {
            _core = TcpConnection.Connect(options, this, this, _mptcp, k.LocalPort, k.RemotePort, _start.Iss, _start.TimestampOffset, now, coupling);
        }
        if (coupling is not null && _core.CongestionControl is ISubflowCongestionView own) coupling.Add(own);
        Context.Watch(_start.Interface);
        if (Owner is { } owner) Context.Watch(owner);
        if (_mptcp is not null) AfterMptcpTurn(now);
        Rearm();
        _batch?.Flush();
    }

    protected override void PostStop()
    {
        if (_mptcp is not null && _core is not null)
        {
            _closedReason ??= TcpCloseReason.Aborted;
            ReportDown();
        }
        if (_core is not null && _core.State != TcpState.Closed)
        {
            // Stopped while open (the engine shutting down): the peer learns the connection is aborted, not just this
            // path — unless the connection lives on another cluster node and goes on without this one.
            if (_mptcp is not null) _mptcp.FastCloseOnReset = !_ownerIsRemote;
            _core.Abort(NowNs);
        }
        _batch?.Flush();
        _batch?.Dispose();
        _start.Interface.Tell(new SubflowStopped(_start.Key));
    }

    protected override void OnReceive(object message)
    {
        var now = NowNs;
        switch (message)
        {
            case SegmentBatch b:
                try
                {
                    for (var i = 0; i < b.Count; i++)
                        if (TcpSegment.TryParse(b[i], out var one)) _core.OnSegment(one, now);
                }
                finally
                {
                    b.Release();
                }
                break;
            case SegmentIn s:
                if (TcpSegment.TryParse(s.Segment, out var seg)) _core.OnSegment(seg, now);
                break;
            case PathMtu m:
                _core.OnPathMtu(m.Mtu, m.IpHeaderLength, now);
                break;
            case TimerFired:
                _timerAt = long.MaxValue;
                if (_mptcp is { } h && h.FailResponseOverdue(now)) _core.Abort(now);
                else _core.OnTimer(now);
                break;
            case GetConnectionInfo when _mptcp is null:
                Sender.Tell(Info());
                return;
            case var m when _mptcp is not null && OnConnectionMessage(m, now):
                break;
            case TcpMsg.Register r:
                _handler = r.Handler;
                _keepOpenOnPeerClosed = r.KeepOpenOnPeerClosed;
                Context.Watch(r.Handler);
                DeliverThenPeerClosed(now);
                break;
            case TcpMsg.SuspendReading when _mptcp is null:
                _readingSuspended = true;
                break;
            case TcpMsg.ResumeReading when _mptcp is null:
                _readingSuspended = false;
                DeliverThenPeerClosed(now);
                break;
            case TcpMsg.Write w:
                if (PendingWrite.TryHold(ref _pending, _closeCommand is not null, w, Sender)) PushWrites(now);
                break;
            case TcpMsg.Abort:
                _closeCommander = Sender;
                _closeCommand = TcpMsg.Abort.Instance;
                _core.Abort(now);
                break;
            case TcpMsg.CloseCommand close:
                _closeCommander = Sender;
                _closeCommand = close;
                if (_pending is null) _core.Shutdown(now);
                break;
            case Terminated t when t.ActorRef.Equals(_handler) || t.ActorRef.Equals(_start.Interface):
                _core.Abort(now);
                Context.Stop(Self);
                return;
            default:
                Unhandled(message);
                return;
        }
        if (_mptcp is not null) AfterMptcpTurn(now);
        else CheckClosed();
        Rearm();
    }

    private void PushWrites(long now)
    {
        if (_pending is not { } p) return;
        var rest = p.Rest;
        if (!p.Advance(rest.IsEmpty ? 0 : _core.Write(rest, now))) return;
        _pending = null;
        if (_closeCommand is TcpMsg.Close or TcpMsg.ConfirmedClose) _core.Shutdown(now);
    }

    private void DeliverThenPeerClosed(long now)
    {
        Deliver(now);
        if (!_peerClosedWaiting || _handler is null || _readingSuspended) return;
        _peerClosedWaiting = false;
        PeerClosed();
    }

    private void Deliver(long now)
    {
        if (_handler is null || _readingSuspended || _core.Readable == 0) return;
        var data = GC.AllocateUninitializedArray<byte>(_core.Readable);
        var n = _core.Read(data, now);
        _handler.Tell(new TcpMsg.Received(ByteString.FromBytes(data, 0, n)));
    }

    private void CheckClosed()
    {
        if (_closedReported) return;
        // Akka.IO's Close does not wait for the peer: once our FIN is acknowledged the handler is told Closed.
        if (_closeCommand is TcpMsg.Close && _core.State is TcpState.FinWait2 or TcpState.TimeWait or TcpState.Closed)
            ReportClosed(TcpMsg.Closed.Instance);
    }

    private void ReportClosed(TcpMsg.ConnectionClosed closed)
    {
        if (_closedReported) return;
        _closedReported = true;
        _handler?.Tell(closed);
        if (_closeCommander is not null && !_closeCommander.Equals(_handler)) _closeCommander.Tell(closed);
    }

    private void Rearm()
    {
        if (_core.State == TcpState.Closed)
        {
            Timers.Cancel(TimerKey);
            Context.Stop(Self);
            return;
        }
        var at = Math.Min(_core.NextDeadlineNs, _mptcp?.FailResponseDeadlineNs ?? long.MaxValue);
        // A deadline pushed later (the RTO, on every ACK) or gone (the delayed ACK, answered by the next segment) keeps
        // the armed timer: firing early, it finds nothing due and arms again. Restarting it on every ACK, or cancelling
        // and arming it again for every other segment received, was most of a simulated run's scheduler work.
        if (at >= _timerAt) return;
        _timerAt = at;
        // Rounded up to the timer's 100 ns ticks: firing before the deadline would find nothing due and re-arm at once.
        Timers.StartSingleTimer(TimerKey, TimerFired.Instance, TimeSpan.FromTicks((Math.Max(0, at - NowNs) + 99) / 100));
    }

    // Segments are written after room for the Ethernet and IP headers, so the link context can frame them in place.
    private int Headroom => _start.Link?.HeaderRoom ?? 0;

    Span<byte> ITcpSegmentSink.Rent(int maxLength) => Scratch.AsSpan(Headroom, maxLength);

    void ITcpSegmentSink.Send(int length) => Send(length, 0);

    int ITcpSegmentSink.MaxOffloadSegmentLength => _start.Link?.MaxOffloadSegmentLength(_batch) ?? 0;

    void ITcpSegmentSink.Send(int length, int segmentSize) => Send(length, segmentSize);

    private void Send(int length, int segmentSize)
    {
        if (_start.Link is { } link && link.TryTransmit(Scratch, _local, _start.Key.RemoteAddress, _remote, length, _batch, segmentSize)) return;
        // Through the interface actor (next hop not resolved yet) a super-segment is too large for the link and is
        // lost like on a wire; its pieces are retransmitted one by one.
        _start.Interface.Tell(new SegmentOut(_start.Key, Scratch.AsSpan(Headroom, length).ToArray()));
    }

    void ITcpEvents.OnEstablished()
    {
        if (_mptcp is not null) return; // the connection learns of it once the MPTCP handshake completes
        var connected = new TcpMsg.Connected(Remote, Local);
        if (_start.Commander is { } commander) commander.Tell(connected, Self);
        else _start.Listener?.Tell(connected, Self);
    }

    void ITcpEvents.OnDataReadable()
    {
        if (_mptcp is null) Deliver(NowNs);
    }

    void ITcpEvents.OnAcknowledged(long bytes)
    {
        if (_mptcp is null) PushWrites(NowNs);
    }

    void ITcpEvents.OnPeerClosed()
    {
        if (_mptcp is not null)
        {
            if (_mptcp.State == MptcpNegotiation.Fallback)
            {
                // Plain TCP underneath: this FIN is the end of the peer's data stream; our side closes when the connection says.
                _mptcp.OnFallbackFin(_core.RcvNxt - 1 - _core.InitialReceiveSequence);
                return;
            }
            // The peer closed this subflow (not the data stream: that is DATA_FIN's): close our side once our data is out.
            _core.Shutdown(NowNs);
            return;
        }
        // A FIN that comes before the handler registered waits for it: only Register says whether to keep the
        // connection half open (closing at once would send our FIN before anything the handler still has to write).
        // One that comes while reading is suspended waits for the data before it to be read.
        if (_closeCommand is null) _peerClosedWaiting = true;
        DeliverThenPeerClosed(NowNs);
    }

    private void PeerClosed()
    {
        // After our own Close / ConfirmedClose the peer's FIN completes that close: it is reported as Closed / ConfirmedClosed.
        if (_closeCommand is not null) return;
        if (_keepOpenOnPeerClosed)
        {
            _handler?.Tell(TcpMsg.PeerClosed.Instance);
            return;
        }
        _core.Shutdown(NowNs);
        ReportClosed(TcpMsg.PeerClosed.Instance);
    }

    void ITcpEvents.OnClosed(TcpCloseReason reason)
    {
        if (_mptcp is not null)
        {
            MptcpClosed(reason);
            _log.Debug("subflow {0} closed: {1}", _start.Key, reason);
            return;
        }
        switch (reason)
        {
            case TcpCloseReason.Refused:
                if (_start.Connect is { } connect) _start.Commander?.Tell(new TcpMsg.CommandFailed(connect));
                _closedReported = true;
                break;
            case TcpCloseReason.Reset:
                ReportClosed(new TcpMsg.ErrorClosed("Connection reset by peer"));
                break;
            case TcpCloseReason.TimedOut:
                if (_handler is null && _start.Connect is { } c) _start.Commander?.Tell(new TcpMsg.CommandFailed(c));
                ReportClosed(new TcpMsg.ErrorClosed("Connection timed out"));
                break;
            case TcpCloseReason.Aborted:
                ReportClosed(TcpMsg.Aborted.Instance);
                break;
            default:
                ReportClosed(_closeCommand is TcpMsg.Close ? TcpMsg.Closed.Instance : _closeCommand is TcpMsg.ConfirmedClose
                    ? TcpMsg.ConfirmedClosed.Instance : TcpMsg.PeerClosed.Instance);
                break;
        }
        _handler?.Tell(Finished(reason));
        _log.Debug("subflow {0} closed: {1}", _start.Key, reason);
    }

    /// <summary>A plain TCP connection's state now, for <c>mptcp info</c>.</summary>
    private TcpConnectionInfo Info()
    {
        var st = _core.Statistics;
        return new TcpConnectionInfo(_start.Key, _core.State.SsName(), _start.Syn is null, st.BytesSent, st.BytesReceived, st.BytesRetransmitted,
            Math.Max(0, _core.Rtt.SmoothedRttNs) / 1e6, _core.CongestionControl.CongestionWindow, _core.BytesInFlight);
    }

    /// <summary>What this subflow carried, for reports.</summary>
    private SubflowFinished Finished(TcpCloseReason reason)
    {
        var st = _core.Statistics;
        return new SubflowFinished(_start.Key, st.BytesSent, st.BytesReceived, st.BytesRetransmitted,
            _core.Rtt.SmoothedRttNs < 0 ? 0 : _core.Rtt.SmoothedRttNs / 1e6, reason)
        {
            Fallback = _mptcp?.State != MptcpNegotiation.Mptcp,
            LocalToken = _mptcp?.State == MptcpNegotiation.Mptcp ? _mptcp.LocalToken : null,
            RemoteToken = _mptcp?.State == MptcpNegotiation.Mptcp ? _mptcp.RemoteToken : null,
            Checksums = _mptcp is { State: MptcpNegotiation.Mptcp, Checksums: true },
            Backup = _mptcp is { } h && (h.LocalBackup || h.PeerBackup),
            ChecksumFailures = _mptcp is { } m
                ? new ChecksumFailureCounts(m.ChecksumErrors, m.FailsSent, m.FailsReceived, m.InfiniteMappingsSent, m.InfiniteMappingsReceived)
                : default,
        };
    }
}
