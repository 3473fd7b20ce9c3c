using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.IO;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Subflow;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Cli.Proxy;

/// <summary>
/// One relayed connection: the engine's connection (MPTCP, fallen back, or plain TCP with --plain) on one side, a host
/// socket to the server on the other. Memory stays bounded both ways: towards the server at most
/// <see cref="HighWater"/> bytes wait before the engine is told to stop reading (its receive window then closes and
/// the client slows down); towards the client one socket read of <see cref="ReadSize"/> bytes is in the engine's hands
/// at a time, and the next read waits for its write ack (the socket's receive window then closes and the server slows
/// down). A FIN on either side is passed on once everything before it is through, so half-closed connections work.
/// </summary>
public sealed class Relay : ReceiveActor
{
    private const int HighWater = 256 * 1024;
    private const int LowWater = 64 * 1024;
    private const int ReadSize = 64 * 1024;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    private sealed record ServerConnected;
    private sealed record ServerFailed(string Reason);
    private sealed record ServerWritten(int Bytes);
    private sealed record FromServer(int Length);
    private sealed record ServerEnd;
    private sealed class ServerAck : TcpMsg.Event
    {
        public static readonly ServerAck Instance = new();
    }

    private readonly IPEndPoint _target;
    private readonly ProxyStats? _stats;
    private readonly Socket _server;
    // The socket reader's one buffer: the engine copies a write into its send buffer before it acks, so the next
    // read may reuse it then.
    private readonly byte[] _readBuffer = new byte[ReadSize];
    private readonly SemaphoreSlim _readCredit = new(0);
    // What goes to the server is copied out of the engine's ByteStrings a buffer at a time (they keep their arrays to themselves).
    private readonly byte[] _writeBuffer = new byte[ReadSize];
    private readonly Queue<ByteString> _toServer = new();
    private int _headOffset;
    private IActorRef _connection = ActorRefs.Nobody;
    private string _client = "?";
    private readonly ReadingThrottle _throttle = new(HighWater, LowWater);
    private bool _writing;
    private bool _serverUp;
    private bool _clientEnded;
    private bool _serverShutDown;
    private bool _serverEnded;
    private string? _failure;
    private bool _finished;
    private ConnectionFinished? _report;
    private long _fromClient;
    private long _fromServer;
    private int _lastRead;

    public Relay(IPEndPoint target, ProxyStats? stats)
    {
        _target = target;
        _stats = stats;
        _server = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

        Receive<TcpMsg.Connected>(c =>
        {
            _connection = Sender;
            _client = c.RemoteAddress.ToString() ?? "?";
            Context.Watch(_connection);
            ProxyMetrics.Accepted.Add(1);
            _connection.Tell(new TcpMsg.Register(Self, keepOpenOnPeerClosed: true));
            ConnectServer();
        });
        Receive<ServerConnected>(connected =>
        {
            _serverUp = true;
            _ = ReadServer(_server, _readBuffer, _readCredit, Self);
            WriteNext();
            ShutDownServerIfDone();
        });
        Receive<ServerFailed>(f => Fail($"cannot relay to {_target}: {f.Reason}"));

        // Client → server.
        Receive<TcpMsg.Received>(r =>
        {
            _fromClient += r.Data.Count;
            if (_failure is not null) return;
            _toServer.Enqueue(r.Data);
            _throttle.Took(_connection, r.Data.Count);
            WriteNext();
        });
        Receive<ServerWritten>(w =>
        {
            _writing = false;
            _headOffset += w.Bytes;
            if (_headOffset == _toServer.Peek().Count)
            {
                _toServer.Dequeue();
                _headOffset = 0;
            }
            _throttle.PassedOn(_connection, w.Bytes);
            ProxyMetrics.BytesToServer.Add(w.Bytes);
            WriteNext();
            ShutDownServerIfDone();
            StopIfDone();
        });

        // Server → client.
        Receive<FromServer>(f =>
        {
            _fromServer += f.Length;
            _lastRead = f.Length;
            _connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(_readBuffer, 0, f.Length), ServerAck.Instance));
        });
        Receive<ServerAck>(_ =>
        {
            ProxyMetrics.BytesToClient.Add(_lastRead);
            _readCredit.Release();
        });
        Receive<ServerEnd>(_ =>
        {
            _serverEnded = true;
            // ConfirmedClose keeps receiving until the client's DATA_FIN (or FIN) ends its stream too.
            _connection.Tell(_clientEnded ? TcpMsg.Close.Instance : TcpMsg.ConfirmedClose.Instance);
        });

        // The engine's events: the client's half close, the end, the report.
        Receive<TcpMsg.PeerClosed>(_ => ClientEnded());
        Receive<TcpMsg.ConfirmedClosed>(_ => ClientEnded());
        Receive<TcpMsg.Closed>(_ => { });
        Receive<TcpMsg.ErrorClosed>(e => Fail($"connection ended: {e.Cause}", abortClient: false));
        Receive<TcpMsg.Aborted>(_ => Fail(_failure ?? "connection aborted", abortClient: false));
        Receive<TcpMsg.CommandFailed>(f => Fail($"{f.Cmd.GetType().Name} failed"));
        Receive<ConnectionFinished>(f => Finished(f));
        Receive<SubflowFinished>(s => Finished(Netcat.StatsJson.AsConnection(s)));
        Receive<Terminated>(_ => Finished(null));
    }

    private void ConnectServer()
    {
        var self = Self;
        var cancel = new CancellationTokenSource(ConnectTimeout);
        _server.ConnectAsync(_target, cancel.Token).AsTask().ContinueWith(t =>
        {
            cancel.Dispose();
            self.Tell(t.IsCompletedSuccessfully ? new ServerConnected()
                : new ServerFailed(t.IsCanceled ? "timed out" : t.Exception!.GetBaseException().Message));
        }, TaskScheduler.Default);
    }

    /// <summary>The socket reader: one read at a time, the next once the engine acknowledged the last (backpressure).</summary>
    private static async Task ReadServer(Socket server, byte[] buffer, SemaphoreSlim credit, IActorRef relay)
    {
        try
        {
            while (true)
            {
                var n = await server.ReceiveAsync(buffer, SocketFlags.None);
                if (n == 0)
                {
                    relay.Tell(new ServerEnd());
                    return;
                }
                relay.Tell(new FromServer(n));
                await credit.WaitAsync();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            relay.Tell(new ServerFailed(e.Message));
        }
    }

    private void WriteNext()
    {
        if (_writing || !_serverUp || _failure is not null || _toServer.Count == 0) return;
        _writing = true;
        var head = _toServer.Peek();
        var n = Math.Min(_writeBuffer.Length, head.Count - _headOffset);
        head.Slice(_headOffset, n).CopyTo(_writeBuffer, 0, n);
        SendAll(_server, _writeBuffer.AsMemory(0, n)).PipeTo(Self, success: () => new ServerWritten(n), failure: e => new ServerFailed(e.GetBaseException().Message));
    }

    private static async Task SendAll(Socket server, ReadOnlyMemory<byte> data)
    {
        while (data.Length > 0) data = data[await server.SendAsync(data, SocketFlags.None)..];
    }

    private void ClientEnded()
    {
        _clientEnded = true;
        ShutDownServerIfDone();
    }

    /// <summary>The client's FIN reaches the server once everything the client sent before it did.</summary>
    private void ShutDownServerIfDone()
    {
        if (!_clientEnded || !_serverUp || _serverShutDown || _writing || _toServer.Count > 0 || _failure is not null) return;
        _serverShutDown = true;
        try { _server.Shutdown(SocketShutdown.Send); }
        catch (SocketException e) { Fail($"cannot close towards {_target}: {e.Message}"); }
    }

    /// <summary>Either side failed: the other one is reset (the client's connection aborted, or the server's socket closed with RST).</summary>
    private void Fail(string reason, bool abortClient = true)
    {
        if (_failure is not null) return;
        _failure = reason;
        ProxyMetrics.Failed.Add(1);
        Console.Error.WriteLine($"mptcp: proxy: {_client}: {reason}");
        if (abortClient) _connection.Tell(TcpMsg.Abort.Instance);
        ResetServer();
        StopIfDone();
    }

    private void ResetServer()
    {
        try
        {
            if (_serverUp) _server.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        _server.Dispose();
    }

    private void Finished(ConnectionFinished? report)
    {
        if (_finished) return;
        _finished = true;
        _report = report;
        StopIfDone();
    }

    /// <summary>Over once the engine's connection finished and, unless something failed, both directions reached their end.</summary>
    private void StopIfDone()
    {
        if (!_finished) return;
        if (_failure is null)
        {
            if (_writing || _toServer.Count > 0) return; // the client's last bytes are still on their way to the server
            if (!_serverShutDown || !_serverEnded)
            {
                Fail("the connection ended before the server's side did", abortClient: false);
                return;
            }
        }
        _stats?.Append(_client, _target.ToString(), _failure is null ? "closed" : "failed", _report, _fromClient, _fromServer);
        Context.Stop(Self);
    }

    protected override void PostStop()
    {
        _server.Dispose();
        _readCredit.Release(); // a reader waiting for credit wakes up, finds the socket closed and ends
    }
}
