using Akka.Actor;
using MptcpActors.Actors.PathManagement;
using MptcpActors.Transport.Devices.Linux;

namespace MptcpActors.Cli.Netcat;

/// <summary>
/// Tells the node's path manager when an --iface loses or regains its carrier (as Linux tells it, through rtnetlink:
/// <see cref="CarrierMonitor"/>), so its addresses are withdrawn from live connections and, back up, announced and
/// joined from again.
/// </summary>
public sealed class LinkWatcher(IActorRef manager, IEnumerable<string> interfaces) : IDisposable
{
    private readonly CarrierMonitor _monitor = new(interfaces, (name, up) => manager.Tell(new InterfaceStateChanged(name, up)));

    public void Dispose() => _monitor.Dispose();
}
