using System.Net;
using Akka;
using Akka.Actor;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using StreamTcp = Akka.Streams.Dsl.Tcp;

namespace MptcpActors.Actors.Streams;

/// <summary>
/// Akka.Streams over an engine node, shaped like Akka.Streams' <c>Tcp()</c> (same element, connection and binding
/// types), so stream code written for TCP runs on MPTCP by changing where its flows come from. Hosts are IP
/// addresses: the engine resolves no names.
/// </summary>
public sealed class MptcpStreams(IActorRef manager)
{
    /// <summary>
    /// A flow that opens one MPTCP connection per materialization: what it takes is sent, what arrives is emitted,
    /// with backpressure both ways. Completing upstream sends DATA_FIN after the data (the peer's data still flows
    /// until its DATA_FIN completes downstream); failing upstream aborts the connection (MP_FASTCLOSE). The
    /// materialized task completes when the connection is established, or fails.
    /// </summary>
    /// <param name="options">Akka.IO socket options, including <see cref="Connection.MptcpSocketOptions"/> (scheduler, congestion control).</param>
    public Flow<ByteString, ByteString, Task<StreamTcp.OutgoingConnection>> OutgoingConnection(EndPoint remoteAddress, EndPoint? localAddress = null,
        IEnumerable<Inet.SocketOption>? options = null) =>
        Flow.FromGraph(new ConnectionStage(manager, new Akka.IO.Tcp.Connect(remoteAddress, localAddress, options, null, pullMode: true)));

    /// <inheritdoc cref="OutgoingConnection(EndPoint, EndPoint?, IEnumerable{Inet.SocketOption}?)"/>
    public Flow<ByteString, ByteString, Task<StreamTcp.OutgoingConnection>> OutgoingConnection(string host, int port) =>
        OutgoingConnection(new IPEndPoint(Address(host), port));

    /// <summary>
    /// Listens on <paramref name="port"/> of every interface of the node: one <see cref="StreamTcp.IncomingConnection"/>
    /// per accepted connection (MPTCP, or plain TCP for a peer without it), whose flow is handled like
    /// <see cref="OutgoingConnection(EndPoint, EndPoint?, IEnumerable{Inet.SocketOption}?)"/>'s. At most
    /// <paramref name="backlog"/> connections wait for downstream; more are aborted.
    /// </summary>
    public Source<StreamTcp.IncomingConnection, Task<StreamTcp.ServerBinding>> Bind(string host, int port, int backlog = 100,
        IEnumerable<Inet.SocketOption>? options = null) =>
        Source.FromGraph(new BindStage(manager, new IPEndPoint(Address(host), port), backlog, options));

    /// <summary>Binds and runs <paramref name="handler"/> over every accepted connection.</summary>
    public Task<StreamTcp.ServerBinding> BindAndHandle(Flow<ByteString, ByteString, NotUsed> handler, IMaterializer materializer, string host, int port,
        int backlog = 100) =>
        Bind(host, port, backlog).To(Sink.ForEach<StreamTcp.IncomingConnection>(c => c.HandleWith(handler, materializer))).Run(materializer);

    private static IPAddress Address(string host) =>
        IPAddress.TryParse(host, out var a) ? a : throw new ArgumentException($"'{host}' is not an IP address (the engine resolves no names)", nameof(host));
}
