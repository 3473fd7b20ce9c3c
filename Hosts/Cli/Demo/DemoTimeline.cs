using MptcpActors.Actors.Sim;

namespace MptcpActors.Cli.Demo;

/// <summary>The demo's faults: the Wi-Fi path goes down and comes back up, at given times after the start.</summary>
public sealed class DemoTimeline(SimTwoNodes nodes, TimeSpan failAt, TimeSpan recoverAt)
{
    public TimeSpan FailAt { get; } = failAt;
    public TimeSpan RecoverAt { get; } = recoverAt;
    public bool Failed { get; private set; }
    public bool Recovered { get; private set; }

    /// <summary>Applies what is due at <paramref name="elapsed"/>; returns a line for the log when something changed.</summary>
    public string? Advance(TimeSpan elapsed)
    {
        if (!Failed && elapsed >= FailAt)
        {
            Failed = true;
            nodes.Sim.Tell(new SimNetworkActor.ChangeNetwork(n => n.GetLink("wifi").Down()), Akka.Actor.ActorRefs.NoSender);
            return $"{elapsed.TotalSeconds,5:F1} s  wifi down";
        }
        if (Failed && !Recovered && elapsed >= RecoverAt)
        {
            Recovered = true;
            nodes.Sim.Tell(new SimNetworkActor.ChangeNetwork(n => n.GetLink("wifi").Up()), Akka.Actor.ActorRefs.NoSender);
            return $"{elapsed.TotalSeconds,5:F1} s  wifi up";
        }
        return null;
    }
}
