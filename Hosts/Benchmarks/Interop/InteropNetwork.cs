using System.Runtime.InteropServices;
using MptcpActors.Cli.Tests.Interop;

namespace MptcpActors.Benchmarks.Interop;

/// <summary>
/// The benchmark's topology: two fresh network namespaces joined by one veth pair. The kernel's end has
/// <see cref="KernelIp"/>; the engine's end has no address (the engine owns <see cref="EngineIp"/> itself), except while
/// <see cref="KernelOwnsEngineSide"/> lends it to the kernel for the kernel→kernel baseline on the very same veth.
/// Names are unique per process and instance; Dispose (also run on Ctrl-C and process exit) kills what runs inside
/// and deletes both namespaces.
/// </summary>
internal sealed class InteropNetwork : IDisposable
{
    private readonly VethPair _pair;
    private static readonly List<InteropNetwork> Live = [];
    private static readonly PosixSignalRegistration[] Signals =
        [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT }.Select(s => PosixSignalRegistration.Create(s, _ => DisposeAll()))];
    private int _disposed;

    static InteropNetwork()
    {
        // Interrupted (Ctrl-C, kill): remove the namespaces first, then the signal's default action ends the process.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeAll();
        GC.KeepAlive(Signals);
    }

    public InteropNetwork(int mtu)
    {
        // The tests' namespace pair (linked in): one place creates and removes namespaces.
        _pair = new VethPair(mtu);
        Mtu = mtu;
        lock (Live) Live.Add(this);
        try
        {
            KernelMac = Sh($"ip netns exec {KernelNs} cat /sys/class/net/{KernelIf}/address").Trim();
            EngineMac = Sh($"ip netns exec {EngineNs} cat /sys/class/net/{EngineIf}/address").Trim();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string KernelNs => _pair.KernelNs;
    public string EngineNs => _pair.EngineNs;
    public string KernelIf => _pair.KernelIf;
    public string EngineIf => _pair.EngineIf;
    public string KernelIp => _pair.KernelIp;
    public string EngineIp => _pair.EngineIp;
    public string KernelMac { get; }
    public string EngineMac { get; }
    public int Mtu { get; }

    /// <summary>How the shaping of scenario (c) was placed (null when unshaped).</summary>
    public string? Shaping { get; private set; }

    /// <summary>
    /// A token bucket of <paramref name="rate"/> on the kernel's side, both directions: on its veth's egress (kernel →
    /// engine) and, through an ifb device fed by the veth's ingress, on what arrives from the engine's side (engine →
    /// kernel), so a sender on the engine's side (the engine, or the kernel baseline there) meets a real bottleneck that
    /// drops, not a local qdisc that pushes back. Without the ifb module the bucket of engine → kernel goes on the
    /// engine's veth egress instead (the engine's raw socket sends through that qdisc too).
    /// </summary>
    public void AddTokenBucket(string rate, string burst, string latency)
    {
        var tbf = $"tbf rate {rate} burst {burst} latency {latency}";
        Sh($"ip netns exec {KernelNs} tc qdisc add dev {KernelIf} root {tbf}");
        var ifb = $"ib{KernelIf[2..]}";
        try
        {
            Sh($"ip -n {KernelNs} link add {ifb} type ifb && ip -n {KernelNs} link set {ifb} up");
            Sh($"ip netns exec {KernelNs} tc qdisc add dev {ifb} root {tbf}");
            Sh($"ip netns exec {KernelNs} tc qdisc add dev {KernelIf} handle ffff: ingress");
            // Every frame: matchall where the kernel has it, else the classic u32 catch-all.
            Sh($"ip netns exec {KernelNs} tc filter add dev {KernelIf} parent ffff: protocol all matchall action mirred egress redirect dev {ifb} 2>/dev/null " +
               $"|| ip netns exec {KernelNs} tc filter add dev {KernelIf} parent ffff: protocol all u32 match u32 0 0 action mirred egress redirect dev {ifb}");
            Shaping = $"{tbf} on the kernel side: {KernelIf} egress and {KernelIf} ingress (via {ifb})";
        }
        catch (InvalidOperationException)
        {
            Sh($"ip netns exec {KernelNs} tc qdisc del dev {KernelIf} ingress 2>/dev/null; ip -n {KernelNs} link del {ifb} 2>/dev/null; true");
            Sh($"ip netns exec {EngineNs} tc qdisc add dev {EngineIf} root {tbf}");
            Shaping = $"{tbf} on {KernelIf} egress and (no ifb module) on the engine's {EngineIf} egress";
        }
    }

    /// <summary>The qdisc counters of the kernel's side (to show the bucket really acted).</summary>
    public string QdiscStats()
    {
        var parts = new List<string>();
        string? current = null;
        foreach (var raw in Sh($"ip netns exec {KernelNs} tc -s qdisc show").Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("qdisc ", StringComparison.Ordinal))
            {
                var words = line.Split(' ');
                current = line.StartsWith("qdisc tbf", StringComparison.Ordinal) ? words[Array.IndexOf(words, "dev") + 1] : null;
            }
            else if (current is not null && line.StartsWith("Sent", StringComparison.Ordinal))
            {
                parts.Add($"tbf on {current}: {line}");
                current = null;
            }
        }
        return string.Join("; ", parts);
    }

    /// <summary>Gives <see cref="EngineIp"/> to the engine namespace's kernel until disposed (then removes it and forgets neighbours).</summary>
    public IDisposable KernelOwnsEngineSide()
    {
        Sh($"ip -n {EngineNs} addr add {EngineIp}/24 dev {EngineIf}");
        return new Undo(() =>
        {
            Sh($"ip -n {EngineNs} addr flush dev {EngineIf}");
            Sh($"ip -n {EngineNs} neigh flush dev {EngineIf}");
            Sh($"ip -n {KernelNs} neigh flush dev {KernelIf}");
        });
    }

    /// <summary>Frames the kernel's veth end has received (rx_packets).</summary>
    public long KernelReceivedFrames() => long.Parse(Sh($"ip netns exec {KernelNs} cat /sys/class/net/{KernelIf}/statistics/rx_packets").Trim());

    public static string Sh(string command, int timeoutMs = 30_000) => VethPair.Sh(command, timeoutMs);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _pair.Dispose();
        lock (Live) Live.Remove(this);
    }

    private static void DisposeAll()
    {
        InteropNetwork[] all;
        lock (Live) all = [.. Live];
        foreach (var n in all) n.Dispose();
    }

    private sealed class Undo(Action action) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) action();
        }
    }
}
