using System.Net;
using Akka.Actor;
using MptcpActors.Actors.Streams;

namespace MptcpActors.Examples;

/// <summary>
/// A .NET <see cref="Stream"/> for code that is not actor-based: write, half-close (DATA_FIN after the data), read
/// until the peer's DATA_FIN. Writing and reading run at once, so a peer that answers while it reads never deadlocks
/// with us.
/// </summary>
public static class StreamExample
{
    public static async Task<byte[]> Exchange(ActorSystem system, IPEndPoint server, byte[] data)
    {
        await using var stream = await MptcpStream.ConnectAsync(system, server);
        var writing = Task.Run(async () =>
        {
            await stream.WriteAsync(data);
            stream.ShutdownOutput();
        });
        var reply = new MemoryStream();
        await stream.CopyToAsync(reply);
        await writing;
        return reply.ToArray();
    }
}
