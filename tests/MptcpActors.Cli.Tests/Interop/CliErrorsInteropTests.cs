using System.Diagnostics;
using Xunit.Abstractions;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>CLI.md's error contract for listen/connect on real interfaces: exit code, one `mptcp: error:` line, nothing on stdout.</summary>
[Collection("netns")]
public class CliErrorsInteropTests(ITestOutputHelper output)
{
    private static MptcpProcess.Result Mptcp(string ns, TimeSpan timeout, params string[] args) =>
        MptcpProcess.Run("ip", ["netns", "exec", ns, "dotnet", Path.Combine(AppContext.BaseDirectory, "mptcp.dll"), .. args], timeout);

    [Fact]
    public void A_nonexistent_interface_is_an_error_naming_it()
    {
        using var net = new VethPair();
        foreach (var command in new[] { new[] { "listen", "--port", "5000" }, ["connect", net.KernelIp, "5000"] })
        {
            var r = Mptcp(net.EngineNs, TimeSpan.FromSeconds(30), [.. command, "--iface", "nosuchif0=10.213.0.2/24", "--plain"]);
            output.WriteLine($"{command[0]}: exit {r.ExitCode}: {r.Stderr.Trim()}");
            Assert.InRange(r.ExitCode, 1, 2);
            Assert.Equal("", r.Stdout);
            var errors = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("mptcp: error:", StringComparison.Ordinal)).ToList();
            Assert.True(errors.Count == 1, $"expected one 'mptcp: error:' line: {r.Stderr}");
            Assert.Contains("nosuchif0", errors[0]);
        }
    }

    /// <summary>Two addresses on one interface (not supported yet) are a usage error naming it, not an unhandled exception.</summary>
    [Fact]
    public void The_same_interface_twice_is_a_usage_error_naming_it()
    {
        using var net = new VethPair();
        var r = Mptcp(net.EngineNs, TimeSpan.FromSeconds(30), "listen", "--port", "5000",
            "--iface", $"{net.EngineIf}={net.EngineIp}/24", "--iface", $"{net.EngineIf}=fd00:213::2/64", "--plain");
        output.WriteLine($"exit {r.ExitCode}: {r.Stderr.Trim()}");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("mptcp: error: --iface", line);
        Assert.Contains(net.EngineIf, line);
    }

    /// <summary>The kernel answers the SYN with RST: connect fails with exit 1 at once (not after SYN retries), IPv4 and IPv6.</summary>
    [Fact]
    public void Connect_to_a_port_nobody_listens_on_fails_fast_with_exit_1()
    {
        using var net = new VethPair(ipv6: true);
        foreach (var (target, spec) in new[] { (net.KernelIp, $"{net.EngineIf}={net.EngineIp}/24"), (net.KernelIp6!, $"{net.EngineIf}={net.EngineIp6}/64") })
        {
            var sw = Stopwatch.StartNew();
            var r = Mptcp(net.EngineNs, TimeSpan.FromSeconds(30), "connect", target, "5999", "--iface", spec, "--plain");
            sw.Stop();
            output.WriteLine($"{target}: exit {r.ExitCode} after {sw.Elapsed.TotalSeconds:F2} s: {r.Stderr.Trim()}");
            Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}: {r.Stderr}");
            Assert.Equal("", r.Stdout);
            Assert.StartsWith("mptcp: error:", r.Stderr.Trim());
            Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            // The first SYN retransmission alone would come after 1 s, the sixth after a minute: a reset is seen in well under 8.
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(8), $"took {sw.Elapsed.TotalSeconds:F1} s");
        }
    }
}
