using Akka.Actor;
using MptcpActors.Actors.PathManagement;

namespace MptcpActors.Cli.PathControl;

/// <summary><c>--monitor</c>: every path-management event of the node as an <c>ip mptcp monitor</c> line on stderr.</summary>
public sealed class MonitorLines : ReceiveActor
{
    public MonitorLines(TextWriter to)
    {
        Receive<PmEvent>(e => to.WriteLine(e.ToString()));
        Receive<PathEventsSubscribed>(_ => { });
    }
}

public static class MonitorSubscription
{
    /// <summary>An actor that takes events and drops them: the control socket's stand-in as the userspace controller.</summary>
    public static IActorRef Quiet(ActorSystem system) => system.ActorOf(Props.Create(() => new MonitorLines(TextWriter.Null)), "control-owner");

    /// <summary>Subscribes a monitor to <paramref name="manager"/>'s events; returns once it is subscribed.</summary>
    public static void Start(ActorSystem system, IActorRef manager, TextWriter to)
    {
        var monitor = system.ActorOf(Props.Create(() => new MonitorLines(to)), "monitor");
        manager.Ask<PathEventsSubscribed>(new SubscribePathEvents(monitor), TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
    }
}
