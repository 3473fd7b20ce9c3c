using Akka.Actor;

namespace MptcpActors.Actors;

/// <summary>
/// Monotonic nanoseconds for protocol cores run by actors, read from their ActorSystem's scheduler: real time
/// normally, virtual time when a <see cref="Sim.VirtualTimeDriver"/> runs the system (the simulator without actors
/// has its own virtual clock).
/// </summary>
public static class MonotonicClock
{
    // HighResMonotonicClock: Akka's MonotonicClock counts whole milliseconds, too coarse for round-trip times.
    public static long NowNs(IScheduler scheduler) => scheduler.HighResMonotonicClock.Ticks * 100;
}
