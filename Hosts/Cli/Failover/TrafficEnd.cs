using System.Security.Cryptography;
using Akka.Actor;
using Akka.IO;
using MptcpActors.Actors.Connection;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Cli.Failover;

/// <summary>What one end sends: a byte count, or for a duration; at a constant rate when <see cref="RateBps"/> is set.</summary>
public sealed record SendPlan(long? Bytes, TimeSpan? Duration, double? RateBps, int Seed)
{
    /// <summary>The client's plan (<paramref name="server"/> false) or the server's, null when that end does not send.</summary>
    public static SendPlan? For(ScenarioTraffic traffic, bool server, int seed) =>
        (server ? traffic.Downloads : traffic.Uploads)
            ? new SendPlan(server ? traffic.DownloadBytes ?? traffic.Bytes : traffic.Bytes, traffic.Duration, traffic.RateBps, seed)
            : null;
}

/// <summary>A stall of the received byte stream: nothing delivered from <see cref="From"/> to <see cref="To"/>.</summary>
public readonly record struct DeliveryGap(TimeSpan From, TimeSpan To)
{
    public TimeSpan Length => To - From;
}

/// <summary>What one end of the scenario's connection sent and received (hashes of both streams, the stalls it saw).</summary>
public sealed record EndResult(bool IsClient, long BytesSent, string SentSha256, long BytesReceived, string ReceivedSha256, TimeSpan LastByteAt,
    IReadOnlyList<DeliveryGap> Gaps, ConnectionFinished? Finished, string? Error);

/// <summary>Where the ends of a run report.</summary>
public sealed class RunEnds
{
    private readonly object _gate = new();
    private readonly List<EndResult> _results = [];
    public void Add(EndResult result)
    {
        lock (_gate) _results.Add(result);
    }

    public int Count
    {
        get
        {
            lock (_gate) return _results.Count;
        }
    }

    public IReadOnlyList<EndResult> Results
    {
        get
        {
            lock (_gate) return _results.ToList();
        }
    }
}

/// <summary>
/// One end of a scenario's connection (Akka.IO messages): sends seeded pseudo-random bytes as its <see cref="SendPlan"/>
/// says, in 64 KiB writes paced by write acks (and by a 10 ms token bucket at a constant rate), hashing them; hashes what
/// arrives and notes every stall of at least a millisecond, in the ActorSystem scheduler's time (virtual on the
/// simulator). It half-closes when done sending (a receiving-only end when the peer has), then reports.
/// </summary>
public sealed class TrafficEnd : ReceiveActor, IWithTimers
{
    private const int ChunkBytes = 64 * 1024;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MinGap = TimeSpan.FromMilliseconds(1);

    private sealed class Ack : TcpMsg.Event
    {
        public static readonly Ack Instance = new();
    }

    private sealed class RateTick
    {
        public static readonly RateTick Instance = new();
    }

    private readonly bool _isClient;
    private readonly SendPlan? _plan;
    private readonly RunEnds _ends;
    private readonly IncrementalHash _sentHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _receivedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly SeededBytes _random;
    private readonly List<DeliveryGap> _gaps = [];
    private IActorRef _connection = ActorRefs.Nobody;
    private TimeSpan _start;
    private TimeSpan _lastByte;
    private long _sent;
    private long _received;
    private double _allowance;
    private bool _writing;
    private bool _closing;
    private string? _error;

    public TrafficEnd(bool isClient, SendPlan? plan, RunEnds ends)
    {
        _isClient = isClient;
        _plan = plan;
        _ends = ends;
        _random = new SeededBytes(plan?.Seed ?? 0);
        Receive<TcpMsg.Connected>(_ => OnConnected());
        Receive<Ack>(_ =>
        {
            _writing = false;
            Pump();
        });
        Receive<RateTick>(_ =>
        {
            _allowance = Math.Min(_allowance + _plan!.RateBps!.Value * Tick.TotalSeconds / 8, ChunkBytes * 4);
            Pump();
        });
        Receive<TcpMsg.Received>(r => OnReceived(r.Data));
        Receive<TcpMsg.PeerClosed>(_ =>
        {
            if (_plan is null) Close();
        });
        Receive<TcpMsg.CommandFailed>(f =>
        {
            _error ??= $"{f.Cmd.GetType().Name} failed";
            if (f.Cmd is TcpMsg.Connect) Report(null);
        });
        Receive<TcpMsg.ErrorClosed>(e => _error ??= e.Cause);
        Receive<TcpMsg.Aborted>(_ => _error ??= "the connection was aborted");
        Receive<TcpMsg.ConnectionClosed>(_ => { });
        Receive<ConnectionFinished>(Report);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private TimeSpan Now => Context.System.Scheduler.HighResMonotonicClock;

    private void OnConnected()
    {
        _connection = Sender;
        _start = _lastByte = Now;
        Sender.Tell(new TcpMsg.Register(Self, keepOpenOnPeerClosed: true));
        if (_plan is null) return;
        if (_plan.RateBps is not null) Timers.StartPeriodicTimer("rate", RateTick.Instance, Tick);
        else _allowance = double.PositiveInfinity;
        Pump();
    }

    private void Pump()
    {
        if (_writing || _closing || _plan is null) return;
        var remaining = _plan.Bytes is { } total ? total - _sent : long.MaxValue;
        if (remaining <= 0 || (_plan.Duration is { } d && Now - _start >= d))
        {
            Close();
            return;
        }
        var n = (int)Math.Min(Math.Min(ChunkBytes, remaining), _allowance);
        if (n <= 0) return;
        _allowance -= n;
        // A fresh array each write, handed over without a copy: the connection keeps what it was given until acknowledged.
        var chunk = GC.AllocateUninitializedArray<byte>(n);
        _random.Fill(chunk);
        _sentHash.AppendData(chunk);
        _sent += n;
        _writing = true;
        _connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(chunk), Ack.Instance));
    }

    private void Close()
    {
        if (_closing) return;
        _closing = true;
        Timers.CancelAll();
        _connection.Tell(TcpMsg.ConfirmedClose.Instance);
    }

    private void OnReceived(ByteString data)
    {
        var now = Now;
        if (_received > 0 && now - _lastByte >= MinGap) _gaps.Add(new DeliveryGap(_lastByte, now));
        _lastByte = now;
        _received += data.Count;
        _receivedHash.AppendData(data.ToReadOnlySpan());
    }

    private void Report(ConnectionFinished? finished)
    {
        _ends.Add(new EndResult(_isClient, _sent, Convert.ToHexString(_sentHash.GetHashAndReset()), _received,
            Convert.ToHexString(_receivedHash.GetHashAndReset()), _lastByte, _gaps, finished, _error));
        Context.Stop(Self);
    }
}

/// <summary>Hands each accepted connection to a server-side <see cref="TrafficEnd"/>.</summary>
public sealed class TrafficListener : ReceiveActor
{
    public TrafficListener(SendPlan? plan, RunEnds ends) =>
        Receive<TcpMsg.Connected>(c => Context.ActorOf(Props.Create(() => new TrafficEnd(false, plan, ends))).Forward(c));
}
