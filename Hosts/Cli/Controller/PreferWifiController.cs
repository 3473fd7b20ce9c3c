using Akka.Actor;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.PathManagement;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Cli.Controller;

/// <summary>
/// An example userspace path manager, the way mptcpd plugins use Linux's netlink PM: "prefer Wi-Fi, keep LTE as backup,
/// use LTE when Wi-Fi's RTT exceeds a threshold". It takes over the node's connections (<see cref="SubscribePathEvents"/>
/// with Control), opens an LTE subflow as backup once a connection is established, watches the Wi-Fi subflow's smoothed
/// RTT and clears LTE's backup flag (MP_PRIO) above the threshold, sets it again below half of it (hysteresis), and opens
/// LTE again if that subflow fails. Every decision is a line on <c>log</c>.
/// </summary>
public sealed class PreferWifiController : ReceiveActor, IWithTimers
{
    private const byte LteId = 2;
    private readonly IActorRef _node;
    private readonly IpAddressBytes _wifi;
    private readonly IpAddressBytes _lte;
    private readonly double _thresholdMs;
    private readonly TextWriter _log;
    private uint? _token;
    private IpAddressBytes _remote;
    private ushort _remotePort;
    private bool _lteUp;
    private bool _lteBackup = true;

    public ITimerScheduler Timers { get; set; } = null!;

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    public PreferWifiController(IActorRef node, IpAddressBytes wifi, IpAddressBytes lte, TimeSpan rttThreshold, TextWriter log)
    {
        _node = node;
        _wifi = wifi;
        _lte = lte;
        _thresholdMs = rttThreshold.TotalMilliseconds;
        _log = log;
        Receive<PathEventsSubscribed>(_ => { });
        Receive<PmEvent>(OnEvent);
        Receive<Tick>(_ =>
        {
            if (_token is { } t) _node.Tell(new GetPathInfo(t));
        });
        Receive<ConnectionInfo>(OnInfo);
        Receive<PathManagerCommandDone>(_ => { });
        Receive<PathManagerCommandFailed>(f => _log.WriteLine($"controller: {f.Command.GetType().Name} refused: {f.Reason}"));
    }

    public static Props Props(IActorRef node, IpAddressBytes wifi, IpAddressBytes lte, TimeSpan rttThreshold, TextWriter log) =>
        Akka.Actor.Props.Create(() => new PreferWifiController(node, wifi, lte, rttThreshold, log));

    protected override void PreStart() => _node.Tell(new SubscribePathEvents(Self, Control: true));

    private void OnEvent(PmEvent e)
    {
        switch (e.Kind)
        {
            case PmEventKind.Established when e.ServerSide == false && e.LocalAddress == _wifi:
                _token = e.Token;
                _remote = e.RemoteAddress!.Value;
                _remotePort = e.RemotePort!.Value;
                _log.WriteLine($"controller: connection {e.Token:x8} on Wi-Fi; opening LTE as backup");
                OpenLte();
                Timers.StartPeriodicTimer("rtt", Tick.Instance, TimeSpan.FromMilliseconds(250));
                break;
            case PmEventKind.SubflowEstablished when e.Token == _token && e.LocalAddress == _lte:
                _lteUp = true;
                break;
            case PmEventKind.SubflowClosed when e.Token == _token && e.LocalAddress == _lte:
                _lteUp = false;
                if (e.Error is null) break; // the connection is closing
                _log.WriteLine($"controller: LTE subflow failed ({e.Error}); opening it again");
                OpenLte();
                break;
            case PmEventKind.Closed when e.Token == _token:
                _token = null;
                Timers.Cancel("rtt");
                break;
        }
    }

    private void OpenLte()
    {
        if (_token is { } t) _node.Tell(new CreateSubflow(t, LteId, _lte, _remote, _remotePort, Backup: _lteBackup));
    }

    private void OnInfo(ConnectionInfo info)
    {
        if (_token is not { } t || !_lteUp || info.Subflows.FirstOrDefault(s => s.Key.LocalAddress == _wifi) is not { } wifi) return;
        var rtt = wifi.SmoothedRttMs;
        if (_lteBackup && rtt > _thresholdMs)
        {
            _lteBackup = false;
            _log.WriteLine($"controller: Wi-Fi RTT {rtt:F0} ms > {_thresholdMs:F0} ms: LTE carries data too (MP_PRIO)");
            _node.Tell(new SetSubflowBackup(t, _lte, false));
        }
        else if (!_lteBackup && rtt < _thresholdMs / 2)
        {
            _lteBackup = true;
            _log.WriteLine($"controller: Wi-Fi RTT {rtt:F0} ms < {_thresholdMs / 2:F0} ms: LTE back to backup (MP_PRIO)");
            _node.Tell(new SetSubflowBackup(t, _lte, true));
        }
    }
}
