using System.Diagnostics;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.IO;
using MptcpActors.Actors.Connection;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Cli.Demo;

/// <summary>What an end of the demo's transfer saw.</summary>
public sealed record DemoEndResult(bool IsSender, long Bytes, string Sha256, TimeSpan LongestStall, TimeSpan LongestStallAt, ConnectionFinished? Finished, string? Error);

/// <summary>
/// The demo's sender: streams seeded pseudo-random bytes for a while in 64 KB writes paced by write acks (Akka.IO's
/// backpressure), hashing what it sends, then closes and reports.
/// </summary>
public sealed class DemoSender : ReceiveActor
{
    private sealed class Ack : TcpMsg.Event
    {
        public static readonly Ack Instance = new();
    }

    /// <summary>The client connection, once connected, for the live view to ask for its subflows.</summary>
    public sealed class Connection
    {
        private IActorRef? _actor;
        public IActorRef? Actor
        {
            get => Volatile.Read(ref _actor);
            set => Volatile.Write(ref _actor, value);
        }
    }

    public DemoSender(int seed, TimeSpan duration, IActorRef report, Connection connected)
    {
        var random = new Random(seed);
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var clock = Stopwatch.StartNew();
        var chunk = new byte[64 * 1024];
        long sent = 0;
        string? error = null;
        IActorRef connection = ActorRefs.Nobody;
        void Next()
        {
            if (clock.Elapsed >= duration)
            {
                connection.Tell(TcpMsg.ConfirmedClose.Instance);
                return;
            }
            random.NextBytes(chunk);
            hash.AppendData(chunk);
            sent += chunk.Length;
            connection.Tell(TcpMsg.Write.Create(ByteString.CopyFrom(chunk), Ack.Instance));
        }
        Receive<TcpMsg.Connected>(_ =>
        {
            connection = Sender;
            connected.Actor = Sender;
            clock.Restart();
            Sender.Tell(new TcpMsg.Register(Self, keepOpenOnPeerClosed: true));
            Next();
        });
        Receive<Ack>(_ => Next());
        Receive<TcpMsg.CommandFailed>(f =>
        {
            error = $"{f.Cmd.GetType().Name} failed";
            if (f.Cmd is TcpMsg.Connect) report.Tell(new DemoEndResult(true, 0, "", TimeSpan.Zero, TimeSpan.Zero, null, error));
        });
        Receive<TcpMsg.ErrorClosed>(e => error = e.Cause);
        Receive<TcpMsg.ConnectionClosed>(_ => { });
        Receive<ConnectionFinished>(f =>
            report.Tell(new DemoEndResult(true, sent, Convert.ToHexString(hash.GetHashAndReset()), TimeSpan.Zero, TimeSpan.Zero, f, error)));
    }
}

/// <summary>The demo's receiver: hashes what arrives and measures the longest gap between two deliveries (the stall a user would see).</summary>
public sealed class DemoReceiver : ReceiveActor
{
    public DemoReceiver(IActorRef report, Stopwatch runClock)
    {
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long received = 0;
        var last = TimeSpan.Zero;
        var longest = TimeSpan.Zero;
        var longestAt = TimeSpan.Zero;
        string? error = null;
        Receive<TcpMsg.Connected>(_ =>
        {
            last = runClock.Elapsed;
            Sender.Tell(new TcpMsg.Register(Self));
        });
        Receive<TcpMsg.Received>(r =>
        {
            var now = runClock.Elapsed;
            if (received > 0 && now - last > longest)
            {
                longest = now - last;
                longestAt = last;
            }
            last = now;
            received += r.Data.Count;
            hash.AppendData(r.Data.ToReadOnlySpan());
        });
        Receive<TcpMsg.ErrorClosed>(e => error = e.Cause);
        Receive<TcpMsg.ConnectionClosed>(_ => { });
        Receive<ConnectionFinished>(f =>
            report.Tell(new DemoEndResult(false, received, Convert.ToHexString(hash.GetHashAndReset()), longest, longestAt, f, error)));
    }
}

/// <summary>Hands each accepted connection to a <see cref="DemoReceiver"/>.</summary>
public sealed class DemoListener : ReceiveActor
{
    public DemoListener(IActorRef report, Stopwatch runClock) =>
        Receive<TcpMsg.Connected>(c => Context.ActorOf(Props.Create(() => new DemoReceiver(report, runClock))).Forward(c));
}
