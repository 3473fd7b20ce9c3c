using System.Globalization;

namespace MptcpActors.Cli.Failover.Netns;

/// <summary>One path through the router: the client's and the server's interfaces and addresses, and the router's two ends.</summary>
public sealed record NetnsPath(int Index, string Name, string ClientIf, string RouterClientIf, string RouterServerIf, string ServerIf,
    string ClientIp, string ServerIp);

/// <summary>
/// Three namespaces made (and removed) by the harness: client, router, server. Path i is two veth pairs, client ↔ router
/// and router ↔ server, and one subnet 10.99.i.0/24 (client .1, server .2): the router has no addresses, its path
/// emulator moves the frames between its two ends of each path, so the client and the server see one Ethernet link.
/// A kernel end gets its addresses and, on the client, a routing table per path (a subflow from path i's address
/// leaves on path i); an engine end gets none (the engine owns them). No IPv6, no GSO bursts (one frame per segment,
/// so the emulator's rate and queue see packets), rp_filter off.
/// </summary>
public sealed class NetnsTopology : IDisposable
{
    private static int _counter;
    private int _disposed;

    public NetnsTopology(IReadOnlyList<ScenarioPath> paths, bool kernelClient, bool kernelServer)
    {
        if (Environment.UserName != "root" && !IsRoot())
            throw new InvalidOperationException("--on netns needs root (network namespaces)");
        var id = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId % 10000}{Interlocked.Increment(ref _counter)}");
        ClientNs = $"mpfo{id}c";
        RouterNs = $"mpfo{id}r";
        ServerNs = $"mpfo{id}s";
        Paths = paths.Select((p, i) => new NetnsPath(i, p.Name, $"fc{id}p{i}", $"frc{id}p{i}", $"frs{id}p{i}", $"fs{id}p{i}", $"10.99.{i}.1", $"10.99.{i}.2")).ToList();
        var s = new List<string> { "set -e" };
        foreach (var ns in new[] { ClientNs, RouterNs, ServerNs })
        {
            s.Add($"ip netns add {ns}");
            s.Add($"ip netns exec {ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0");
            s.Add($"ip -n {ns} link set lo up");
        }
        foreach (var p in Paths)
        {
            s.Add($"ip link add {p.ClientIf} netns {ClientNs} type veth peer name {p.RouterClientIf} netns {RouterNs}");
            s.Add($"ip link add {p.ServerIf} netns {ServerNs} type veth peer name {p.RouterServerIf} netns {RouterNs}");
            foreach (var (ns, dev) in new[] { (ClientNs, p.ClientIf), (RouterNs, p.RouterClientIf), (RouterNs, p.RouterServerIf), (ServerNs, p.ServerIf) })
                s.Add($"ip -n {ns} link set dev {dev} gso_max_segs 1 up");
            if (kernelClient)
            {
                s.Add($"ip -n {ClientNs} addr add {p.ClientIp}/24 dev {p.ClientIf}");
                s.Add($"ip -n {ClientNs} route add default via {p.ServerIp} dev {p.ClientIf} table {100 + p.Index}");
                s.Add($"ip -n {ClientNs} rule add pref {32800 + p.Index} from {p.ClientIp} lookup {100 + p.Index}");
            }
            if (kernelServer) s.Add($"ip -n {ServerNs} addr add {p.ServerIp}/24 dev {p.ServerIf}");
        }
        try
        {
            Shell.Run(string.Join('\n', s));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string ClientNs { get; }
    public string RouterNs { get; }
    public string ServerNs { get; }
    public IReadOnlyList<NetnsPath> Paths { get; }

    /// <summary>Kills what runs in the namespaces and deletes them. Never throws; safe to call twice (Ctrl-C and the normal end).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var ns in new[] { ClientNs, RouterNs, ServerNs })
        {
            try { Shell.Run($"ip netns pids {ns} 2>/dev/null | xargs -r kill -9; ip netns del {ns} 2>/dev/null || true", 15_000); }
            catch (InvalidOperationException) { }
        }
    }

    private static bool IsRoot() => Shell.Run("id -u").Trim() == "0";
}
