namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// The README's namespace walk-throughs (Hosts/Examples/netns/*.sh) run as a reader runs them, with the built `mptcp`:
/// the engine against the kernel both ways over two paths, and the proxy in front of a plain web server for a kernel
/// MPTCP client. Each script removes its namespaces; the test checks what it printed.
/// </summary>
[Collection("netns")]
public class ExampleScriptsTests
{
    private static string Script(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "Hosts", "Examples", "netns", name);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"Hosts/Examples/netns/{name} above {AppContext.BaseDirectory}");
    }

    private static string Run(string name)
    {
        var r = MptcpProcess.Run("bash", [Script(name), Path.Combine(AppContext.BaseDirectory, "mptcp")], TimeSpan.FromSeconds(180));
        Assert.True(r.ExitCode == 0, $"{name} exited {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
        Assert.DoesNotContain("mptcpex-", VethPair.Sh("ip netns list"));
        return r.Stdout;
    }

    [Fact]
    public void The_kernel_peer_walkthrough_runs_both_ways_over_two_paths()
    {
        var output = Run("kernel-peer.sh");
        Assert.Contains("the kernel received 16 MiB, SHA-256 equal", output);
        // Both subflows carried part of the upload (the paths are shaped so the join comes while there is data left).
        Assert.Matches(@"fallback: False \| subflows: \S+ -> 10\.50\.0\.1 [1-9]\d* B, \S+ -> 10\.50\.0\.1 [1-9]\d* B", output);
        Assert.Contains("echoed 16777216 bytes, SHA-256 equal | kernel: MPTCP yes | ADD_ADDRs accepted 1 | extra subflows 1", output);
        Assert.Contains("listen exited 0", output);
    }

    [Fact]
    public void The_proxy_walkthrough_relays_a_kernel_mptcp_client_over_two_paths()
    {
        var output = Run("proxy.sh");
        Assert.Contains("connections: 1", output);
        Assert.Matches(@"\n    10\.200\.0\.2:80 10\.201\.0\.1:\d+ join ", output); // the client's second path joined
        Assert.Contains("curl got 32 MiB through the proxy, identical", output);
    }
}
