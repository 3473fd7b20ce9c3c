using System.Buffers;
using Akka.Actor;
using MptcpActors.Actors.Interface;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Sim;

namespace MptcpActors.Actors.Sim;

/// <summary>
/// Owns a <see cref="SimNetwork"/> and runs it in step with the ActorSystem scheduler's clock (real time, or virtual
/// time under a <see cref="VirtualTimeDriver"/>), so actors (interfaces, subflows) can use the simulated links as
/// devices: frames arrive as <see cref="FrameOut"/> messages and leave as <see cref="FrameIn"/>.
/// All simulator state is touched only by this actor (and under a <see cref="VirtualTimeDriver"/>, which runs every
/// actor on its own thread, by the driver between turns: see <see cref="VirtualTimeDriver.Attach"/>).
/// </summary>
public sealed class SimNetworkActor : UntypedActor, IWithTimers
{
    private readonly SimNetwork _net;
    private readonly TimeSpan _tick;
    private readonly long _startNs;
    private readonly Dictionary<string, SimPort> _ports = [];
    private TimeSpan _startClock;

    public SimNetworkActor(SimNetwork net, TimeSpan tick)
    {
        _net = net;
        _tick = tick;
        _startNs = net.NowNs;
    }

    public static Props Props(SimNetwork net, TimeSpan? tick = null) => Akka.Actor.Props.Create(() => new SimNetworkActor(net, tick ?? TimeSpan.FromMilliseconds(1)));

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Changes the network from outside (a link down, blackholed, slower) at the simulator's current time, on its own thread.</summary>
    public sealed record ChangeNetwork(Action<SimNetwork> Change);

    /// <summary>
    /// Frames to send, back to back in <paramref name="Buffer"/> with their lengths in <paramref name="Lengths"/>, both of
    /// <see cref="ArrayPool{T}.Shared"/> and given back once sent (see <see cref="SimPortDevice"/>).
    /// </summary>
    public sealed record PooledFramesOut(string Port, byte[] Buffer, int[] Lengths, int Count);

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    /// <summary>Runs the network up to the clock's now (the virtual-time driver sends it when a frame is due).</summary>
    public sealed class CatchUp
    {
        public static readonly CatchUp Instance = new();
    }

    protected override void PreStart()
    {
        _startClock = Context.System.Scheduler.HighResMonotonicClock;
        Timers.StartPeriodicTimer("tick", Tick.Instance, _tick);
    }

    protected override void OnReceive(object message)
    {
        RunToNow();
        switch (message)
        {
            case Tick or CatchUp:
                break;
            case PooledFramesOut f:
                try
                {
                    var port = Port(f.Port);
                    var at = 0;
                    foreach (var length in f.Lengths.AsSpan(0, f.Count))
                    {
                        port.Transmit(f.Buffer.AsSpan(at, length));
                        at += length;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(f.Buffer);
                    ArrayPool<int>.Shared.Return(f.Lengths);
                }
                break;
            case FrameOut f:
                Port(f.Port).Transmit(f.Frame);
                break;
            case AttachInterface a:
                Port(a.Port).Attach(a.Receiver);
                break;
            case ChangeNetwork c:
                c.Change(_net);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void RunToNow() => _net.Scheduler.RunUntil(_startNs + (Context.System.Scheduler.HighResMonotonicClock - _startClock).Ticks * 100);

    /// <summary>Ports are named "host/link".</summary>
    private SimPort Port(string name)
    {
        if (_ports.TryGetValue(name, out var port)) return port;
        var slash = name.IndexOf('/');
        return _ports[name] = _net.Host(name[..slash]).Port(name[(slash + 1)..]);
    }
}
