using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Devices.Linux;
using MptcpActors.Transport.Sim;

namespace MptcpActors.Cli.Failover.Netns;

/// <summary>
/// The router's userspace path emulator (this kernel has no netem): the simulator's links (rate, delay, jitter, loss,
/// drop-tail queue, down, blackhole) run in step with the real clock between the router's two AF_PACKET ends of each
/// path. A frame from the client's side enters the link at the moment it arrives and leaves on the server's side when
/// the link delivers it, and the other way round; the link's trace gives the per-path throughput as on the simulator.
/// One thread runs the simulator and owns it; faults reach it as actions.
/// </summary>
public sealed class PathEmulator : IDisposable
{
    private readonly SimNetwork _network;
    private readonly ConcurrentQueue<(SimPort Port, byte[] Frame, int Length, long At)> _arrived = new();
    private readonly ConcurrentQueue<(Action<SimNetwork> Change, TaskCompletionSource Applied)> _changes = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly List<AfPacketDevice> _devices = [];
    private readonly Thread _thread;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stop;

    public PathEmulator(string routerNs, IReadOnlyList<(NetnsPath Path, LinkParameters Link)> paths, ulong seed, TimeSpan bucket)
    {
        _network = new SimNetwork(seed);
        foreach (var (path, link) in paths) _network.Link(path.Name, "client", "server", link);
        Trace = _network.EnableTrace(bucket.Ticks * 100);
        _thread = new Thread(() => Run(routerNs, paths)) { IsBackground = true, Name = "path-emulator" };
        _thread.Start();
        _ready.Task.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Stopwatch timestamp (CLOCK_MONOTONIC on Linux, as Python's time.monotonic_ns) of the emulator's time 0: the
    /// arrival of the first frame (the client's first ARP request or SYN); 0 until then.
    /// </summary>
    public long StartTimestamp => Interlocked.Read(ref _start);

    private long _start;

    /// <summary>How late the emulator's thread came to what was due (a frame's delivery, its transmitter freeing); read it after <see cref="Dispose"/>.</summary>
    public EmulatorLateness Lateness { get; } = new();

    /// <summary>Per path and direction, delivered bytes per bucket; read it after <see cref="Dispose"/>.</summary>
    public NetworkTrace Trace { get; }

    /// <summary>The emulated links; read them after <see cref="Dispose"/>.</summary>
    public SimNetwork Network => _thread.IsAlive ? throw new InvalidOperationException("the emulator is still running") : _network;

    /// <summary>Applies <paramref name="change"/> to the emulated links at the emulator's next step (within a millisecond); the task completes then.</summary>
    public Task Change(Action<SimNetwork> change)
    {
        var applied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _changes.Enqueue((change, applied));
        _wake.Set();
        return applied.Task;
    }

    /// <summary>Takes what arrives on one of the router's ends (on that device's receive thread) to the emulator's thread, super-frames cut to the MTU.</summary>
    private sealed class Inbox(PathEmulator owner, SimPort port, int mtu) : IFrameReceiver
    {
        private readonly byte[] _scratch = new byte[mtu + 14];

        public void Receive(IFrameDevice device, ReadOnlySpan<byte> frame, long timeNs)
        {
            if (owner._start == 0) Interlocked.CompareExchange(ref owner._start, Stopwatch.GetTimestamp(), 0);
            if (frame.Length <= mtu + 14) Enqueue(frame);
            else SuperFrameSegmenter.Segment(frame, mtu, _scratch, piece => Enqueue(piece.Span));
            owner._wake.Set();
        }

        private void Enqueue(ReadOnlySpan<byte> frame)
        {
            var copy = ArrayPool<byte>.Shared.Rent(frame.Length);
            frame.CopyTo(copy);
            owner._arrived.Enqueue((port, copy, frame.Length, Stopwatch.GetTimestamp()));
        }
    }

    private sealed class Forward(AfPacketDevice device) : IFrameReceiver
    {
        public void Receive(IFrameDevice _, ReadOnlySpan<byte> frame, long timeNs) => device.Transmit(frame);
    }

    private void Run(string routerNs, IReadOnlyList<(NetnsPath Path, LinkParameters Link)> paths)
    {
        try
        {
            NetworkNamespace.Enter(routerNs);
            foreach (var (path, _) in paths)
            {
                // GSO senders' super-frames arrive whole (up to 64 KiB): receive them, then cut them (Inbox); send plain frames.
                var options = new AfPacketDeviceOptions { ReceiveFrameSize = 65554, SegmentationOffload = false };
                var toClient = new AfPacketDevice(path.RouterClientIf, options);
                var toServer = new AfPacketDevice(path.RouterServerIf, options);
                _devices.Add(toClient);
                _devices.Add(toServer);
                var clientPort = _network.Host("client").Port(path.Name);
                var serverPort = _network.Host("server").Port(path.Name);
                clientPort.Attach(new Forward(toClient));
                serverPort.Attach(new Forward(toServer));
                toClient.Attach(new Inbox(this, clientPort, toClient.Mtu));
                toServer.Attach(new Inbox(this, serverPort, toServer.Mtu));
            }
        }
        catch (Exception e)
        {
            _ready.SetException(e);
            return;
        }
        _ready.SetResult();
        while (!_stop)
        {
            if (StartTimestamp == 0)
            {
                _wake.WaitOne(TimeSpan.FromMilliseconds(10));
                continue;
            }
            // Each frame enters its link at the moment it arrived, not when this thread woke to it (a millisecond or
            // more later on a busy machine, which every packet's delay would have carried).
            while (_arrived.TryDequeue(out var a))
            {
                _network.RunUntil(Math.Max(NowNs(a.At), _network.NowNs));
                a.Port.Transmit(a.Frame.AsSpan(0, a.Length));
                ArrayPool<byte>.Shared.Return(a.Frame);
            }
            var now = NowNs();
            if (_network.Scheduler.TryPeekNextTime(out var due) && due <= now) Lateness.Add(now - due);
            _network.RunUntil(Math.Max(now, _network.NowNs));
            while (_changes.TryDequeue(out var c))
            {
                c.Change(_network);
                c.Applied.SetResult();
            }
            if (!_network.Scheduler.TryPeekNextTime(out var next)) next = now + 10_000_000;
            var wait = next - NowNs();
            // The OS wakes a sleeper a millisecond or so late: sleep only when the next frame is further off than that, then spin.
            if (wait > 1_500_000) _wake.WaitOne(TimeSpan.FromTicks((wait - 1_000_000) / 100));
            else if (wait > 0 && _arrived.IsEmpty) Thread.SpinWait(50);
        }
    }

    private long NowNs() => NowNs(Stopwatch.GetTimestamp());

    private long NowNs(long timestamp) => (long)((timestamp - StartTimestamp) * (1e9 / Stopwatch.Frequency));

    public void Dispose()
    {
        if (_stop) return;
        _stop = true;
        _wake.Set();
        _thread.Join(TimeSpan.FromSeconds(5));
        foreach (var d in _devices) d.Dispose();
        _wake.Dispose();
    }
}
