using System.Security.Cryptography;
using Akka.Actor;
using Akka.IO;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Subflow;
using TcpMsg = Akka.IO.Tcp;

namespace MptcpActors.Actors.Tests.Connection;

/// <summary>What one end of a test transfer saw.</summary>
public sealed record TransferResult(byte[] Received, TcpMsg.ConnectionClosed? Closed, ConnectionFinished? Finished);

/// <summary>
/// One end of a transfer through Akka.IO's protocol: registers, sends its bytes in 64 KB writes paced by write acks,
/// closes (ConfirmedClose) when done, collects what arrives, and reports to <paramref name="report"/> when the
/// connection has finished.
/// </summary>
public sealed class TransferHandler : ReceiveActor
{
    private sealed class Ack : TcpMsg.Event
    {
        public static readonly Ack Instance = new();
    }

    private readonly MemoryStream _received = new();
    private TcpMsg.ConnectionClosed? _closed;

    public TransferHandler(byte[] toSend, IActorRef report)
    {
        var offset = 0;
        IActorRef connection = ActorRefs.Nobody;
        void SendNext()
        {
            if (offset >= toSend.Length)
            {
                connection.Tell(TcpMsg.ConfirmedClose.Instance);
                return;
            }
            var n = Math.Min(64 * 1024, toSend.Length - offset);
            connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(toSend, offset, n), Ack.Instance));
            offset += n;
        }
        Receive<TcpMsg.Connected>(_ =>
        {
            connection = Sender;
            Sender.Tell(new TcpMsg.Register(Self, keepOpenOnPeerClosed: true));
            SendNext();
        });
        Receive<Ack>(_ => SendNext());
        Receive<TcpMsg.Received>(r => _received.Write(r.Data.ToArray()));
        Receive<TcpMsg.PeerClosed>(_ => { });
        Receive<TcpMsg.ConnectionClosed>(c => _closed = c);
        Receive<TcpMsg.CommandFailed>(_ => report.Tell(new TransferResult([], null, null)));
        Receive<ConnectionFinished>(f => report.Tell(new TransferResult(_received.ToArray(), _closed, f)));
        // Plain TCP (MPTCP off) ends with its one subflow's report.
        Receive<SubflowFinished>(f => report.Tell(new TransferResult(_received.ToArray(), _closed,
            new ConnectionFinished(null, null, true, false, f.BytesSent, f.BytesReceived, 0, [f]))));
    }

    public static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    public static string Sha256(byte[] b) => Convert.ToHexString(SHA256.HashData(b));
}

/// <summary>A listener that gives each accepted connection a <see cref="TransferHandler"/>.</summary>
public sealed class TransferListener : ReceiveActor
{
    public TransferListener(byte[] toSend, IActorRef report) =>
        Receive<TcpMsg.Connected>(c => Context.ActorOf(Props.Create(() => new TransferHandler(toSend, report))).Forward(c));
}
