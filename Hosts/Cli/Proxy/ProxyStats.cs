using System.Text.Json;
using MptcpActors.Actors.Connection;
using MptcpActors.Cli.Netcat;

namespace MptcpActors.Cli.Proxy;

/// <summary>
/// The proxy's --stats FILE: one line of JSON per relayed connection as it ends (JSON Lines; each line is the object
/// listen and connect write, plus the client's and the server's endpoints and how the relay ended).
/// </summary>
public sealed class ProxyStats
{
    private readonly Lock _lock = new();
    private readonly string _path;

    /// <summary>Starts <paramref name="path"/> empty: it holds this run's connections only.</summary>
    public ProxyStats(string path)
    {
        _path = path;
        File.WriteAllBytes(path, []);
    }

    public void Append(string client, string server, string outcome, ConnectionFinished? connection, long fromClient, long fromServer)
    {
        using var line = new MemoryStream();
        using (var w = new Utf8JsonWriter(line))
        {
            w.WriteStartObject();
            w.WriteString("client", client);
            w.WriteString("server", server);
            w.WriteString("outcome", outcome);
            w.WritePropertyName("stats");
            StatsJson.Write(w, connection, fromClient, fromServer);
            w.WriteEndObject();
        }
        line.WriteByte((byte)'\n');
        lock (_lock)
        {
            using var f = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read);
            line.WriteTo(f);
        }
    }
}
