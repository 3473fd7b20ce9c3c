namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// A two-node MPTCP service and a kernel client, each in a fresh namespace: the client has path 0 (10.210.S.1) to node
/// A's engine address 10.210.S.2 and path 1 (10.211.S.1) to node B's 10.211.S.2 (S random per instance); the engines own
/// those addresses on raw interfaces where their kernels have none. A and B are linked by a third veth, the cluster
/// network, with kernel addresses 192.168.S.1 (A) and 192.168.S.2 (B) for Akka remoting. Every path is rate-limited both
/// ways. IPv6 is off everywhere. <see cref="Dispose"/> kills every process of the three namespaces and deletes them,
/// whatever happened, and never throws.
/// </summary>
public sealed class ClusterNetwork : IDisposable
{
    private static int _counter;
    private int _disposed;

    public ClusterNetwork(double mbit)
    {
        if (VethPair.geteuid() != 0)
            throw new InvalidOperationException("namespace interop tests need root (CI runs them as root): run ./test.sh as root");
        var id = $"{Environment.ProcessId % 10000}{Interlocked.Increment(ref _counter)}";
        ClientNs = $"mpcc{id}";
        NodeANs = $"mpca{id}";
        NodeBNs = $"mpcb{id}";
        var s = Random.Shared.Next(1, 255);
        ClientIpA = $"10.210.{s}.1";
        EngineIpA = $"10.210.{s}.2";
        ClientIpB = $"10.211.{s}.1";
        EngineIpB = $"10.211.{s}.2";
        ClusterIpA = $"192.168.{s}.1";
        ClusterIpB = $"192.168.{s}.2";
        EngineIfA = $"ca{id}";
        EngineIfB = $"cb{id}";
        var clientIfA = $"pa{id}";
        var clientIfB = $"pb{id}";
        var burst = Math.Max(32 * 1024, (long)(mbit * 1e6 / 8 / 100));
        var rate = mbit.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        var script = new List<string> { "set -ex" };
        foreach (var ns in new[] { ClientNs, NodeANs, NodeBNs })
        {
            script.Add($"ip netns add {ns}");
            script.Add($"ip netns exec {ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 " +
                       "net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0");
            script.Add($"ip -n {ns} link set lo up");
        }
        foreach (var (clientIf, engineIf, engineNs, clientIp) in new[] { (clientIfA, EngineIfA, NodeANs, ClientIpA), (clientIfB, EngineIfB, NodeBNs, ClientIpB) })
        {
            script.Add($"ip link add {clientIf} netns {ClientNs} type veth peer name {engineIf} netns {engineNs}");
            script.Add($"ip -n {ClientNs} addr add {clientIp}/24 dev {clientIf}");
            script.Add($"ip -n {ClientNs} link set {clientIf} up");
            script.Add($"ip -n {engineNs} link set {engineIf} up");
            script.Add($"ip netns exec {ClientNs} tc qdisc replace dev {clientIf} root tbf rate {rate}mbit burst {burst} latency 50ms");
            script.Add($"ip netns exec {engineNs} tc qdisc replace dev {engineIf} root tbf rate {rate}mbit burst {burst} latency 50ms");
        }
        script.Add($"ip link add ka{id} netns {NodeANs} type veth peer name kb{id} netns {NodeBNs}");
        script.Add($"ip -n {NodeANs} addr add {ClusterIpA}/24 dev ka{id}");
        script.Add($"ip -n {NodeBNs} addr add {ClusterIpB}/24 dev kb{id}");
        script.Add($"ip -n {NodeANs} link set ka{id} up");
        script.Add($"ip -n {NodeBNs} link set kb{id} up");
        try
        {
            VethPair.Sh(string.Join('\n', script), 60_000);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string ClientNs { get; }
    public string NodeANs { get; }
    public string NodeBNs { get; }
    public string ClientIpA { get; }
    public string EngineIpA { get; }
    public string ClientIpB { get; }
    public string EngineIpB { get; }
    public string ClusterIpA { get; }
    public string ClusterIpB { get; }
    public string EngineIfA { get; }
    public string EngineIfB { get; }

    /// <summary>Runs <paramref name="command"/> (a shell command line) in the client's namespace; returns its stdout.</summary>
    public string InClientNs(string command) => VethPair.Sh($"ip netns exec {ClientNs} bash -c {VethPair.Quote(command)}");

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var ns in new[] { ClientNs, NodeANs, NodeBNs })
        {
            try { VethPair.Sh($"ip netns pids {ns} 2>/dev/null | xargs -r kill -9; ip netns del {ns} 2>/dev/null || true", 15_000); }
            catch (Exception) { }
        }
    }
}
