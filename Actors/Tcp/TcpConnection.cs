using System.Buffers.Binary;
using MptcpActors.Actors.Tcp.Congestion;
using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Actors.Tcp;

/// <summary>
/// One TCP connection as a sans-I/O state machine (RFC 9293, with RFC 7323 window scaling, timestamps and PAWS,
/// RFC 2018 SACK, RFC 6675 SACK-based loss recovery, RFC 6298 RTO, RFC 5961 RST/SYN/ACK hardening). Inputs are
/// segments, application calls and timer expiries, each with the current time; outputs go to an
/// <see cref="ITcpSegmentSink"/> and <see cref="ITcpEvents"/>. It never reads a clock, touches a socket or an actor.
/// </summary>
public sealed partial class TcpConnection
{
    private const int MaxHeader = TcpSegment.MinHeaderLength + TcpSegment.MaxOptionsLength;
    private const int TimestampSpace = 12;

    private readonly TcpCoreOptions _o;
    private readonly ITcpSegmentSink _sink;
    private readonly ITcpEvents _events;
    private readonly ITcpOptionHook? _hook;
    private readonly ICongestionControl _cc;
    private readonly RttEstimator _rtt;
    private readonly ByteRing _send;
    private readonly ReceiveBuffer _recv;
    private readonly SentSegmentLog _flight = new();

    // Send sequence space (RFC 9293 3.3.1).
    private uint _iss;
    private uint _sndUna;
    private uint _sndNxt;
    private uint _sndMax;
    private long _sndWnd;
    private uint _sndWl1;
    private uint _sndWl2;
    private long _maxSndWnd;
    private bool _finQueued;
    private bool _finSent;
    // Receive sequence space.
    private uint _irs;
    private uint _rcvNxt;
    private uint _rcvAdv;
    private bool _peerFin;
    // Negotiated options.
    private int _peerMss = 536;
    private int _pathMss = int.MaxValue;
    private int _sndShift;
    private int _rcvShift;
    private bool _ts;
    private bool _sack;
    private uint _tsRecent;
    private uint _tsOffset;
    private uint _lastAckSent;
    // Timers: absolute deadlines, long.MaxValue when off.
    private long _rtoAt = long.MaxValue;
    private long _tlpAt = long.MaxValue;
    private bool _tlpOutstanding;
    private long _delAckAt = long.MaxValue;
    private long _persistAt = long.MaxValue;
    private long _keepaliveAt = long.MaxValue;
    private long _timeWaitAt = long.MaxValue;
    private int _backoffs;
    private int _keepaliveProbesSent;
    private long _lastReceiveNs;
    // Loss recovery (RFC 6675 / 6582).
    private bool _inRecovery;
    private uint _recoveryPoint;
    private int _dupAcks;
    // ACK policy.
    private int _unackedSegments;
    private bool _ackNow;
    private bool _closedReported;

    private TcpConnection(TcpCoreOptions options, ITcpSegmentSink sink, ITcpEvents events, ITcpOptionHook? hook, ushort localPort, ushort remotePort,
        uint iss, uint tsOffset, ICongestionCoupling? coupling)
    {
        LocalPort = localPort;
        RemotePort = remotePort;
        _o = options;
        _sink = sink;
        _events = events;
        _hook = hook;
        _cc = CongestionControlFactory.Create(options.CongestionControl, coupling);
        _rtt = new RttEstimator(options.InitialRtoNs, options.MinRtoNs, options.MaxRtoNs);
        _send = new ByteRing(options.SendBufferSize);
        _recv = new ReceiveBuffer(options.ReceiveBufferSize);
        _iss = iss;
        _sndUna = _sndNxt = _sndMax = iss;
        _tsOffset = tsOffset;
        _rcvShift = options.WindowScaling ? WindowShiftFor(options.ReceiveBufferSize) : 0;
    }

    public TcpState State { get; private set; }
    public ushort LocalPort { get; }
    public ushort RemotePort { get; }
    public TcpStatistics Statistics { get; } = new();
    public ICongestionControl CongestionControl => _cc;
    public RttEstimator Rtt => _rtt;
    /// <summary>Bytes the application can still write.</summary>
    public int SendBufferFree => _finQueued ? 0 : _send.Free;
    public int SendBufferUsed => _send.Count;
    /// <summary>In-order bytes waiting to be read.</summary>
    public int Readable => _recv.Readable;
    public uint InitialSendSequence => _iss;
    public uint InitialReceiveSequence => _irs;
    public uint SndUna => _sndUna;
    public uint SndNxt => _sndNxt;
    public uint RcvNxt => _rcvNxt;
    public long SendWindow => _sndWnd;
    public int PeerMss => _peerMss;
    public bool TimestampsEnabled => _ts;
    public bool SackEnabled => _sack;
    public int SendWindowShift => _sndShift;
    public int ReceiveWindowShift => _rcvShift;
    public bool InRecovery => _inRecovery;
    /// <summary>Consecutive retransmission timeouts without progress (MPTCP counts a subflow stale after a few); zero-window probes do not count.</summary>
    public int RtoBackoffs => _timeoutsWithoutProgress;
    private int _timeoutsWithoutProgress;
    /// <summary>
    /// When the last acceptable ACK arrived (Linux: tp->rcv_tstamp): MPTCP calls a subflow with unacknowledged data stale
    /// when nothing came back on it for several data-level retransmission intervals, and active again once something does.
    /// </summary>
    public long LastAckReceivedNs { get; private set; }

    /// <summary>
    /// The sequence number for a segment without data (RST, pure ACK): SND.NXT, unless a zero-window probe put it past the
    /// peer's window, then the window's right edge, which the peer accepts (Linux: tcp_acceptable_seq; RFC 5961).
    /// </summary>
    private uint AcceptableSeq
    {
        get
        {
            var windowEnd = _sndUna + (uint)Math.Min(_sndWnd, int.MaxValue);
            return SeqMath.Le(_sndNxt, windowEnd) ? _sndNxt : windowEnd;
        }
    }
    public long BytesInFlight => _flight.Pipe;
    /// <summary>The MSS for payload once per-segment options are accounted for.</summary>
    public int EffectiveMss => Math.Min(Math.Min(_peerMss, _o.Mss), _pathMss) - (_ts ? TimestampSpace : 0);

    /// <summary>
    /// An ICMP "fragmentation needed" / "packet too big" for this connection reported <paramref name="pathMtu"/>
    /// (RFC 1191, RFC 8201): segments shrink to fit, and what is in flight is resent in the new size.
    /// <paramref name="ipHeaderLength"/> is 20 for IPv4, 40 for IPv6.
    /// </summary>
    public void OnPathMtu(int pathMtu, int ipHeaderLength, long nowNs)
    {
        // Linux's net.ipv4.route.min_pmtu (552) and RFC 8200's 1280 for IPv6: lower reports are forged or broken.
        var floor = ipHeaderLength == 20 ? 552 : 1280;
        var mss = Math.Max(pathMtu, floor) - ipHeaderLength - Transport.Wire.Tcp.TcpSegment.MinHeaderLength;
        if (mss >= _pathMss || !State.IsSynchronized()) return;
        _pathMss = mss;
        Statistics.PathMtuReductions++;
        _cc.OnMssChanged(EffectiveMss);
        _flight.Resegment(EffectiveMss);
        Output(nowNs);
    }

    /// <summary>The earliest time <see cref="OnTimer"/> must be called (smoltcp's poll_at); long.MaxValue when no timer runs.</summary>
    public long NextDeadlineNs => Math.Min(Math.Min(Math.Min(_rtoAt, _delAckAt), Math.Min(_persistAt, _keepaliveAt)), Math.Min(_timeWaitAt, _tlpAt));

    /// <summary>Active open (RFC 9293 3.10.1): sends the SYN.</summary>
    public static TcpConnection Connect(TcpCoreOptions options, ITcpSegmentSink sink, ITcpEvents events, ITcpOptionHook? hook, ushort localPort,
        ushort remotePort, uint iss, uint tsOffset, long nowNs, ICongestionCoupling? coupling = null)
    {
        var c = new TcpConnection(options, sink, events, hook, localPort, remotePort, iss, tsOffset, coupling) { State = TcpState.SynSent };
        c.SendSyn(nowNs, ack: false);
        return c;
    }

    /// <summary>
    /// Passive open from a SYN that reached a listener (RFC 9293 3.10.7.2): sends the SYN/ACK. Returns null when the
    /// option hook refuses the SYN; the caller then answers with <see cref="WriteResetFor"/>.
    /// </summary>
    public static TcpConnection? Accept(TcpCoreOptions options, ITcpSegmentSink sink, ITcpEvents events, ITcpOptionHook? hook, uint iss,
        uint tsOffset, TcpSegment syn, long nowNs, ICongestionCoupling? coupling = null)
    {
        if (!syn.Has(TcpFlags.Syn) || syn.Has(TcpFlags.Ack) || syn.Has(TcpFlags.Rst)) return null;
        if (hook is not null && !hook.AcceptSyn(syn.Options, synAck: false)) return null;
        var c = new TcpConnection(options, sink, events, hook, syn.DestinationPort, syn.SourcePort, iss, tsOffset, coupling) { State = TcpState.SynReceived };
        c.TakeSyn(syn, nowNs);
        hook?.OnOptions(syn.Options, new IncomingSegmentInfo(syn.SequenceNumber, syn.AcknowledgmentNumber, syn.Flags, syn.Payload.Length, c.State));
        c.SendSyn(nowNs, ack: true);
        return c;
    }

    /// <summary>
    /// The reset RFC 9293 3.10.7.1 prescribes for a segment that matches no connection: none for a RST; &lt;SEQ=SEG.ACK&gt;&lt;RST&gt;
    /// when it carries an ACK; else &lt;SEQ=0&gt;&lt;ACK=SEG.SEQ+SEG.LEN&gt;&lt;RST,ACK&gt;. Returns the segment length written (0: send nothing).
    /// </summary>
    public static int WriteResetFor(TcpSegment segment, Span<byte> destination)
    {
        if (segment.Has(TcpFlags.Rst)) return 0;
        if (segment.Has(TcpFlags.Ack))
            return TcpSegment.WriteHeader(destination, segment.DestinationPort, segment.SourcePort, segment.AcknowledgmentNumber, 0, TcpFlags.Rst, 0, 0);
        var len = (uint)segment.Payload.Length + (segment.Has(TcpFlags.Syn) ? 1u : 0) + (segment.Has(TcpFlags.Fin) ? 1u : 0);
        return TcpSegment.WriteHeader(destination, segment.DestinationPort, segment.SourcePort, 0, segment.SequenceNumber + len,
            TcpFlags.Rst | TcpFlags.Ack, 0, 0);
    }

    /// <summary>Queues data; returns how many bytes fit in the send buffer (the rest is the caller's to retry on <see cref="ITcpEvents.OnAcknowledged"/>).</summary>
    public int Write(ReadOnlySpan<byte> data, long nowNs)
    {
        if (_finQueued || !State.CanSend()) return 0;
        var n = _send.Append(data);
        if (n > 0 && State.IsSynchronized()) Output(nowNs);
        return n;
    }

    /// <summary>Reads in-order data; reading opens the receive window, which may be announced at once (RFC 9293 3.8.6.2.2).</summary>
    public int Read(Span<byte> destination, long nowNs)
    {
        var n = _recv.Read(destination);
        if (n > 0) AfterRead(nowNs);
        return n;
    }

    /// <summary>Copies readable data without consuming it (an MPTCP layer maps it before taking it).</summary>
    public void Peek(Span<byte> destination) => _recv.Peek(destination);

    public void Consume(int n, long nowNs)
    {
        _recv.Consume(n);
        if (n > 0) AfterRead(nowNs);
    }

    /// <summary>Half close: a FIN follows the queued data; receiving goes on (RFC 9293 3.10.4).</summary>
    public void Shutdown(long nowNs)
    {
        switch (State)
        {
            case TcpState.SynSent:
                Close(TcpCloseReason.Closed);
                return;
            case TcpState.Established or TcpState.CloseWait or TcpState.SynReceived:
                _finQueued = true;
                if (State != TcpState.SynReceived) Output(nowNs);
                return;
        }
    }

    /// <summary>
    /// Sends an ACK now (with whatever new data the windows allow first): the layer above has something to say in the
    /// options of a pure ACK, such as MPTCP's DATA_ACK, DATA_FIN, ADD_ADDR or MP_PRIO.
    /// </summary>
    public void SendAckNow(long nowNs)
    {
        if (!State.IsSynchronized() || State == TcpState.TimeWait) return;
        _ackNow = true;
        Output(nowNs);
    }

    /// <summary>
    /// Sends a pure ACK now, even when data is going out: the layer above has an option that only fits a segment without
    /// payload and must not wait for one (MPTCP's MP_FAIL, which Linux sends with tcp_send_ack).
    /// </summary>
    public void SendPureAck(long nowNs)
    {
        if (!State.IsSynchronized() || State == TcpState.TimeWait) return;
        SendAck(nowNs);
    }

    /// <summary>Abort (RFC 9293 3.10.5): a RST if synchronized, then CLOSED at once.</summary>
    public void Abort(long nowNs)
    {
        if (State is TcpState.Closed or TcpState.TimeWait or TcpState.Listen) return;
        if (State != TcpState.SynSent) SendControl(AcceptableSeq, 0, TcpFlags.Rst, nowNs);
        Close(TcpCloseReason.Aborted);
    }

    private void AfterRead(long nowNs)
    {
        if (!State.CanReceive() && State != TcpState.CloseWait) return;
        var free = AdvertisableWindow();
        var advertised = (long)(uint)(_rcvAdv - _rcvNxt);
        // Announce the larger window only when it grows enough to matter (receiver SWS avoidance, RFC 9293 3.8.6.2.2).
        if (free - advertised >= Math.Min(_recv.Capacity / 2, 2 * Math.Max(EffectiveMss, 1))) SendAck(nowNs);
    }

    private static int WindowShiftFor(int bufferSize)
    {
        var shift = 0;
        while (shift < TcpOptions.MaxWindowScale && (bufferSize >> shift) > 0xFFFF) shift++;
        return shift;
    }

    private uint TsVal(long nowNs) => (uint)(nowNs / 1_000_000) + _tsOffset;

    private void Close(TcpCloseReason reason)
    {
        State = TcpState.Closed;
        _rtoAt = _delAckAt = _persistAt = _keepaliveAt = _timeWaitAt = _tlpAt = long.MaxValue;
        if (_closedReported) return;
        _closedReported = true;
        _events.OnClosed(reason);
    }
}
