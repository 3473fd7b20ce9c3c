using System.Diagnostics;
using System.Text.Json;

namespace MptcpActors.Cli.Tests.Interop;

/// <summary>
/// <c>mptcp failover --on netns</c> against the Linux kernel (root): the engine as client, then as server, then on both
/// ends, each with the kernel ↔ kernel run beside it, on two emulated paths with a blackhole; and a run interrupted with Ctrl-C leaves
/// no namespace behind.
/// </summary>
[Collection("netns")]
public class FailoverNetnsTests
{
    private const string Scenario = """
        scenario {
          name = netns-blackhole
          seed = 3
          paths = [
            { name = wifi, rate = 20Mbit, delay = 10ms, queue = 128KiB }
            { name = lte,  rate = 10Mbit, delay = 30ms, queue = 128KiB }
          ]
          traffic { direction = upload, bytes = 6MiB }
          faults = [
            { at = 1s, path = wifi, action = blackhole }
            { at = 3s, path = wifi, action = restore }
          ]
        }
        """;

    private static string[] OurNamespaces() =>
        VethPair.Sh("ip netns list").Split('\n').Select(l => l.Split(' ')[0]).Where(n => n.StartsWith("mpfo", StringComparison.Ordinal)).ToArray();

    [Theory]
    [InlineData("client")]
    [InlineData("server")]
    [InlineData("both")] // like for like with --on sim: the engine on both ends
    public void Engine_and_kernel_runs_deliver_intact_and_nothing_crosses_the_blackholed_path(string engineSide)
    {
        Assert.Equal(0u, VethPair.geteuid()); // the namespace tests run as root in CI: never skip them silently
        var before = OurNamespaces();
        var file = Path.GetTempFileName();
        var dir = Path.Combine(Path.GetTempPath(), $"failover-netns-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllText(file, Scenario);
            var r = MptcpProcess.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "mptcp.dll"), "failover", file, "--on", "netns",
                "--engine-side", engineSide, "--compare", "kernel", "--report", dir], TimeSpan.FromMinutes(3));
            Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {string.Join('\n', r.Stderr.Split('\n').Where(l => !l.Contains(" elapsed")))}");
            var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "report.json"))).RootElement;
            Assert.Equal("netns", report.GetProperty("on").GetString());
            foreach (var run in new[] { report, report.GetProperty("kernel") })
            {
                Assert.True(run.GetProperty("completed").GetBoolean());
                Assert.True(run.GetProperty("sha256_match").GetBoolean());
                Assert.Equal(6L << 20, run.GetProperty("bytes").GetInt64());
                Assert.True(run.GetProperty("faults")[0].GetProperty("recovery_ms").GetDouble() > 0, "the blackhole stalled nothing");
                var wifi = run.GetProperty("series").EnumerateArray().Single(s => s.GetProperty("path").GetString() == "wifi");
                var lte = run.GetProperty("series").EnumerateArray().Single(s => s.GetProperty("path").GetString() == "lte");
                var t = wifi.GetProperty("t_s").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                var mbps = wifi.GetProperty("mbps").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                // After the queue (128 KiB at 20 Mbit/s) and the delay have drained, nothing crosses until the restore.
                for (var i = 0; i < t.Length; i++)
                    if (t[i] >= 1.2 && t[i] + 0.1 <= 3) Assert.True(mbps[i] == 0, $"wifi carried {mbps[i]} Mbit/s at {t[i]} s while blackholed");
                Assert.True(lte.GetProperty("mbps").EnumerateArray().Sum(v => v.GetDouble()) > 0, "the second path was never used");
            }
            // The engine's run: its subflows (from its --stats) cover both paths, and each engine end ran (its stats and log).
            var paths = report.GetProperty("subflows").EnumerateArray().Select(s => s.GetProperty("path").GetString()).ToHashSet();
            Assert.True(paths.SetEquals(["wifi", "lte"]), $"the engine's subflows ran on {string.Join(", ", paths)}");
            foreach (var end in new[] { "client", "server" })
                Assert.Equal(engineSide is "both" || engineSide == end, File.Exists(Path.Combine(dir, $"engine-{end}.json")));
            Assert.Contains("| kernel |", File.ReadAllText(Path.Combine(dir, "summary.md")));
            Assert.Contains("(kernel)", File.ReadAllText(Path.Combine(dir, "throughput.svg")));
        }
        finally
        {
            File.Delete(file);
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        Assert.Equal(before, OurNamespaces());
    }

    [Fact]
    public void Ctrl_C_removes_every_namespace_the_run_made()
    {
        Assert.Equal(0u, VethPair.geteuid());
        var before = OurNamespaces();
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, Scenario.Replace("bytes = 6MiB", "duration = 60s"));
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "mptcp.dll"), "failover", file, "--on", "netns", "--report", Path.Combine(Path.GetTempPath(), $"failover-int-{Guid.NewGuid():N}") })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            _ = p.StandardOutput.ReadToEndAsync();
            // Interrupted while its traffic flows: after its progress line (printed from the run's loop, once the
            // namespaces and both ends are up), not on a count of namespaces that other tests' runs may share.
            using var progressed = new ManualResetEventSlim();
            _ = Task.Run(() =>
            {
                while (p.StandardError.ReadLine() is { } line)
                    if (line.Contains(" t = ", StringComparison.Ordinal)) progressed.Set();
            });
            Assert.True(progressed.Wait(TimeSpan.FromSeconds(90)), "the run never reported its progress");
            Assert.True(OurNamespaces().Except(before).Count() == 3, "the run never made its three namespaces");
            Thread.Sleep(2000); // traffic flowing
            VethPair.Sh($"kill -INT {p.Id}");
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "the run did not end on Ctrl-C");
            Assert.Equal(before, OurNamespaces());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
