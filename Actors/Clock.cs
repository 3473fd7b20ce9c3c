using System.Diagnostics;

namespace MptcpActors.Actors;

/// <summary>Monotonic nanoseconds for protocol cores run by actors (the simulator has its own virtual clock).</summary>
public static class MonotonicClock
{
    public static long NowNs => (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));
}
