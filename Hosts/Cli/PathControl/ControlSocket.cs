using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.PathManagement;

namespace MptcpActors.Cli.PathControl;

/// <summary>
/// <c>--pm-control PATH</c>: a Unix-domain socket taking <see cref="PathControlLine"/> commands, one a line, each answered
/// with one line, so endpoints and limits change while a transfer runs (e.g. <c>echo 'endpoint delete id 1' | socat -
/// UNIX-CONNECT:PATH</c>, or <c>mptcp pm --pm-control PATH endpoint delete id 1</c>). With the userspace path manager it is
/// the node's controller, and its lines command connections by token. The socket file is removed on dispose.
/// </summary>
public sealed class ControlSocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly string _path;
    private readonly IActorRef _manager;
    private PathManagerLimits _limits;

    /// <param name="owner">With the userspace path manager: an actor to subscribe as the node's controller (the lines command it).</param>
    public ControlSocket(string path, IActorRef manager, PathManagerLimits limits, IActorRef? owner = null)
    {
        _path = path;
        _manager = manager;
        _limits = limits;
        if (owner is not null) manager.Ask<PathEventsSubscribed>(new SubscribePathEvents(owner, Control: true), TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        File.Delete(path);
        _socket.Bind(new UnixDomainSocketEndPoint(path));
        _socket.Listen(4);
        new Thread(Accept) { IsBackground = true, Name = "control" }.Start();
    }

    private void Accept()
    {
        while (true)
        {
            Socket client;
            try { client = _socket.Accept(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            using var stream = new NetworkStream(client, ownsSocket: true);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            using var writer = new StreamWriter(stream, Encoding.UTF8) { AutoFlush = true, NewLine = "\n" };
            try
            {
                while (reader.ReadLine() is { } line)
                    if (line.Trim().Length > 0) writer.WriteLine(Run(line));
            }
            catch (IOException) { }
        }
    }

    private string Run(string line)
    {
        var (command, error) = PathControlLine.Parse(line, _limits);
        if (command is null) return $"error: {error}";
        try
        {
            var reply = _manager.Ask<object>(command, TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
            if (reply is EndpointsChanged c) _limits = c.Limits;
            return PathControlLine.Answer(reply);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return "error: the engine did not answer";
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        File.Delete(_path);
    }
}
