using System.Diagnostics;
using System.Globalization;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// One path of a <see cref="MultiPathNetwork"/>: a veth pair between the kernel's namespace and the engine's, on its own
/// /24 (and /64 with IPv6).
/// </summary>
/// <param name="Index">The path's number, 0-based.</param>
/// <param name="KernelIf">
/// The kernel's interface, the one holding <see cref="KernelIp"/>: a bridge whose only port is <see cref="KernelPort"/>
/// (so faults drop frames after the kernel's stack sent them, see <see cref="MultiPathNetwork.Blackhole"/>). Give it as the
/// dev of a kernel MPTCP endpoint.
/// </param>
/// <param name="KernelPort">The kernel's end of the veth (the bridge's port): links go down, rates are limited here.</param>
/// <param name="EngineIf">The engine's end of the veth, in the engine's namespace (give it to the engine's --iface).</param>
/// <param name="KernelIp">10.(200+i%50).S.1</param>
/// <param name="EngineIp">10.(200+i%50).S.2: owned by the engine, or by the engine namespace's kernel with kernelOnBothSides.</param>
/// <param name="KernelIp6">fd00:(200+i%50):S::1, with ipv6: true.</param>
/// <param name="EngineIp6">fd00:(200+i%50):S::2, with ipv6: true.</param>
public sealed record NetworkPath(int Index, string KernelIf, string KernelPort, string EngineIf,
    string KernelIp, string EngineIp, string? KernelIp6, string? EngineIp6)
{
    /// <summary>The engine's --iface value for this path's IPv4 address: NAME=ADDR/24.</summary>
    public string EngineIface => $"{EngineIf}={EngineIp}/24";

    /// <summary>The engine's --iface value for this path's IPv6 address: NAME=ADDR/64 (ipv6: true only).</summary>
    public string EngineIface6 => EngineIp6 is null ? throw new InvalidOperationException("the network was made without ipv6") : $"{EngineIf}={EngineIp6}/64";
}

/// <summary>
/// N veth paths (default 2) between two fresh namespaces: the kernel's, and the engine's. Path i is 10.(200+i%50).S.0/24
/// (S random per instance; kernel .1, engine .2), optionally with fd00:(200+i%50):S::/64 (::1, ::2; nodad, no RA, no
/// autoconfiguration). The engine's namespace has no kernel addresses and IPv6 disabled (the engine owns its addresses
/// and alone answers ARP and ND), unless <c>kernelOnBothSides</c>: then its interfaces get the .2 / ::2 addresses, so
/// the "engine" namespace is a second kernel host (kernel ↔ kernel MPTCP baselines in the same topology).
/// </summary>
/// <remarks>
/// <para>Routing. Each namespace with kernel addresses has, per path i, a table 100+i with a default route through the
/// peer's address on that path, used (rule pref 32800+i, after main) for traffic from path i's address that the main table
/// does not route: a subflow bound to path i's interface (an MPTCP endpoint with dev) towards the peer's address on
/// another path leaves, and its replies come back, on path i. The kernel therefore sends such a subflow to the peer's
/// path-i MAC with the other path's IP address: an engine receiving it must accept any of its addresses on any interface.
/// rp_filter is off in both namespaces.</para>
/// <para>Faults (<see cref="Blackhole"/>, <see cref="Loss"/>) are nft rules of the bridge family in the kernel's namespace,
/// on the bridge's port: a frame they drop was sent as far as the kernel's TCP knows (a real loss, not a local send
/// error that TCP retries at once; see ImpairedPathInteropTests).</para>
/// <para>Everything lives in the two namespaces; <see cref="Dispose"/> kills their processes and deletes them, whatever
/// happened, and never throws.</para>
/// </remarks>
public sealed class MultiPathNetwork : IDisposable
{
    /// <summary>What the fixture runs, and where it comes from on Debian/Ubuntu.</summary>
    private static readonly (string Tool, string Package)[] Tools =
        [("ip", "iproute2"), ("tc", "iproute2"), ("ss", "iproute2"), ("nstat", "iproute2"), ("nft", "nftables")];

    private static readonly HashSet<string> EndpointFlags = ["signal", "subflow", "backup", "fullmesh"];

    private static int _counter;
    private readonly string _table;
    private bool _tableMade;
    private int _disposed;

    /// <param name="paths">How many paths (1–50).</param>
    /// <param name="mtu">MTU of every interface of every path.</param>
    /// <param name="ipv6">Also an IPv6 /64 per path (see the class summary).</param>
    /// <param name="kernelOnBothSides">Give the engine namespace's interfaces kernel addresses too (no engine then).</param>
    public MultiPathNetwork(int paths = 2, int mtu = 1500, bool ipv6 = false, bool kernelOnBothSides = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(paths, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(paths, 50);
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, ipv6 ? 1280 : 576);
        if (Environment.UserName != "root" && VethPair.geteuid() != 0)
            throw new InvalidOperationException("namespace interop tests need root (CI runs them as root): run ./test.sh as root");
        var missing = VethPair.Sh(string.Join("; ", Tools.Select(t => $"command -v {t.Tool} >/dev/null || echo {t.Tool}")))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (missing.Length > 0)
            throw new InvalidOperationException($"the multi-path namespace tests need {string.Join(", ", missing)}: apt-get install -y " +
                string.Join(' ', Tools.Where(t => missing.Contains(t.Tool)).Select(t => t.Package).Distinct()));

        var id = $"{Environment.ProcessId % 10000}{Interlocked.Increment(ref _counter)}";
        KernelNs = $"mpnk{id}";
        EngineNs = $"mpne{id}";
        _table = $"mpnet{id}";
        KernelOnBothSides = kernelOnBothSides;
        Ipv6 = ipv6;
        Mtu = mtu;
        Subnet = Random.Shared.Next(1, 255);
        Paths = Enumerable.Range(0, paths).Select(i =>
        {
            var net = 200 + i % 50;
            return new NetworkPath(i, $"mk{id}p{i}", $"mv{id}p{i}", $"me{id}p{i}", $"10.{net}.{Subnet}.1", $"10.{net}.{Subnet}.2",
                ipv6 ? $"fd00:{net}:{Subnet:x}::1" : null, ipv6 ? $"fd00:{net}:{Subnet:x}::2" : null);
        }).ToList();

        try
        {
            VethPair.Sh(SetupScript(), 60_000);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string KernelNs { get; }

    /// <summary>The engine's namespace (a second kernel host with kernelOnBothSides).</summary>
    public string EngineNs { get; }

    public IReadOnlyList<NetworkPath> Paths { get; }

    public bool KernelOnBothSides { get; }
    public bool Ipv6 { get; }
    public int Mtu { get; }

    /// <summary>S, the third octet of every path's IPv4 subnet (and the third group of its IPv6 prefix, in hex).</summary>
    public int Subnet { get; }

    /// <summary>All paths' --iface options for the engine (IPv4 addresses): "--iface A=.../24 --iface B=.../24".</summary>
    public string EngineIfaceArgs => string.Join(' ', Paths.Select(p => $"--iface {p.EngineIface}"));

    private string SetupScript()
    {
        var s = new List<string> { "set -ex" };
        foreach (var ns in new[] { KernelNs, EngineNs })
        {
            s.Add($"ip netns add {ns}");
            // Before any interface exists, so every new one starts with IPv6 off (enabled per interface below when wanted).
            s.Add($"ip netns exec {ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 " +
                  "net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0");
            s.Add($"ip -n {ns} link set lo up");
        }
        foreach (var p in Paths)
        {
            s.Add($"ip link add {p.KernelPort} netns {KernelNs} mtu {Mtu} type veth peer name {p.EngineIf} netns {EngineNs} mtu {Mtu}");
            s.Add($"ip -n {KernelNs} link add {p.KernelIf} type bridge mcast_snooping 0");
            s.Add($"ip -n {KernelNs} link set {p.KernelPort} master {p.KernelIf}");
            s.Add($"ip -n {KernelNs} link set {p.KernelIf} mtu {Mtu}");
            s.Add($"ip -n {KernelNs} link set {p.KernelPort} up");
            if (KernelOnBothSides) AddressAndRoutes(s, EngineNs, p.EngineIf, p.Index, p.EngineIp, p.KernelIp, p.EngineIp6, p.KernelIp6);
            else s.Add($"ip -n {EngineNs} link set {p.EngineIf} up");
            AddressAndRoutes(s, KernelNs, p.KernelIf, p.Index, p.KernelIp, p.EngineIp, p.KernelIp6, p.EngineIp6);
        }
        return string.Join('\n', s);
    }

    private void AddressAndRoutes(List<string> s, string ns, string dev, int index, string ip, string peer, string? ip6, string? peer6)
    {
        var table = 100 + index;
        s.Add($"ip -n {ns} addr add {ip}/24 dev {dev}");
        if (ip6 is not null)
        {
            // Quiet but working IPv6: no router solicitations, no autoconfiguration, no DAD (disable_ipv6=0 last).
            s.Add($"ip netns exec {ns} sysctl -qw net.ipv6.conf.{dev}.accept_ra=0 net.ipv6.conf.{dev}.autoconf=0 " +
                  $"net.ipv6.conf.{dev}.router_solicitations=0 net.ipv6.conf.{dev}.accept_dad=0 net.ipv6.conf.{dev}.disable_ipv6=0");
            s.Add($"ip -n {ns} -6 addr add {ip6}/64 dev {dev} nodad");
        }
        s.Add($"ip -n {ns} link set {dev} up");
        s.Add($"ip -n {ns} route add default via {peer} dev {dev} table {table}");
        s.Add($"ip -n {ns} rule add pref {32800 + index} from {ip} lookup {table}");
        if (ip6 is not null)
        {
            s.Add($"ip -n {ns} -6 route add default via {peer6} dev {dev} table {table}");
            s.Add($"ip -n {ns} -6 rule add pref {32800 + index} from {ip6} lookup {table}");
        }
    }

    /// <summary>Runs <paramref name="command"/> (a shell command line) inside the kernel's namespace; returns its stdout.</summary>
    public string InKernelNs(string command, int timeoutMs = 30_000) => In(KernelNs, command, timeoutMs);

    /// <summary>Runs <paramref name="command"/> (a shell command line) inside the engine's namespace; returns its stdout.</summary>
    public string InEngineNs(string command, int timeoutMs = 30_000) => In(EngineNs, command, timeoutMs);

    private string In(string ns, string command, int timeoutMs = 30_000) =>
        VethPair.Sh($"ip netns exec {Own(ns)} bash -c {VethPair.Quote(command)}", timeoutMs);

    private string Own(string ns) => ns == KernelNs || ns == EngineNs
        ? ns
        : throw new ArgumentException($"'{ns}' is not one of this network's namespaces ({KernelNs}, {EngineNs})", nameof(ns));

    private NetworkPath PathAt(int path) => path >= 0 && path < Paths.Count
        ? Paths[path]
        : throw new ArgumentOutOfRangeException(nameof(path), path, $"the network has {Paths.Count} paths");

    // ---- the kernel's MPTCP path manager ----

    /// <summary><c>ip mptcp limits set subflows N add_addr_accepted N</c> in <paramref name="ns"/>.</summary>
    public void SetLimits(string ns, int subflows, int addAddrAccepted) =>
        VethPair.Sh($"ip -n {Own(ns)} mptcp limits set subflows {subflows} add_addr_accepted {addAddrAccepted}");

    /// <summary>
    /// <c>ip mptcp endpoint add ADDRESS [dev DEV] [id ID] [port PORT] FLAGS</c> in <paramref name="ns"/>.
    /// <paramref name="flags"/>: signal, subflow, backup, fullmesh, separated by spaces, commas or '|' (e.g. "subflow,backup").
    /// A subflow endpoint should name its dev (the path's <see cref="NetworkPath.KernelIf"/> or, with kernelOnBothSides,
    /// <see cref="NetworkPath.EngineIf"/>), so its subflows leave through that path.
    /// </summary>
    public void AddEndpoint(string ns, string address, string flags, string? dev = null, int? id = null, int? port = null)
    {
        if (!System.Net.IPAddress.TryParse(address, out _)) throw new ArgumentException($"'{address}' is not an IP address", nameof(address));
        var list = flags.Split([' ', ',', '|', '+'], StringSplitOptions.RemoveEmptyEntries);
        foreach (var f in list)
            if (!EndpointFlags.Contains(f)) throw new ArgumentException($"unknown endpoint flag '{f}' (signal, subflow, backup, fullmesh)", nameof(flags));
        if (dev is not null && !dev.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new ArgumentException($"'{dev}' is not an interface name", nameof(dev));
        var cmd = $"ip -n {Own(ns)} mptcp endpoint add {address}";
        if (dev is not null) cmd += $" dev {dev}";
        if (id is { } i) cmd += $" id {i}";
        if (port is { } pt) cmd += $" port {pt}";
        VethPair.Sh(cmd + (list.Length > 0 ? " " + string.Join(' ', list) : ""));
    }

    /// <summary><c>ip mptcp endpoint flush</c> in <paramref name="ns"/>.</summary>
    public void FlushEndpoints(string ns) => VethPair.Sh($"ip -n {Own(ns)} mptcp endpoint flush");

    /// <summary><c>ip mptcp endpoint show</c> in <paramref name="ns"/>.</summary>
    public string Endpoints(string ns) => VethPair.Sh($"ip -n {Own(ns)} mptcp endpoint show");

    /// <summary>
    /// Every MPTcpExt* counter of <paramref name="ns"/>'s kernel, absolute (since the namespace was made), zeros included:
    /// <c>nstat -asz</c> (-s: nstat's history file is shared by every namespace of the machine; this must not update it).
    /// </summary>
    public Dictionary<string, long> Nstat(string ns) =>
        VethPair.Sh($"ip netns exec {Own(ns)} nstat -asz 'MPTcpExt*'").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(p => p.Length >= 2 && p[0].StartsWith("MPTcpExt", StringComparison.Ordinal))
            .ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));

    /// <summary>
    /// Polls <paramref name="ns"/>'s counter <paramref name="counter"/> (e.g. MPTcpExtMPJoinAckRx) until it reaches
    /// <paramref name="atLeast"/>; false if it has not within <paramref name="timeout"/>.
    /// </summary>
    public bool WaitForCounter(string ns, string counter, long atLeast, TimeSpan timeout)
    {
        var wait = Stopwatch.StartNew();
        while (true)
        {
            if (Nstat(ns).GetValueOrDefault(counter) >= atLeast) return true;
            if (wait.Elapsed > timeout) return false;
            Thread.Sleep(10);
        }
    }

    /// <summary>
    /// <paramref name="ns"/>'s MPTCP sockets (<c>ss -nMai</c>), then its TCP sockets with their info (<c>ss -ntai</c>:
    /// the subflows show "tcp-ulp-mptcp").
    /// </summary>
    public string SsMptcp(string ns) =>
        VethPair.Sh($"ip netns exec {Own(ns)} bash -c 'echo \"# ss -nMai\"; ss -nMai; echo \"# ss -ntai\"; ss -ntai'");

    /// <summary>Bytes the kernel's namespace has sent onto path <paramref name="path"/> (its veth end's tx_bytes).</summary>
    public long KernelTxBytes(int path) => Statistic(path, "tx_bytes");

    /// <summary>Bytes the kernel's namespace has received from path <paramref name="path"/> (its veth end's rx_bytes).</summary>
    public long KernelRxBytes(int path) => Statistic(path, "rx_bytes");

    private long Statistic(int path, string name) =>
        long.Parse(VethPair.Sh($"ip netns exec {KernelNs} cat /sys/class/net/{PathAt(path).KernelPort}/statistics/{name}").Trim(), CultureInfo.InvariantCulture);

    // ---- path faults ----

    /// <summary>Takes the kernel's end of path <paramref name="path"/> down (the engine's end loses carrier).</summary>
    public void SetLinkDown(int path) => VethPair.Sh($"ip -n {KernelNs} link set dev {PathAt(path).KernelPort} down");

    public void SetLinkUp(int path) => VethPair.Sh($"ip -n {KernelNs} link set dev {PathAt(path).KernelPort} up");

    /// <summary>
    /// Drops every frame on path <paramref name="path"/>, both ways (IP, ARP, ND alike), until <see cref="Restore"/>: nft in
    /// the kernel's namespace, on the bridge's port, so the kernel's TCP sees its segments vanish, not a send error.
    /// </summary>
    public void Blackhole(int path)
    {
        var i = PathAt(path).Index;
        Nft($"flush chain bridge {_table} blackhole{i}\nadd rule bridge {_table} blackhole{i} counter name \"blackhole{i}\" drop");
    }

    /// <summary>Undoes <see cref="Blackhole"/> (not <see cref="Loss"/>).</summary>
    public void Restore(int path)
    {
        var i = PathAt(path).Index;
        if (_tableMade) Nft($"flush chain bridge {_table} blackhole{i}");
    }

    /// <summary>
    /// Drops <paramref name="percent"/> % of path <paramref name="path"/>'s frames each way, at random
    /// (<c>numgen random mod 100 &lt; P drop</c>); 0 stops it. While it is on, the kernel's interface of the path (and the
    /// engine namespace's with kernelOnBothSides) segments what it sends into single frames (gso_max_segs 1), so the loss
    /// is per packet and not per 64 KiB GSO burst.
    /// </summary>
    public void Loss(int path, int percent)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(percent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        var p = PathAt(path);
        var i = p.Index;
        if (percent == 0 && !_tableMade) return;
        Nft($"flush chain bridge {_table} loss{i}" +
            (percent > 0 ? $"\nadd rule bridge {_table} loss{i} {(percent < 100 ? $"numgen random mod 100 < {percent} " : "")}counter name \"loss{i}\" drop" : ""));
        var segs = percent > 0 ? 1 : 65535;
        VethPair.Sh($"ip -n {KernelNs} link set dev {p.KernelIf} gso_max_segs {segs}");
        if (KernelOnBothSides) VethPair.Sh($"ip -n {EngineNs} link set dev {p.EngineIf} gso_max_segs {segs}");
    }

    /// <summary>Frames dropped so far on path <paramref name="path"/> by <see cref="Blackhole"/> and <see cref="Loss"/> together.</summary>
    public long Dropped(int path)
    {
        var i = PathAt(path).Index;
        if (!_tableMade) return 0;
        var text = VethPair.Sh($"ip netns exec {KernelNs} nft list counter bridge {_table} blackhole{i}; ip netns exec {KernelNs} nft list counter bridge {_table} loss{i}");
        return System.Text.RegularExpressions.Regex.Matches(text, @"packets (\d+)").Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// A token bucket (tc tbf, 50 ms of queue) of <paramref name="mbit"/> Mbit/s on the kernel's end of path
    /// <paramref name="path"/> (kernel → engine), and with <paramref name="bothWays"/> on the engine's end too (the engine's
    /// raw socket sends through its interface's qdisc). 0 removes it.
    /// </summary>
    public void RateLimit(int path, double mbit, bool bothWays = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(mbit);
        var p = PathAt(path);
        // The bucket must hold at least a frame and what arrives in a few timer ticks, or the rate is never reached.
        var burst = Math.Max(Math.Max(32 * 1024, 2 * (Mtu + 14)), (long)(mbit * 1e6 / 8 / 100));
        var rate = mbit.ToString("0.###", CultureInfo.InvariantCulture);
        var ends = new List<(string Ns, string Dev)> { (KernelNs, p.KernelPort) };
        if (bothWays) ends.Add((EngineNs, p.EngineIf));
        foreach (var (ns, dev) in ends)
        {
            VethPair.Sh(mbit > 0
                ? $"ip netns exec {ns} tc qdisc replace dev {dev} root tbf rate {rate}mbit burst {burst} latency 50ms"
                : $"ip netns exec {ns} tc qdisc del dev {dev} root 2>/dev/null || true");
        }
    }

    /// <summary>Applies <paramref name="commands"/> (nft syntax) in the kernel's namespace, making this instance's table first.</summary>
    private void Nft(string commands)
    {
        if (!_tableMade)
        {
            // One chain per path and fault, jumped to from the bridge's input (engine → kernel) and output (kernel → engine)
            // hooks by the path's port; named counters survive the chains being flushed.
            var t = new List<string> { $"table bridge {_table} {{" };
            foreach (var p in Paths)
                t.Add($"  counter blackhole{p.Index} {{ }}\n  counter loss{p.Index} {{ }}\n  chain blackhole{p.Index} {{ }}\n  chain loss{p.Index} {{ }}");
            t.Add("  chain in { type filter hook input priority 0; policy accept;");
            foreach (var p in Paths) t.Add($"    iifname \"{p.KernelPort}\" jump blackhole{p.Index}\n    iifname \"{p.KernelPort}\" jump loss{p.Index}");
            t.Add("  }\n  chain out { type filter hook output priority 0; policy accept;");
            foreach (var p in Paths) t.Add($"    oifname \"{p.KernelPort}\" jump blackhole{p.Index}\n    oifname \"{p.KernelPort}\" jump loss{p.Index}");
            t.Add("  }\n}");
            NftScript(string.Join('\n', t));
            _tableMade = true;
        }
        NftScript(commands);
    }

    private void NftScript(string script) =>
        VethPair.Sh($"ip netns exec {KernelNs} nft -f - <<'NFT_EOF'\n{script}\nNFT_EOF");

    /// <summary>Kills every process in both namespaces and deletes them (their interfaces, routes and nft tables go with them). Never throws.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var ns in new[] { KernelNs, EngineNs })
        {
            try { VethPair.Sh($"ip netns pids {ns} 2>/dev/null | xargs -r kill -9; ip netns del {ns} 2>/dev/null || true", 15_000); }
            catch (Exception) { }
        }
    }
}
