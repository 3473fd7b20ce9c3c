using Akka.Actor;
using Akka.IO;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Subflow;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Cli.Netcat;

/// <summary>
/// One netcat-style connection: what arrives goes to stdout (or back, with --echo); stdin is sent with write acks as
/// backpressure; end of stdin half-closes; the connection ends when both directions are closed and its report came:
/// <see cref="ConnectionFinished"/> from an MPTCP connection (fallen back or not), <see cref="SubflowFinished"/> from a
/// plain TCP one (--plain), taken as a connection of one subflow.
/// </summary>
public sealed class ConnectionHandler : ReceiveActor
{
    public sealed record StdinChunk(byte[] Data, int Length);
    public sealed record StdinEnd;
    public sealed record Done(bool Clean, string? Error, ConnectionFinished? Stats, long BytesIn, long BytesOut);
    private sealed class WriteAck : TcpMsg.Event
    {
        public static readonly WriteAck Instance = new();
    }

    private readonly IActorRef _owner;
    private readonly bool _echo;
    private readonly Stream? _stdout;
    private readonly SemaphoreSlim? _stdinCredit;
    // --echo: what came in and waits to go back, one Write (with ack) at a time; reading pauses while much waits.
    private readonly ReadingThrottle _echoThrottle = new(1 << 20, 1 << 18);
    private readonly Queue<ByteString> _echoQueue = new();
    private bool _echoWriting;
    private IActorRef _connection = ActorRefs.Nobody;
    private bool _peerClosed;
    private bool _stdinDone;
    private bool _closing;
    private long _in;
    private long _out;
    private string? _error;
    private ConnectionFinished? _stats;
    private bool _finished;
    private bool _clean;

    public ConnectionHandler(IActorRef owner, bool echo, Stream? stdout, SemaphoreSlim? stdinCredit)
    {
        _owner = owner;
        _echo = echo;
        _stdout = stdout;
        _stdinCredit = stdinCredit;
        Receive<TcpMsg.Connected>(_ =>
        {
            _connection = Sender;
            Sender.Tell(new TcpMsg.Register(Self, keepOpenOnPeerClosed: true));
            _stdinCredit?.Release();
        });
        Receive<TcpMsg.Received>(r =>
        {
            _in += r.Data.Count;
            if (_echo)
            {
                _echoQueue.Enqueue(r.Data);
                _echoThrottle.Took(_connection, r.Data.Count);
                EchoNext();
            }
            else if (_stdout is not null)
            {
                _stdout.Write(r.Data.ToReadOnlySpan());
                _stdout.Flush();
            }
        });
        Receive<StdinChunk>(c =>
        {
            _out += c.Length;
            _connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(c.Data, 0, c.Length), WriteAck.Instance));
        });
        Receive<WriteAck>(_ =>
        {
            _stdinCredit?.Release();
            if (!_echo) return;
            _echoWriting = false;
            _echoThrottle.PassedOn(_connection, _echoQueue.Dequeue().Count);
            EchoNext();
            CloseIfDone();
        });
        Receive<StdinEnd>(_ =>
        {
            _stdinDone = true;
            CloseIfDone();
        });
        Receive<TcpMsg.PeerClosed>(_ =>
        {
            _peerClosed = true;
            if (_echo) _stdinDone = true;
            CloseIfDone();
        });
        Receive<TcpMsg.CommandFailed>(f =>
        {
            if (f.Cmd is TcpMsg.Connect)
            {
                _error = "connection refused or timed out";
                Finish();
            }
            else _error = $"{f.Cmd.GetType().Name.ToLowerInvariant()} failed";
        });
        Receive<TcpMsg.ConnectionClosed>(c =>
        {
            _clean = c is TcpMsg.ConfirmedClosed or TcpMsg.Closed || (c is TcpMsg.PeerClosed && _stdinDone);
            if (c is TcpMsg.ErrorClosed e) _error = e.Cause;
            else if (c is TcpMsg.Aborted) _error = "connection aborted";
        });
        Receive<ConnectionFinished>(c =>
        {
            _stats = c;
            Finish();
        });
        Receive<SubflowFinished>(s =>
        {
            _stats = StatsJson.AsConnection(s);
            Finish();
        });
    }

    private void EchoNext()
    {
        if (_echoWriting || _echoQueue.Count == 0) return;
        _echoWriting = true;
        var data = _echoQueue.Peek();
        _out += data.Count;
        _connection.Tell(TcpMsg.Write.Create(data, WriteAck.Instance));
    }

    private void CloseIfDone()
    {
        // Half close as netcat does: end of our input (with --echo: the peer's FIN, once all is echoed) sends FIN; the
        // connection ends once the peer's FIN came too.
        if (!_stdinDone || _closing || _echoQueue.Count > 0) return;
        _closing = true;
        _connection.Tell(_peerClosed ? TcpMsg.Close.Instance : TcpMsg.ConfirmedClose.Instance);
    }

    private void Finish()
    {
        if (_finished) return;
        _finished = true;
        _owner.Tell(new Done(_clean && _error is null, _error, _stats, _in, _out));
        Context.Stop(Self);
    }
}
