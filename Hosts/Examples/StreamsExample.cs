using System.Net;
using Akka.Actor;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using MptcpActors.Actors.Embedding;

namespace MptcpActors.Examples;

/// <summary>
/// Akka.Streams, shaped like <c>Tcp().OutgoingConnection</c>: the data goes through the connection's flow in chunks
/// (each pulled only once the engine took the one before), completing upstream sends DATA_FIN, and what comes back is
/// folded together until the peer's DATA_FIN completes the stream.
/// </summary>
public static class StreamsExample
{
    public static async Task<byte[]> Exchange(ActorSystem system, IPEndPoint server, byte[] data)
    {
        var flow = Mptcp.Get(system).Streams.OutgoingConnection(server);
        var chunks = Enumerable.Range(0, (data.Length + 65535) / 65536)
            .Select(i => ByteString.FromBytes(data, i * 65536, Math.Min(65536, data.Length - i * 65536)));
        var reply = await Source.From(chunks).Via(flow)
            .RunAggregate(new MemoryStream(), (all, b) => { b.WriteTo(all); return all; }, system.Materializer());
        return reply.ToArray();
    }

    /// <summary>A listener: one IncomingConnection per accepted connection, each answered by an echo flow.</summary>
    public static Task<Akka.Streams.Dsl.Tcp.ServerBinding> Echo(Actors.Streams.MptcpStreams streams, ActorSystem system, int port) =>
        streams.BindAndHandle(Flow.Create<ByteString>(), system.Materializer(), "0.0.0.0", port);
}
