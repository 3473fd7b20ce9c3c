using MptcpActors.Actors.Tcp;

namespace MptcpActors.Actors.Stack;

/// <summary>
/// One TCP connection on a <see cref="TcpStack"/>: the core plus its timer. Every call into the core is followed by
/// re-arming the single timer at the core's next deadline (smoltcp's poll_at).
/// </summary>
public sealed class TcpSocket : ITcpEvents, ITcpSegmentSink
{
    private readonly TcpStack _stack;
    private readonly ITcpEvents _upper;
    private readonly Action _onTimer;
    private IDisposable? _timer;
    private long _timerAt = long.MaxValue;

    private readonly byte[] _remote;

    internal TcpSocket(TcpStack stack, TcpFlowKey key, ITcpEvents upper)
    {
        _stack = stack;
        Key = key;
        _upper = upper;
        _remote = new byte[key.RemoteAddress.Length];
        key.RemoteAddress.CopyTo(_remote);
        _onTimer = OnTimer; // one delegate for the socket's life, not one per re-arm
    }

    Span<byte> ITcpSegmentSink.Rent(int maxLength) => _stack.Rent(maxLength);
    void ITcpSegmentSink.Send(int length) => _stack.Send(Key.RemoteAddress, _remote, length);

    public TcpFlowKey Key { get; }
    public TcpConnection Core { get; internal set; } = null!;
    public TcpState State => Core.State;

    public int Write(ReadOnlySpan<byte> data)
    {
        var n = Core.Write(data, _stack.NowNs);
        Rearm();
        return n;
    }

    public int Read(Span<byte> destination)
    {
        var n = Core.Read(destination, _stack.NowNs);
        Rearm();
        return n;
    }

    public void Shutdown()
    {
        Core.Shutdown(_stack.NowNs);
        Rearm();
    }

    public void Abort()
    {
        Core.Abort(_stack.NowNs);
        Rearm();
    }

    internal void Rearm()
    {
        if (Core.State == TcpState.Closed)
        {
            _timer?.Dispose();
            _timer = null;
            _timerAt = long.MaxValue;
            _stack.Remove(this);
            return;
        }
        var at = Core.NextDeadlineNs;
        // A timer armed for no later than the new deadline stays: firing early, it finds nothing due and arms the real
        // deadline then. So the common case, every ACK pushing the RTO (or TLP) back, costs no cancel and no new timer.
        if (_timer is not null && _timerAt <= at) return;
        _timer?.Dispose();
        _timerAt = at;
        _timer = at == long.MaxValue ? null : _stack.Timers.Schedule(at, _onTimer);
    }

    private void OnTimer()
    {
        _timer = null;
        _timerAt = long.MaxValue;
        Core.OnTimer(_stack.NowNs);
        Rearm();
    }

    void ITcpEvents.OnEstablished() => _upper.OnEstablished();
    void ITcpEvents.OnDataReadable() => _upper.OnDataReadable();
    void ITcpEvents.OnAcknowledged(long bytes) => _upper.OnAcknowledged(bytes);
    void ITcpEvents.OnPeerClosed() => _upper.OnPeerClosed();
    void ITcpEvents.OnClosed(TcpCloseReason reason) => _upper.OnClosed(reason);
}
