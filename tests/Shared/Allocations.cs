namespace MptcpActors.Tests.Shared;

/// <summary>
/// Measures what a piece of hot-path code allocates on the calling thread. The runtime itself
/// occasionally allocates on a thread while code runs (tiered re-JIT, on-stack replacement,
/// lazily initialised runtime state), so one measurement can be a few KB off; a per-packet
/// allocation shows in every attempt, so the least of several attempts is what the code allocates.
/// </summary>
public static class Allocations
{
    public static long Least(Action run, int attempts = 5)
    {
        var least = long.MaxValue;
        for (var i = 0; i < attempts && least > 0; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            run();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }
}
