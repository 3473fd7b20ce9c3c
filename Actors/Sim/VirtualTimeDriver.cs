using Akka.Actor;
using Akka.Actor.Internal;
using Akka.Configuration;
using MptcpActors.Transport.Sim;

namespace MptcpActors.Actors.Sim;

/// <summary>
/// Runs an ActorSystem and a simulated network together in virtual time, on the calling thread: every actor runs
/// until all are idle, then the clock jumps to the next thing due (an actor timer or a frame arriving on a simulated
/// link). A minute of traffic takes as long as the CPU needs for it, not a minute, and the same seed gives the same
/// run. The system must be created with <see cref="Config"/>; the network is run by a <see cref="SimNetworkActor"/>
/// created before time first moves.
/// </summary>
public sealed class VirtualTimeDriver
{
    /// <summary>Puts the system's scheduler and user actors in virtual time; the loggers keep a real dispatcher so that the system can start.</summary>
    public static Config Config { get; } = ConfigurationFactory.ParseString($$"""
        akka.scheduler.implementation = "{{typeof(VirtualTimeScheduler).AssemblyQualifiedName}}"
        akka.actor.default-dispatcher {
          type = "{{typeof(VirtualTimeDispatcherConfigurator).AssemblyQualifiedName}}"
          throughput = 100
        }
        akka.loggers-dispatcher = akka.actor.internal-dispatcher
        """);

    private const int MaxStepsAtOneInstant = 100_000;

    private readonly VirtualTimeScheduler _scheduler;
    private readonly VirtualTimeDispatcher _dispatcher;
    private SimNetwork? _network;
    private IActorRef _simActor = ActorRefs.Nobody;
    private long _networkOffsetNs;

    public VirtualTimeDriver(ActorSystem system)
    {
        _scheduler = system.Scheduler as VirtualTimeScheduler
                     ?? throw new ArgumentException("the ActorSystem was not created with VirtualTimeDriver.Config (its scheduler is not virtual)", nameof(system));
        _dispatcher = system.Dispatchers.DefaultGlobalDispatcher as VirtualTimeDispatcher
                      ?? throw new ArgumentException("the ActorSystem was not created with VirtualTimeDriver.Config (its default dispatcher is not virtual)", nameof(system));
        System = system;
    }

    public ActorSystem System { get; }

    /// <summary>Virtual time since the system started.</summary>
    public TimeSpan Now => _scheduler.Now;

    /// <summary>
    /// The network <paramref name="simActor"/> runs: whenever a frame is due the driver wakes it, or runs the network's
    /// events itself when nothing else is due then (see <see cref="CatchUpNetwork"/>).
    /// </summary>
    public void Attach(SimNetwork network, IActorRef simActor)
    {
        _network = network;
        _simActor = simActor;
        _networkOffsetNs = Now.Ticks * 100 - network.NowNs;
    }

    /// <summary>Runs every actor until all are idle, without moving the clock.</summary>
    public void RunUntilIdle()
    {
        // The wall clock is read only once a top-level actor keeps the run waiting (not at every idle moment).
        DateTime? wall = null;
        do _dispatcher.RunUntilIdle();
        while (AwaitingGuardian(ref wall));
    }

    /// <summary>
    /// An actor made by system.ActorOf starts only when the user guardian gets to it, on Akka's internal dispatcher (a
    /// real thread), and what is told to it meanwhile reaches its mailbox only then (the guardian's supervision, a
    /// restart, also runs there). All actors may look idle while such a message is on its way; time moved on then
    /// found nothing due and jumped to the run's limit. True (after yielding the thread) while a top-level actor has
    /// yet to start or holds messages not queued here, or when work has arrived here meanwhile.
    /// </summary>
    private bool AwaitingGuardian(ref DateTime? wall)
    {
        if (!_dispatcher.IsIdle) return true;
        // Once terminating, nothing new needs its start waited for, and the cells being torn down on Akka's threads
        // must not be read from here (a null mailbox queue mid-teardown crashed a run: NullReferenceException).
        if (_terminating || System.WhenTerminated.IsCompleted) return false;
        foreach (var child in TopLevelActors())
        {
            if (child is not RepointableActorRef r || r.IsStarted && r.Underlying is not ActorCell { Mailbox.MessageQueue.HasMessages: true }) continue;
            wall ??= DateTime.UtcNow + StartWait;
            if (DateTime.UtcNow > wall) throw new InvalidOperationException($"{r.Path} did not start within {StartWait.TotalSeconds:F0} s of real time");
            Thread.Sleep(0);
            return true;
        }
        return false;
    }

    private static readonly TimeSpan StartWait = TimeSpan.FromSeconds(30);

    private bool _terminating;

    private IChildrenContainer? _guardianChildren;
    private IActorRef[] _topLevel = [];

    /// <summary>
    /// The user guardian's children, listed again only when its (immutable) children container was replaced: walking
    /// the container's dictionary at every idle moment took a sixth of a simulated run's CPU.
    /// </summary>
    private IActorRef[] TopLevelActors()
    {
        var container = ((ExtendedActorSystem)System).Provider.Guardian.Cell.ChildrenContainer;
        if (!ReferenceEquals(container, _guardianChildren))
        {
            _guardianChildren = container;
            _topLevel = container.Children.ToArray<IActorRef>();
        }
        return _topLevel;
    }

    /// <summary>
    /// Runs until <paramref name="done"/> holds (checked whenever all actors are idle) or the clock reaches
    /// <paramref name="limit"/>; <paramref name="progress"/> is called at each idle moment. True when done.
    /// </summary>
    public bool RunUntil(Func<bool> done, TimeSpan limit, Action<TimeSpan>? progress = null)
    {
        var stuckAt = TimeSpan.MinValue;
        var stuckSteps = 0;
        while (true)
        {
            RunUntilIdle();
            // Actors that keep waking each other at one instant would hold virtual time still forever.
            stuckSteps = Now == stuckAt ? stuckSteps + 1 : 0;
            stuckAt = Now;
            if (stuckSteps > MaxStepsAtOneInstant)
                throw new InvalidOperationException($"virtual time is stuck at {Now}: {MaxStepsAtOneInstant} wake-ups without it moving (a timer re-armed for now?)");
            progress?.Invoke(Now);
            if (done()) return true;
            // Instants at which only the network had something due and it woke no actor (a link's transmitter taking
            // its next queued frame: a third of them in a bulk transfer) go by without the idle moment's checks above.
            do
            {
                if (NextDue() is not { } at || at > limit)
                {
                    if (Now < limit) _scheduler.AdvanceTo(limit);
                    RunUntilIdle();
                    return done();
                }
                var timers = _scheduler.AdvanceTo(at);
                if (!CatchUpNetwork(timers)) break;
            }
            while (_dispatcher.IsIdle);
        }
    }

    /// <summary>
    /// Runs the network's events due by now. When no timer ran at this instant the driver runs them itself, on this
    /// thread between actor turns, as the network actor's turn would (it would be the only mailbox to run): a message
    /// and a mailbox run less per frame. Otherwise the actor is woken, so that its turn comes after the timers' messages.
    /// True when the events ran here.
    /// </summary>
    private bool CatchUpNetwork(int timersRun)
    {
        if (_network is null) return false;
        if (timersRun > 0 || NetworkActorStopped)
        {
            _simActor.Tell(SimNetworkActor.CatchUp.Instance);
            return false;
        }
        _network.Scheduler.RunUntil(Now.Ticks * 100 - _networkOffsetNs);
        return true;
    }

    // Once the actor is gone (the system shutting down) its network stands still, as before. The driver is no actor and
    // cannot watch it: it asks the ref.
#pragma warning disable CS0618
    private bool NetworkActorStopped => _simActor is IInternalActorRef { IsTerminated: true };
#pragma warning restore CS0618

    /// <summary>Runs for <paramref name="duration"/> of virtual time.</summary>
    public void RunFor(TimeSpan duration) => RunUntil(() => false, Now + duration);

    /// <summary>Terminates the system, running it until its shutdown (which may exchange messages and wait on timers) is over.</summary>
    public void Shutdown(TimeSpan limit)
    {
        _terminating = true;
        var terminated = System.Terminate();
        var until = Now + limit;
        RunUntil(() => terminated.IsCompleted, until);
        // Parts of the shutdown finish on other threads (task continuations): give them real time too.
        var wall = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!terminated.IsCompleted && DateTime.UtcNow < wall)
        {
            RunUntilIdle();
            Thread.Sleep(1);
        }
    }

    private TimeSpan? NextDue()
    {
        var timer = _scheduler.NextDue;
        if (_network is null || !_network.Scheduler.TryPeekNextTime(out var frameNs)) return timer;
        var frame = TimeSpan.FromTicks((frameNs + _networkOffsetNs + 99) / 100);
        return timer is { } t && t < frame ? t : frame;
    }
}
