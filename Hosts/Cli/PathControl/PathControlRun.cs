using MptcpActors.Actors.Configuration;
using MptcpActors.Cli.Netcat;

namespace MptcpActors.Cli.PathControl;

/// <summary>
/// What an engine command runs for path management besides the engine: --monitor's event lines, --pm-control's socket
/// (the node's controller with the userspace path manager), and the carrier watch of real interfaces; disposed with the engine.
/// </summary>
public sealed class PathControlRun : IDisposable
{
    private readonly ControlSocket? _control;
    private readonly LinkWatcher? _links;

    private PathControlRun(ControlSocket? control, LinkWatcher? links)
    {
        _control = control;
        _links = links;
    }

    public static PathControlRun Start(Engine engine, MptcpSettings settings, bool monitor, string? controlPath, IReadOnlyList<string> realInterfaces)
    {
        if (monitor) MonitorSubscription.Start(engine.System, engine.Manager, Console.Error);
        var control = controlPath is null ? null : new ControlSocket(controlPath, engine.Manager, settings.PathManager.Limits,
            settings.PathManager.Type == PathManagerType.Userspace ? MonitorSubscription.Quiet(engine.System) : null);
        return new PathControlRun(control, realInterfaces.Count > 0 ? new LinkWatcher(engine.Manager, realInterfaces) : null);
    }

    public void Dispose()
    {
        _links?.Dispose();
        _control?.Dispose();
    }
}
