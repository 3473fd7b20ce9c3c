using System.Collections.Concurrent;
using Akka.Configuration;
using Akka.Dispatch;

namespace MptcpActors.Actors.Sim;

/// <summary>
/// A dispatcher that runs nothing by itself: mailboxes with work wait in a queue until <see cref="RunUntilIdle"/>
/// processes them on the caller's thread, one after the other in arrival order. With it the
/// <see cref="VirtualTimeDriver"/> knows when every actor is idle, the moment it may move virtual time on.
/// </summary>
public sealed class VirtualTimeDispatcher(MessageDispatcherConfigurator configurator) : MessageDispatcher(configurator)
{
    private readonly ConcurrentQueue<IRunnable> _ready = new();

    /// <summary>Runs queued mailboxes (and whatever they queue in turn) until none is left; returns how many ran.</summary>
    public long RunUntilIdle()
    {
        long ran = 0;
        while (_ready.TryDequeue(out var run))
        {
            run.Run();
            ran++;
        }
        return ran;
    }

    /// <summary>No mailbox is waiting to run.</summary>
    public bool IsIdle => _ready.IsEmpty;

    protected override void ExecuteTask(IRunnable run) => _ready.Enqueue(run);

    protected override void Shutdown()
    {
    }
}

/// <summary>Hands out the one <see cref="VirtualTimeDispatcher"/> of an ActorSystem (<c>type</c> of a dispatcher's config).</summary>
public sealed class VirtualTimeDispatcherConfigurator : MessageDispatcherConfigurator
{
    private readonly VirtualTimeDispatcher _instance;

    public VirtualTimeDispatcherConfigurator(Config config, IDispatcherPrerequisites prerequisites) : base(config, prerequisites) =>
        _instance = new VirtualTimeDispatcher(this);

    public override MessageDispatcher Dispatcher() => _instance;
}
