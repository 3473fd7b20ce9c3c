namespace MptcpActors.Cli.Failover.Netns;

/// <summary>One end of a run on namespaces, engine or kernel: a process that ends with the connection and then tells what it saw.</summary>
public interface IRunEnd : IDisposable
{
    bool Exited { get; }

    void WaitForExit(TimeSpan timeout);

    /// <summary>What the end saw, its times relative to <paramref name="startTimestamp"/> (a Stopwatch timestamp); null with the reason if it failed.</summary>
    (EndResult? Result, string? Error) Result(long startTimestamp);
}
