using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;

namespace MptcpActors.Cli.Tests;

/// <summary><c>mptcp listen/connect --sim</c>: the engine against an echoing engine peer on the simulated network, as a process.</summary>
public class SimNetcatTests
{
    /// <summary>Runs the command with <paramref name="stdin"/> and returns exit code, stdout bytes and stderr.</summary>
    private static (int Exit, byte[] Stdout, string Stderr) Run(byte[] stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mptcp.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = new MemoryStream();
        var reading = p.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.BaseStream.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail("mptcp did not exit within 60 s");
        }
        reading.Wait();
        return (p.ExitCode, stdout.ToArray(), stderr.Result);
    }

    [Fact]
    public void Connect_on_the_simulated_network_gets_its_data_echoed_over_both_paths()
    {
        var data = RandomNumberGenerator.GetBytes(2_000_000);
        var stats = Path.GetTempFileName();
        try
        {
            var (exit, stdout, stderr) = Run(data, "connect", "--sim", "10.0.1.2", "5000", "--stats", stats);
            Assert.True(exit == 0, stderr);
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(stdout));
            using var json = JsonDocument.Parse(File.ReadAllText(stats));
            Assert.False(json.RootElement.GetProperty("connection").GetProperty("fallback").GetBoolean());
            var subflows = json.RootElement.GetProperty("subflows").EnumerateArray().ToList();
            Assert.Equal(2, subflows.Count); // the default second path is a subflow endpoint on --sim
            Assert.All(subflows, s => Assert.True(s.GetProperty("bytes_received").GetInt64() > 0));
        }
        finally
        {
            File.Delete(stats);
        }
    }

    [Fact]
    public void Akka_loglevel_in_config_sends_the_engines_logs_to_stderr_and_leaves_stdout_to_the_data()
    {
        var data = "logged\n"u8.ToArray();
        var config = Path.GetTempFileName();
        try
        {
            File.WriteAllText(config, "akka.loglevel = DEBUG\n");
            var (exit, stdout, stderr) = Run(data, "connect", "--sim", "10.0.1.2", "5000", "--config", config);
            Assert.True(exit == 0, stderr);
            Assert.Equal(data, stdout);
            Assert.Matches(@"DBG .*connection [0-9a-f]{8}: subflow .* up", stderr);
        }
        finally
        {
            File.Delete(config);
        }
        // Without --config the engine stays quiet.
        var (_, _, quiet) = Run(data, "connect", "--sim", "10.0.1.2", "5000");
        Assert.DoesNotContain("DBG", quiet);
    }

    [Fact]
    public void Listen_on_the_simulated_network_is_reached_by_the_peer()
    {
        var data = "from the listener\n"u8.ToArray();
        var (exit, stdout, stderr) = Run(data, "listen", "--sim", "--port", "6000");
        Assert.True(exit == 0, stderr);
        Assert.Equal(data, stdout);
    }

    [Fact]
    public void Plain_tcp_runs_on_the_simulated_network_too()
    {
        var data = RandomNumberGenerator.GetBytes(100_000);
        var (exit, stdout, stderr) = Run(data, "connect", "--sim", "--plain", "10.0.2.2", "7000");
        Assert.True(exit == 0, stderr);
        Assert.Equal(data, stdout);
    }

    [Fact]
    public void A_host_that_is_not_the_simulated_peer_is_a_usage_error()
    {
        var (exit, _, stderr) = Run([], "connect", "--sim", "192.0.2.1", "5000");
        Assert.Equal(2, exit);
        Assert.Contains("10.0.1.2", stderr);
    }
}
