using System.Net;
using System.Security.Cryptography;
using MptcpActors.Transport.Devices.Linux;

namespace MptcpActors.Transport.Tests.Linux;

/// <summary>
/// A veth pair whose "host" end stays in the test process's namespace, unaddressed (the device under test opens it;
/// the kernel here has no address on it, as with <c>--iface</c>), and whose "peer" end lives in a fresh network
/// namespace where the kernel has addresses and answers ARP, ND and ping. Names carry a random suffix; Dispose (also
/// when construction fails half-way) deletes the namespace, which destroys both ends. Namespaces left by a crashed run
/// are swept on the next one.
/// </summary>
internal sealed class VethNamespace : IDisposable
{
    private const string NamespacePrefix = "mpat-";
    private bool _disposed;

    private VethNamespace(string suffix, int subnet)
    {
        Namespace = $"{NamespacePrefix}{Environment.ProcessId}-{suffix}";
        HostInterface = $"mpa{suffix}h";
        PeerInterface = $"mpa{suffix}p";
        HostMac = [0x02, 0xAA, (byte)subnet, 0, 0, 0x02];
        PeerMac = [0x02, 0xAA, (byte)subnet, 0, 0, 0x01];
        PeerIp4 = [198, 18, (byte)subnet, 1];
        EngineIp4 = [198, 18, (byte)subnet, 2];
        OtherIp4 = [198, 18, (byte)subnet, 3];
        PeerIp6 = Ipv6(subnet, 1);
        EngineIp6 = Ipv6(subnet, 2);
        OtherIp6 = Ipv6(subnet, 3);
    }

    public string Namespace { get; }
    /// <summary>The end in the test's namespace: no address, the device opens it.</summary>
    public string HostInterface { get; }
    /// <summary>The kernel's end, inside <see cref="Namespace"/>, with <see cref="PeerIp4"/> and <see cref="PeerIp6"/>.</summary>
    public string PeerInterface { get; }
    public byte[] HostMac { get; }
    public byte[] PeerMac { get; }
    public byte[] PeerIp4 { get; }
    /// <summary>The address the "engine" (the test) uses on the host end.</summary>
    public byte[] EngineIp4 { get; }
    /// <summary>A second address on the same subnet that is not the engine's (for filter tests).</summary>
    public byte[] OtherIp4 { get; }
    public byte[] PeerIp6 { get; }
    public byte[] EngineIp6 { get; }
    public byte[] OtherIp6 { get; }

    public static VethNamespace Create(int mtu = 1500)
    {
        NetnsEnvironment.RequireRoot();
        SweepStale();
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var net = new VethNamespace(suffix, RandomNumberGenerator.GetInt32(1, 255));
        try
        {
            net.Setup(mtu);
            return net;
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    private void Setup(int mtu)
    {
        var ip = NetnsEnvironment.Ip;
        ip(["netns", "add", Namespace]);
        ip(["link", "add", HostInterface, "mtu", $"{mtu}", "address", Mac(HostMac), "type", "veth",
            "peer", "name", PeerInterface, "mtu", $"{mtu}", "address", Mac(PeerMac), "netns", Namespace]);
        // Keep the test-side kernel off the host end: no IPv6 (no link-local address, no RS/MLD/DAD), no forwarding.
        File.WriteAllText($"/proc/sys/net/ipv6/conf/{HostInterface}/disable_ipv6", "1");
        File.WriteAllText($"/proc/sys/net/ipv4/conf/{HostInterface}/forwarding", "0");
        ip(["link", "set", HostInterface, "up"]);
        ip(["-n", Namespace, "link", "set", "lo", "up"]);
        ip(["-n", Namespace, "addr", "add", $"{new IPAddress(PeerIp4)}/24", "dev", PeerInterface]);
        ip(["-n", Namespace, "addr", "add", $"{new IPAddress(PeerIp6)}/64", "dev", PeerInterface, "nodad"]);
        ip(["-n", Namespace, "link", "set", PeerInterface, "up"]);
        WaitUntil(() => LinuxInterfaces.IsRunning(HostInterface), TimeSpan.FromSeconds(5), $"{HostInterface} did not come up");
    }

    /// <summary>Runs <c>ip -n NS ARGS</c>.</summary>
    public string PeerIp(params string[] args) => NetnsEnvironment.Ip(["-n", Namespace, .. args]);

    /// <summary>Runs a command inside the namespace (<c>ip netns exec</c>).</summary>
    public string Exec(params string[] command) => NetnsEnvironment.Ip(["netns", "exec", Namespace, .. command]);

    /// <summary>Tells the kernel in the namespace that <paramref name="address"/> is at the host end's MAC (no ARP/ND needed).</summary>
    public void AddStaticNeighbor(byte[] address) =>
        PeerIp("neigh", "replace", new IPAddress(address).ToString(), "lladdr", Mac(HostMac), "dev", PeerInterface, "nud", "permanent");

    public void SetMtu(int mtu)
    {
        NetnsEnvironment.Ip("link", "set", HostInterface, "mtu", $"{mtu}");
        PeerIp("link", "set", PeerInterface, "mtu", $"{mtu}");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        // Deleting the namespace destroys the peer end and with it the host end; delete the host end too in case the
        // pair was created but never reached the namespace.
        NetnsEnvironment.Run("ip", ["netns", "del", Namespace], check: false);
        NetnsEnvironment.Run("ip", ["link", "del", HostInterface], check: false);
    }

    public static string Mac(ReadOnlySpan<byte> mac) => string.Join(':', mac.ToArray().Select(b => b.ToString("x2")));

    public static void WaitUntil(Func<bool> condition, TimeSpan timeout, string failure)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail(failure);
            Thread.Sleep(10);
        }
    }

    private static byte[] Ipv6(int subnet, int host)
    {
        var b = new byte[16];
        b[0] = 0x20;
        b[1] = 0x01;
        b[2] = 0x0d;
        b[3] = 0xb8;
        b[4] = 0xaa;
        b[5] = (byte)subnet;
        b[15] = (byte)host;
        return b;
    }

    /// <summary>Deletes namespaces a crashed earlier run left behind (their creating process is gone).</summary>
    private static void SweepStale()
    {
        string list;
        try
        {
            list = NetnsEnvironment.Run("ip", ["netns", "list"], check: false);
        }
        catch
        {
            return;
        }
        foreach (var line in list.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            if (!name.StartsWith(NamespacePrefix, StringComparison.Ordinal)) continue;
            var parts = name[NamespacePrefix.Length..].Split('-');
            if (parts.Length != 2 || !int.TryParse(parts[0], out var pid)) continue;
            if (pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}")) continue;
            NetnsEnvironment.Run("ip", ["netns", "del", name], check: false);
        }
    }
}
