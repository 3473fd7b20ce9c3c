using System.Text.Json;
using Akka.Actor;
using MptcpActors.Actors.Connection;
using MptcpActors.Actors.Subflow;
using MptcpActors.Cli.Netcat;

namespace MptcpActors.Cli.Info;

/// <summary>
/// What <c>mptcp info</c> shows of a running engine, as JSON: the process, every connection (like <c>ss -Mti</c>:
/// token, state, bytes, fallback, checksums) with its subflows (4-tuple, backup, smoothed RTT, cwnd, retransmitted
/// bytes), and the counters (like <c>nstat MPTcpExt*</c>: the engine's published metrics plus totals of the
/// connections open now). On a cluster node, the connections of every node, each with the node that owns it and
/// the node carrying each of its subflows, and the cluster's members.
/// </summary>
public static class InfoSnapshot
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    public static async Task<byte[]> Take(Engine engine, string command, EngineCounters counters)
    {
        var list = await engine.Manager.Ask<ConnectionList>(ListConnections.Instance, AskTimeout);
        var asks = list.Connections.Select(async c =>
        {
            // A connection that ends while it is asked simply is not listed.
            try { return await c.Ask<ConnectionInfo>(GetConnectionInfo.Instance, AskTimeout); }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException) { return null; }
        });
        var cluster = ((ExtendedActorSystem)engine.System).Provider is Akka.Cluster.ClusterActorRefProvider ? Akka.Cluster.Cluster.Get(engine.System) : null;
        var connections = cluster is null
            ? (await Task.WhenAll(asks)).OfType<ConnectionInfo>().OrderBy(c => c.LocalToken).Select(c => new Cluster.NodeConnection("", c)).ToList()
            : (await Cluster.ClusterConnections.ListAsync(engine.System, engine.Manager, AskTimeout)).ToList();
        var plain = await PlainConnections(engine);

        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("pid", Environment.ProcessId);
            w.WriteString("command", command);
            w.WriteBoolean("mptcp", list.MptcpEnabled);
            w.WriteStartArray("interfaces");
            foreach (var r in engine.Routes) w.WriteStringValue($"{r.Name}={r.Address}/{r.PrefixLength}");
            w.WriteEndArray();
            if (cluster is not null)
            {
                w.WriteStartObject("cluster");
                w.WriteString("self", cluster.SelfAddress.ToString());
                w.WriteStartArray("members");
                foreach (var m in cluster.State.Members)
                {
                    w.WriteStartObject();
                    w.WriteString("address", m.Address.ToString());
                    w.WriteString("status", m.Status.ToString());
                    w.WriteBoolean("reachable", !cluster.State.Unreachable.Contains(m));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteStartArray("connections");
            foreach (var c in connections) WriteConnection(w, c.Info, c.Node);
            w.WriteEndArray();
            w.WriteStartArray("tcp_connections");
            foreach (var c in plain) WriteTcpConnection(w, c);
            w.WriteEndArray();
            w.WriteStartObject("counters");
            foreach (var (name, value) in Totals(connections.Select(c => c.Info).ToList(), plain).Concat(counters.Read().Select(kv => (kv.Key, kv.Value))))
                w.WriteNumber(name, value);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// The plain TCP connections (no MPTCP connection owns them: <c>--plain</c>), found on every interface as <c>ss</c>
    /// lists TCP sockets beside MPTCP ones; one that ends while it is asked is not listed.
    /// </summary>
    private static async Task<List<TcpConnectionInfo>> PlainConnections(Engine engine)
    {
        var lists = await Task.WhenAll(engine.Routes.Select(r => r.Actor.Ask<TcpConnectionList>(ListTcpConnections.Instance, AskTimeout)));
        var asks = lists.SelectMany(l => l.Connections).Select(async c =>
        {
            try { return await c.Ask<TcpConnectionInfo>(GetConnectionInfo.Instance, AskTimeout); }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException) { return null; }
        });
        return (await Task.WhenAll(asks)).OfType<TcpConnectionInfo>().OrderBy(c => c.Key.LocalPort).ThenBy(c => c.Key.RemotePort).ToList();
    }

    /// <summary>
    /// What the connections open now add up to (the engine's counters count events since the start): MPTCP connections
    /// and plain TCP ones counted apart, bytes over both.
    /// </summary>
    private static IEnumerable<(string, double)> Totals(List<ConnectionInfo> connections, List<TcpConnectionInfo> plain)
    {
        yield return ("connections", connections.Count);
        yield return ("connections_fallback", connections.Count(c => c.Fallback));
        yield return ("tcp_connections", plain.Count);
        yield return ("subflows", connections.Sum(c => c.Subflows.Count));
        yield return ("bytes_sent", connections.Sum(c => c.BytesSent) + plain.Sum(c => c.BytesSent));
        yield return ("bytes_received", connections.Sum(c => c.BytesReceived) + plain.Sum(c => c.BytesReceived));
        yield return ("bytes_reinjected", connections.Sum(c => c.BytesReinjected));
        yield return ("bytes_retransmitted", connections.Sum(c => c.Subflows.Sum(s => s.BytesRetransmitted)) + plain.Sum(c => c.BytesRetransmitted));
    }

    private static void WriteTcpConnection(Utf8JsonWriter w, TcpConnectionInfo c)
    {
        w.WriteStartObject();
        StatsJson.WriteFourTuple(w, c.Key);
        w.WriteString("state", c.State);
        w.WriteString("role", c.Client ? "client" : "server");
        w.WriteNumber("bytes_sent", c.BytesSent);
        w.WriteNumber("bytes_received", c.BytesReceived);
        w.WriteNumber("srtt_ms", Math.Round(c.SmoothedRttMs, 3));
        w.WriteNumber("cwnd", c.CongestionWindow);
        w.WriteNumber("bytes_in_flight", c.BytesInFlight);
        w.WriteNumber("retransmitted_bytes", c.BytesRetransmitted);
        w.WriteEndObject();
    }

    /// <summary>One connection; <paramref name="node"/> is its owner on a cluster ("" on a lone node: no node fields then).</summary>
    private static void WriteConnection(Utf8JsonWriter w, ConnectionInfo c, string node)
    {
        w.WriteStartObject();
        w.WriteNumber("token", c.LocalToken);
        if (node.Length > 0) w.WriteString("node", node);
        if (c.RemoteToken is { } remote) w.WriteNumber("remote_token", remote);
        else w.WriteNull("remote_token");
        w.WriteString("state", c.State);
        w.WriteString("role", c.Client ? "client" : "server");
        w.WriteBoolean("fallback", c.Fallback);
        w.WriteBoolean("checksum", c.Checksums);
        w.WriteNumber("bytes_sent", c.BytesSent);
        w.WriteNumber("bytes_received", c.BytesReceived);
        w.WriteNumber("bytes_reinjected", c.BytesReinjected);
        w.WriteStartArray("subflows");
        foreach (var s in c.Subflows)
        {
            w.WriteStartObject();
            StatsJson.WriteFourTuple(w, s.Key);
            if (node.Length > 0) w.WriteString("node", s.Node ?? node);
            w.WriteBoolean("join", s.IsJoin);
            w.WriteBoolean("backup", s.Backup);
            w.WriteBoolean("stale", s.Stale);
            w.WriteNumber("srtt_ms", Math.Round(s.SmoothedRttMs, 3));
            w.WriteNumber("cwnd", s.CongestionWindow);
            w.WriteNumber("bytes_in_flight", s.BytesInFlight);
            w.WriteNumber("bytes_scheduled", s.BytesScheduled);
            w.WriteNumber("bytes_reinjected", s.BytesReinjected);
            w.WriteNumber("retransmitted_bytes", s.BytesRetransmitted);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
