using System.Diagnostics;
using Akka.Actor;
using MptcpActors.Actors.Interface;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Sim;

namespace MptcpActors.Actors.Sim;

/// <summary>
/// Owns a <see cref="SimNetwork"/> and runs it in step with real time, so actors (interfaces, subflows) can use the
/// simulated links as devices: frames arrive as <see cref="FrameOut"/> messages and leave as <see cref="FrameIn"/>.
/// All simulator state is touched only by this actor. (Protocol tests that need virtual time drive the simulator
/// directly, without actors.)
/// </summary>
public sealed class SimNetworkActor : UntypedActor, IWithTimers
{
    private readonly SimNetwork _net;
    private readonly TimeSpan _tick;
    private readonly Stopwatch _clock = new();
    private readonly long _startNs;

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

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    protected override void PreStart()
    {
        _clock.Start();
        Timers.StartPeriodicTimer("tick", Tick.Instance, _tick);
    }

    protected override void OnReceive(object message)
    {
        CatchUp();
        switch (message)
        {
            case Tick:
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

    private void CatchUp() => _net.Scheduler.RunUntil(_startNs + _clock.Elapsed.Ticks * 100);

    /// <summary>Ports are named "host/link".</summary>
    private SimPort Port(string name)
    {
        var slash = name.IndexOf('/');
        return _net.Host(name[..slash]).Port(name[(slash + 1)..]);
    }
}
