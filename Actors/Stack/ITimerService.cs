namespace MptcpActors.Actors.Stack;

/// <summary>Time and one-shot timers for a stack: the simulator's virtual clock, or real time.</summary>
public interface ITimerService
{
    long NowNs { get; }
    /// <summary>Calls <paramref name="callback"/> at <paramref name="atNs"/> unless the returned handle is disposed first.</summary>
    IDisposable Schedule(long atNs, Action callback);
}
