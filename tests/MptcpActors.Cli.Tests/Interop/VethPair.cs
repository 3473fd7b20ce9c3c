using System.Diagnostics;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// Two fresh network namespaces joined by a veth pair: the kernel's side has an address, the engine's side has none
/// (the engine owns its address itself, CLI.md --iface). Unique names per instance; removed on Dispose, whatever happened.
/// </summary>
public sealed class VethPair : IDisposable
{
    private static int _counter;

    /// <param name="mtu">MTU of both veth ends.</param>
    /// <param name="ipv6">
    /// Also give the kernel's side an IPv6 address (<see cref="KernelIp6"/>, added with nodad so it is usable at once) with
    /// IPv6 enabled in the kernel's namespace only; the engine's namespace keeps IPv6 disabled, so neighbour discovery for
    /// <see cref="EngineIp6"/> is answered by the engine alone.
    /// </param>
    public VethPair(int mtu = 1500, bool ipv6 = false)
    {
        if (Environment.UserName != "root" && geteuid() != 0)
            throw new InvalidOperationException("namespace interop tests need root (CI runs them as root): run ./test.sh as root");
        var id = $"{Environment.ProcessId % 10000}{Interlocked.Increment(ref _counter)}";
        KernelNs = $"mptk{id}";
        EngineNs = $"mpte{id}";
        KernelIf = $"vk{id}";
        EngineIf = $"ve{id}";
        var subnet = Random.Shared.Next(1, 250);
        KernelIp = $"10.213.{subnet}.1";
        EngineIp = $"10.213.{subnet}.2";
        KernelIp6 = ipv6 ? $"fd00:213:{subnet:x}::1" : null;
        EngineIp6 = ipv6 ? $"fd00:213:{subnet:x}::2" : null;
        try
        {
            Sh($"ip netns add {KernelNs}");
            Sh($"ip netns add {EngineNs}");
            Sh($"ip link add {KernelIf} netns {KernelNs} mtu {mtu} type veth peer name {EngineIf} netns {EngineNs} mtu {mtu}");
            Sh($"ip -n {KernelNs} addr add {KernelIp}/24 dev {KernelIf}");
            Sh($"ip -n {KernelNs} link set {KernelIf} up");
            Sh($"ip -n {KernelNs} link set lo up");
            Sh($"ip -n {EngineNs} link set {EngineIf} up");
            Sh($"ip -n {EngineNs} link set lo up");
            // The engine's namespace must stay quiet on the engine's link: no IPv6 autoconfiguration chatter.
            Sh($"ip netns exec {EngineNs} sysctl -qw net.ipv6.conf.all.disable_ipv6=1");
            Sh($"ip netns exec {KernelNs} sysctl -qw net.ipv6.conf.all.disable_ipv6=1");
            if (ipv6)
            {
                // Quiet but working IPv6 on the kernel's link: no router solicitations, no autoconfiguration.
                Sh($"ip netns exec {KernelNs} sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.{KernelIf}.disable_ipv6=0 " +
                   $"net.ipv6.conf.{KernelIf}.accept_ra=0 net.ipv6.conf.{KernelIf}.autoconf=0 net.ipv6.conf.{KernelIf}.router_solicitations=0");
                Sh($"ip -n {KernelNs} -6 addr add {KernelIp6}/64 dev {KernelIf} nodad");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string KernelNs { get; }
    public string EngineNs { get; }
    public string KernelIf { get; }
    public string EngineIf { get; }
    public string KernelIp { get; }
    public string EngineIp { get; }

    /// <summary>The kernel's IPv6 address (fd00:213:N::1/64), when made with ipv6: true.</summary>
    public string? KernelIp6 { get; }

    /// <summary>The address the engine owns on the IPv6 subnet (fd00:213:N::2/64), when made with ipv6: true.</summary>
    public string? EngineIp6 { get; }

    /// <summary>Runs <paramref name="command"/> (a shell command line) inside the kernel's namespace.</summary>
    public string InKernelNs(string command, int timeoutMs = 30_000) => Sh($"ip netns exec {KernelNs} bash -c {Quote(command)}", timeoutMs);

    /// <summary>Single-quotes <paramref name="s"/> for bash.</summary>
    internal static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    public static string Sh(string command, int timeoutMs = 30_000)
    {
        var psi = new ProcessStartInfo("bash", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(true);
            throw new TimeoutException($"'{command}' did not finish");
        }
        if (p.ExitCode != 0) throw new InvalidOperationException($"'{command}' failed ({p.ExitCode}): {error.Result}");
        return output.Result;
    }

    public void Dispose()
    {
        foreach (var ns in new[] { KernelNs, EngineNs })
        {
            try { Sh($"ip netns pids {ns} | xargs -r kill -9; ip netns del {ns}"); }
            catch (InvalidOperationException) { }
        }
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    internal static extern uint geteuid();
}
