using MptcpActors.Transport.Sim;

namespace MptcpActors.Actors.Stack;

/// <summary>Timers on the simulator's virtual clock.</summary>
public sealed class SimTimerService(EventScheduler scheduler) : ITimerService
{
    public long NowNs => scheduler.NowNs;

    public IDisposable Schedule(long atNs, Action callback) => new Handle(scheduler.Schedule(Math.Max(atNs, scheduler.NowNs), callback));

    private sealed class Handle(ScheduledEvent e) : IDisposable
    {
        public void Dispose() => e.Cancel();
    }
}
