using Akka.Actor;
using MptcpActors.Actors.PathManagement;

namespace MptcpActors.Cli.Netcat;

/// <summary>
/// Tells the node's path manager when an --iface loses or regains its carrier (<c>/sys/class/net/NAME/carrier</c>, read
/// every quarter second; unreadable, as when the interface is administratively down, counts as down), so its addresses
/// are withdrawn from live connections and, back up, announced and joined from again.
/// </summary>
public sealed class LinkWatcher : IDisposable
{
    private readonly IActorRef _manager;
    private readonly Dictionary<string, bool> _up;
    private readonly Timer _timer;

    public LinkWatcher(IActorRef manager, IEnumerable<string> interfaces)
    {
        _manager = manager;
        _up = interfaces.ToDictionary(i => i, Carrier);
        _timer = new Timer(_ => Poll(), null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));
    }

    private static bool Carrier(string name)
    {
        try { return File.ReadAllText($"/sys/class/net/{name}/carrier").Trim() == "1"; }
        catch (IOException) { return false; }
    }

    private void Poll()
    {
        lock (_up)
        {
            foreach (var name in _up.Keys.ToList())
            {
                var up = Carrier(name);
                if (up == _up[name]) continue;
                _up[name] = up;
                _manager.Tell(new InterfaceStateChanged(name, up));
            }
        }
    }

    public void Dispose() => _timer.Dispose();
}
