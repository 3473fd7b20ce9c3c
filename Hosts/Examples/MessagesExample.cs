using System.Net;
using Akka.Actor;
using Akka.IO;
using MptcpActors.Actors.Embedding;

namespace MptcpActors.Examples;

/// <summary>
/// Akka.IO-style messages: <c>Mptcp.Get(system).Manager</c> takes what <c>Tcp.Get(system).Manager</c> takes. The
/// handler connects, writes the data one acknowledged chunk at a time (the ack says the engine took it, so nothing
/// piles up in its mailbox), half-closes with ConfirmedClose and collects what the peer sends until both directions
/// are closed, in whichever order the two ends close.
/// </summary>
public static class MessagesExample
{
    /// <summary>Sends <paramref name="data"/> to <paramref name="server"/> and returns every byte the server sent back.</summary>
    public static Task<byte[]> Exchange(ActorSystem system, IPEndPoint server, byte[] data)
    {
        var done = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = system.ActorOf(Props.Create(() => new ExchangeHandler(data, done)));
        Mptcp.Get(system).Manager.Tell(new Tcp.Connect(server), handler);
        return done.Task;
    }

    private sealed class ExchangeHandler : ReceiveActor
    {
        private const int Chunk = 64 * 1024;
        private sealed class Ack(int next) : Tcp.Event
        {
            public int Next { get; } = next;
        }

        public ExchangeHandler(byte[] data, TaskCompletionSource<byte[]> done)
        {
            var received = new MemoryStream();
            IActorRef connection = ActorRefs.Nobody;

            void WriteFrom(int offset)
            {
                if (offset >= data.Length)
                {
                    connection.Tell(Tcp.ConfirmedClose.Instance); // DATA_FIN after the data; reading goes on
                    return;
                }
                var n = Math.Min(Chunk, data.Length - offset);
                connection.Tell(Tcp.Write.Create(ByteString.FromBytes(data, offset, n), new Ack(offset + n)));
            }

            Receive<Tcp.Connected>(_ =>
            {
                connection = Sender;
                // Kept open when the peer closes first: its DATA_FIN ends only its direction, ours is still being written.
                connection.Tell(new Tcp.Register(Self, keepOpenOnPeerClosed: true));
                WriteFrom(0);
            });
            Receive<Ack>(a => WriteFrom(a.Next));
            Receive<Tcp.Received>(r => r.Data.WriteTo(received));
            Receive<Tcp.PeerClosed>(_ => { }); // everything it sent has been received; ConfirmedClosed follows ours
            Receive<Tcp.ConfirmedClosed>(_ =>
            {
                done.TrySetResult(received.ToArray());
                Context.Stop(Self);
            });
            Receive<Tcp.CommandFailed>(f => Fail($"{f.Cmd.GetType().Name} failed: {f.CauseString}"));
            Receive<Tcp.ConnectionClosed>(c => Fail($"the connection ended: {c.GetType().Name} {c.Cause}"));

            void Fail(string why)
            {
                done.TrySetException(new IOException(why));
                Context.Stop(Self);
            }
        }
    }
}
