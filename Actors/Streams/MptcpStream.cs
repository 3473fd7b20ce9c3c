using System.Net;
using Akka.Actor;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using MptcpActors.Actors.Embedding;
using StreamTcp = Akka.Streams.Dsl.Tcp;

namespace MptcpActors.Actors.Streams;

/// <summary>
/// An MPTCP connection as a .NET <see cref="Stream"/>, for code that is not actor-based; it runs the connection's
/// Akka.Streams flow with a queue on each side, so memory stays bounded both ways.
/// <list type="bullet">
/// <item><see cref="ReadAsync(Memory{byte}, CancellationToken)"/> returns what has arrived (at least one byte),
/// 0 once the peer closed its side (DATA_FIN); it throws <see cref="IOException"/> if the connection was reset. Data
/// not yet read stays in the engine, whose window then holds the peer back.</item>
/// <item><see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> completes once the bytes were copied and
/// handed to the connection; the next write waits until the engine took them into its send buffer.</item>
/// <item><see cref="FlushAsync(CancellationToken)"/> completes when the engine took every written byte (they are
/// then in its send buffer, not necessarily acknowledged by the peer).</item>
/// <item><see cref="ShutdownOutput"/> half-closes: DATA_FIN follows the written data; reading goes on.</item>
/// <item><see cref="Stream.Dispose()"/> shuts the output down the same way and stops reading: the engine still
/// sends everything written, then closes; what arrives afterwards is discarded. It does not wait.</item>
/// </list>
/// Like a socket's stream, one reader and one writer may run at once; neither is safe to call concurrently with itself.
/// </summary>
public sealed class MptcpStream : Stream
{
    private readonly ISourceQueueWithComplete<ByteString> _output;
    private readonly ISinkQueue<ByteString> _input;
    private readonly IKillSwitch _readSide;
    private Task<Akka.Util.Option<ByteString>>? _pendingRead;
    private ByteString _current = ByteString.Empty;
    private int _offset;
    private bool _endOfInput;
    private bool _outputShut;
    private bool _disposed;

    private MptcpStream(ISourceQueueWithComplete<ByteString> output, ISinkQueue<ByteString> input, IKillSwitch readSide)
    {
        _output = output;
        _input = input;
        _readSide = readSide;
    }

    /// <summary>The peer's address of the connection (its initial subflow).</summary>
    public EndPoint? RemoteAddress { get; private init; }

    /// <summary>Our address of the connection (its initial subflow).</summary>
    public EndPoint? LocalAddress { get; private init; }

    /// <summary>Opens a connection through the node of <paramref name="system"/> (<see cref="Embedding.Mptcp.Get"/>).</summary>
    public static Task<MptcpStream> ConnectAsync(ActorSystem system, EndPoint remote, CancellationToken cancellationToken = default) =>
        ConnectAsync(Embedding.Mptcp.Get(system).Streams, system.Materializer(), remote, cancellationToken);

    /// <summary>Opens a connection through <paramref name="streams"/>; fails with <see cref="StreamTcpException"/> if it cannot be established.</summary>
    public static async Task<MptcpStream> ConnectAsync(MptcpStreams streams, IMaterializer materializer, EndPoint remote,
        CancellationToken cancellationToken = default)
    {
        var (output, connected, readSide, input) = Run(streams.OutgoingConnection(remote), materializer);
        var c = await connected.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new MptcpStream(output, input, readSide) { RemoteAddress = c.RemoteAddress, LocalAddress = c.LocalAddress };
    }

    /// <summary>A stream over a connection a listener accepted (<see cref="MptcpStreams.Bind"/>).</summary>
    public static MptcpStream Accept(StreamTcp.IncomingConnection incoming, IMaterializer materializer)
    {
        var (output, _, readSide, input) = Run(incoming.Flow, materializer);
        return new MptcpStream(output, input, readSide) { RemoteAddress = incoming.RemoteAddress, LocalAddress = incoming.LocalAddress };
    }

    private static (ISourceQueueWithComplete<ByteString>, TMat, IKillSwitch, ISinkQueue<ByteString>) Run<TMat>(Flow<ByteString, ByteString, TMat> flow,
        IMaterializer materializer)
    {
        // No buffer before the connection (an offer completes when the connection's stage takes it, i.e. after the
        // engine acknowledged the previous write) and one element after it.
        var (((output, mat), readSide), input) = Source.Queue<ByteString>(0, OverflowStrategy.Backpressure)
            .ViaMaterialized(flow, Keep.Both)
            .ViaMaterialized(KillSwitches.Single<ByteString>(), Keep.Both)
            .ToMaterialized(Sink.Queue<ByteString>().WithAttributes(Attributes.CreateInputBuffer(1, 1)), Keep.Both)
            .Run(materializer);
        return (output, mat, readSide, input);
    }

    public override bool CanRead => !_disposed;
    public override bool CanWrite => !_disposed && !_outputShut;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty) return 0;
        while (_offset == _current.Count)
        {
            if (_endOfInput) return 0;
            // A cancelled read leaves its pull pending; the next read takes it over.
            _pendingRead ??= _input.PullAsync();
            Akka.Util.Option<ByteString> next;
            try
            {
                next = await _pendingRead.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _pendingRead = null;
                throw new IOException(e.Message, e);
            }
            _pendingRead = null;
            if (!next.HasValue)
            {
                _endOfInput = true;
                return 0;
            }
            _current = next.Value.IsCompact ? next.Value : next.Value.Compact();
            _offset = 0;
        }
        var n = Math.Min(buffer.Length, _current.Count - _offset);
        _current.ToReadOnlySpan().Slice(_offset, n).CopyTo(buffer.Span);
        _offset += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_outputShut) throw new InvalidOperationException("the output was shut down");
        if (buffer.IsEmpty) return;
        // One copy: the caller may reuse its buffer as soon as this returns, before the engine took the bytes.
        await Offer(ByteString.FromBytes(buffer.ToArray())).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Completes when the engine has taken every byte written so far (an empty element passes the connection's stage only then).</summary>
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _outputShut ? _output.WatchCompletionAsync() : Offer(ByteString.Empty).WaitAsync(cancellationToken);
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Half-closes the connection: DATA_FIN after what was written; the peer's data can still be read.</summary>
    public void ShutdownOutput()
    {
        if (_outputShut) return;
        _outputShut = true;
        _output.Complete();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _disposed = true;
            ShutdownOutput();
            _readSide.Shutdown();
        }
        base.Dispose(disposing);
    }

    private async Task Offer(ByteString data)
    {
        var result = await _output.OfferAsync(data).ConfigureAwait(false);
        switch (result)
        {
            case QueueOfferResult.Enqueued:
                return;
            case QueueOfferResult.Failure f:
                throw new IOException($"the connection failed: {f.Cause.Message}", f.Cause);
            default:
                throw new IOException("the connection is closed");
        }
    }
}
