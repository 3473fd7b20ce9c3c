using System.Diagnostics;
using System.Net;
using Akka.Actor;
using Akka.IO;
using MptcpActors.Actors.Sim;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Cli.Demo;

/// <summary>
/// The demo's transfer between two simulated nodes, shared by <c>mptcp demo</c> and <c>mptcp controller</c>: the peer
/// listens on 10.0.1.2:443 (a <see cref="DemoListener"/>), then the local node's <see cref="DemoSender"/> connects there
/// and sends for the duration; both ends report to <see cref="Report"/>, their times on <see cref="Clock"/>.
/// </summary>
public sealed class DemoUpload
{
    public const ushort Port = 443;

    private DemoUpload(Stopwatch clock, BlockingReport report)
    {
        Clock = clock;
        Report = report;
    }

    /// <summary>Started when the listener is asked to bind: the run's time 0.</summary>
    public Stopwatch Clock { get; }
    public BlockingReport Report { get; }

    /// <summary>Binds the listener (waits for it, 10 s at most) and has the sender connect with <paramref name="options"/>.</summary>
    public static DemoUpload Start(ActorSystem system, SimTwoNodes nodes, int seed, TimeSpan duration, DemoSender.Connection connection,
        IEnumerable<Inet.SocketOption>? options = null)
    {
        var upload = new DemoUpload(Stopwatch.StartNew(), new BlockingReport());
        var reporter = system.ActorOf(Props.Create(() => new ReportCollector(upload.Report)));
        nodes.Peer.Ask(new TcpMsg.Bind(system.ActorOf(Props.Create(() => new DemoListener(reporter, upload.Clock))), new IPEndPoint(IPAddress.Any, Port)),
            TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        var sender = system.ActorOf(Props.Create(() => new DemoSender(seed, duration, reporter, connection)));
        nodes.Local.Tell(new TcpMsg.Connect(new IPEndPoint(IPAddress.Parse("10.0.1.2"), Port), options: options), sender);
        return upload;
    }
}
