using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace MptcpActors.Cli.Info;

/// <summary>
/// <c>mptcp info [--pid N] [--json]</c>: asks a running engine command (listen, connect, proxy) through its control
/// socket (<see cref="ControlEndpoint"/>) for its connections, subflows and counters; prints them like <c>ss -Mti</c>
/// and <c>nstat</c> do, or the JSON itself for scripts.
/// </summary>
public static class InfoCommand
{
    public static Command Create()
    {
        var pid = new Option<int?>("--pid") { HelpName = "PID", Description = "process id of the running mptcp listen/connect/proxy (needed when several run)" };
        var json = new Option<bool>("--json") { Description = "print the snapshot as JSON (for scripts)" };
        var c = new Command("info", "Show the connections (MPTCP and plain TCP), subflows and counters of a running mptcp listen/connect/proxy (like ss -Mti and nstat)") { pid, json };
        c.SetAction(p => Run(p.GetValue(pid), p.GetValue(json)));
        return c;
    }

    private static int Run(int? pid, bool json)
    {
        var stderr = Console.Error;
        string path;
        if (pid is { } n)
        {
            if (n <= 0) return CliErrors.Usage(stderr, $"--pid: {n} is not a process id");
            path = ControlEndpoint.PathFor(n);
            if (!File.Exists(path) || !Alive(n)) return CliErrors.Usage(stderr, $"--pid: process {n} is not a running mptcp listen, connect or proxy (no {path})");
        }
        else
        {
            var running = Running();
            if (running.Count == 0) return CliErrors.Failure(stderr, $"no running mptcp listen, connect or proxy (nothing in {ControlEndpoint.Directory})");
            if (running.Count > 1) return CliErrors.Usage(stderr, $"--pid: several mptcp processes run ({string.Join(", ", running)}): choose one");
            path = ControlEndpoint.PathFor(running[0]);
        }
        byte[] answer;
        try { answer = Ask(path); }
        catch (Exception e) when (e is SocketException or IOException) { return CliErrors.Failure(stderr, $"cannot read {path}: {e.Message}"); }
        JsonDocument doc;
        try { doc = JsonDocument.Parse(answer); }
        catch (JsonException e) { return CliErrors.Failure(stderr, $"{path} answered something that is not JSON: {e.Message}"); }
        using (doc)
        {
            if (doc.RootElement.TryGetProperty("error", out var error)) return CliErrors.Failure(stderr, $"{path}: {error.GetString()}");
            if (json) Console.Out.Write(Encoding.UTF8.GetString(answer) + "\n");
            else Render(doc.RootElement, Console.Out);
        }
        return CliErrors.Ok;
    }

    /// <summary>The process ids with a control socket whose process still runs (stale files are skipped).</summary>
    private static List<int> Running()
    {
        if (!Directory.Exists(ControlEndpoint.Directory)) return [];
        return Directory.EnumerateFiles(ControlEndpoint.Directory, "*.sock")
            .Select(f => int.TryParse(Path.GetFileNameWithoutExtension(f), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0)
            .Where(id => id > 0 && Alive(id)).Order().ToList();
    }

    private static bool Alive(int pid) => Directory.Exists($"/proc/{pid}");

    private static byte[] Ask(string path)
    {
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 15_000, SendTimeout = 5_000 };
        s.Connect(new UnixDomainSocketEndPoint(path));
        s.Send(Encoding.ASCII.GetBytes(ControlEndpoint.InfoRequest + "\n"));
        using var answer = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = s.Receive(buffer)) > 0) answer.Write(buffer, 0, n);
        return answer.ToArray();
    }

    /// <summary>The snapshot as text: a line per connection (ss -Mti's facts), one indented per subflow, then the counters.</summary>
    public static void Render(JsonElement root, TextWriter o)
    {
        var interfaces = string.Join(", ", root.GetProperty("interfaces").EnumerateArray().Select(i => i.GetString()));
        o.WriteLine($"mptcp {root.GetProperty("command").GetString()} (pid {root.GetProperty("pid").GetInt32()}) on {interfaces}" +
                    (root.GetProperty("mptcp").GetBoolean() ? "" : " (--plain)"));
        if (root.TryGetProperty("cluster", out var cluster))
            o.WriteLine($"cluster node {cluster.GetProperty("self").GetString()}; members: " + string.Join(", ", cluster.GetProperty("members").EnumerateArray()
                .Select(m => $"{m.GetProperty("address").GetString()} {m.GetProperty("status").GetString()}{(m.GetProperty("reachable").GetBoolean() ? "" : " unreachable")}")));
        var connections = root.GetProperty("connections").EnumerateArray().ToList();
        o.WriteLine($"connections: {connections.Count}");
        foreach (var c in connections)
        {
            var remote = c.GetProperty("remote_token") is { ValueKind: JsonValueKind.Number } r ? $"{r.GetUInt32():x8}" : "-";
            o.WriteLine($"  token {c.GetProperty("token").GetUInt32():x8} {c.GetProperty("state").GetString(),-10} {c.GetProperty("role").GetString(),-6} " +
                        $"remote_token {remote} fallback {YesNo(c, "fallback")} checksum {YesNo(c, "checksum")} " +
                        $"bytes_sent {c.GetProperty("bytes_sent").GetInt64()} bytes_received {c.GetProperty("bytes_received").GetInt64()} " +
                        $"bytes_reinjected {c.GetProperty("bytes_reinjected").GetInt64()}{Node(c)}");
            foreach (var s in c.GetProperty("subflows").EnumerateArray())
            {
                var flags = (s.GetProperty("join").GetBoolean() ? " join" : "") + (s.GetProperty("backup").GetBoolean() ? " backup" : "") +
                            (s.GetProperty("stale").GetBoolean() ? " stale" : "");
                o.WriteLine($"    {Endpoint(s, "local")} {Endpoint(s, "remote")}{flags} {Congestion(s)} " +
                            $"bytes_scheduled {s.GetProperty("bytes_scheduled").GetInt64()} retransmitted {s.GetProperty("retransmitted_bytes").GetInt64()}{Node(s)}");
            }
        }
        // Plain TCP connections (--plain), as ss lists TCP sockets: one line each.
        var tcp = root.GetProperty("tcp_connections").EnumerateArray().ToList();
        o.WriteLine($"tcp connections: {tcp.Count}");
        foreach (var c in tcp)
            o.WriteLine($"  {c.GetProperty("state").GetString(),-10} {c.GetProperty("role").GetString(),-6} {Endpoint(c, "local")} {Endpoint(c, "remote")} " +
                        $"{Congestion(c)} bytes_sent {c.GetProperty("bytes_sent").GetInt64()} bytes_received {c.GetProperty("bytes_received").GetInt64()} " +
                        $"retransmitted {c.GetProperty("retransmitted_bytes").GetInt64()}");
        o.WriteLine("counters:");
        foreach (var counter in root.GetProperty("counters").EnumerateObject())
            o.WriteLine($"  {counter.Name,-32} {counter.Value.GetDouble().ToString("0.###", CultureInfo.InvariantCulture)}");
    }

    /// <summary>On a cluster: " node akka.tcp://..." (the connection's owner, the node carrying a subflow).</summary>
    private static string Node(JsonElement e) => e.TryGetProperty("node", out var node) ? $" node {node.GetString()}" : "";

    private static string Congestion(JsonElement e) =>
        $"srtt {e.GetProperty("srtt_ms").GetDouble().ToString("0.###", CultureInfo.InvariantCulture)}ms cwnd {e.GetProperty("cwnd").GetInt64()} " +
        $"bytes_in_flight {e.GetProperty("bytes_in_flight").GetInt64()}";

    private static string YesNo(JsonElement e, string name) => e.GetProperty(name).GetBoolean() ? "yes" : "no";

    private static string Endpoint(JsonElement s, string side)
    {
        var address = s.GetProperty($"{side}_address").GetString()!;
        var port = s.GetProperty($"{side}_port").GetInt32();
        return address.Contains(':') ? $"[{address}]:{port}" : $"{address}:{port}";
    }
}
