using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.PathManagement;
using MptcpActors.Cli.Controller;
using MptcpActors.Cli.PathControl;

namespace MptcpActors.Cli.Tests;

/// <summary>
/// The path manager from the command line: <c>--monitor</c> lines, <c>--pm-control</c> lines and <c>mptcp pm</c>, and the example
/// controller (<c>mptcp controller</c>) on the simulated network.
/// </summary>
public class PathControlTests
{
    private static readonly PathManagerLimits Limits = new(2, 0);

    [Fact]
    public void Control_lines_read_like_ip_mptcp_and_bad_ones_say_why()
    {
        var add = Assert.IsType<AddEndpoint>(PathControlLine.Parse("endpoint add 10.0.2.1 id 4 port 7000 dev lte signal backup", Limits).Command);
        Assert.Equal(new EndpointSettings(IPAddress.Parse("10.0.2.1"), 7000, 4, "lte", EndpointFlags.Signal | EndpointFlags.Backup), add.Endpoint);
        Assert.Equal(new DeleteEndpoint(3), PathControlLine.Parse("endpoint delete id 3", Limits).Command);
        Assert.Equal(new DeleteEndpoint(0, IPAddress.Parse("10.0.2.1")), PathControlLine.Parse("endpoint delete 10.0.2.1", Limits).Command);
        Assert.Equal(new ChangeEndpoint(2, Backup: false), PathControlLine.Parse("endpoint change id 2 nobackup", Limits).Command);
        Assert.Equal(new SetLimits(new PathManagerLimits(2, 4)), PathControlLine.Parse("limits set add_addr_accepted 4", Limits).Command);
        Assert.Equal(new InterfaceStateChanged("wifi", false), PathControlLine.Parse("link wifi down", Limits).Command);
        Assert.Same(FlushEndpoints.Instance, PathControlLine.Parse("endpoint flush", Limits).Command);
        var a = MptcpActors.Transport.Wire.Mptcp.IpAddressBytes.From(IPAddress.Parse("10.0.2.1"));
        var b = MptcpActors.Transport.Wire.Mptcp.IpAddressBytes.From(IPAddress.Parse("10.0.1.2"));
        Assert.Equal(new Announce(0xab12, 3, a, 7000), PathControlLine.Parse("ann 10.0.2.1 token ab12 id 3 port 7000", Limits).Command);
        Assert.Equal(new RemoveAddress(0xab12, 3), PathControlLine.Parse("rem token ab12 id 3", Limits).Command);
        Assert.Equal(new CreateSubflow(0xab12, 2, a, b, 443, Backup: true), PathControlLine.Parse("csf lip 10.0.2.1 lid 2 rip 10.0.1.2 rport 443 token ab12 backup", Limits).Command);
        Assert.Equal(new DestroySubflow(0xab12, a, 4000, b, 443), PathControlLine.Parse("dsf lip 10.0.2.1 lport 4000 rip 10.0.1.2 rport 443 token ab12", Limits).Command);
        Assert.Equal(new SetSubflowBackup(0xab12, a, false), PathControlLine.Parse("set 10.0.2.1 token ab12 flags nobackup", Limits).Command);
        Assert.Contains("hexadecimal", PathControlLine.Parse("rem token xyz id 3", Limits).Error);
        Assert.Contains("rport", PathControlLine.Parse("csf lip 10.0.2.1 lid 2 rip 10.0.1.2 token ab12", Limits).Error);
        Assert.Contains("0..255", PathControlLine.Parse("rem token ab12 id 300", Limits).Error);
        Assert.Contains("not an IP address", PathControlLine.Parse("endpoint add nowhere signal", Limits).Error);
        Assert.Contains("'sometimes'", PathControlLine.Parse("endpoint add 10.0.2.1 sometimes", Limits).Error);
        Assert.Contains("backup or nobackup", PathControlLine.Parse("endpoint change id 2", Limits).Error);
        Assert.Contains("not a number", PathControlLine.Parse("limits set subflows many", Limits).Error);
        Assert.Contains("expected", PathControlLine.Parse("route add default", Limits).Error);
    }

    [Fact]
    public async Task Monitor_writes_the_connections_events_to_stderr_and_leaves_stdout_to_data()
    {
        var data = RandomNumberGenerator.GetBytes(300_000);
        var psi = Start("connect", "--sim", "10.0.1.2", "5000", "--monitor");
        using var p = Process.Start(psi)!;
        var stdout = new MemoryStream();
        var reading = p.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardInput.BaseStream.WriteAsync(data);
        p.StandardInput.Close();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(limit.Token);
        await reading;
        var errors = await stderr;
        var lines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(p.ExitCode == 0, errors);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(stdout.ToArray()));
        string[] order = ["[         CREATED] token=", "[     ESTABLISHED] token=", "[  SF_ESTABLISHED] token=", "[          CLOSED] token="];
        var at = order.Select(o => Array.FindIndex(lines, l => l.StartsWith(o, StringComparison.Ordinal))).ToList();
        Assert.True(at.All(i => i >= 0) && at.SequenceEqual(at.Order()), errors);
        Assert.Contains(lines, l => l.Contains("SF_ESTABLISHED") && l.Contains("saddr4=10.0.2.1") && l.Contains("locid=1"));
    }

    [Fact]
    public void Mptcp_pm_changes_a_running_engines_endpoints_through_its_control_socket()
    {
        var control = Path.Combine(Path.GetTempPath(), $"mptcp-pm-{Guid.NewGuid():N}.sock");
        using var engine = Process.Start(Start("listen", "--sim", "--port", "6002", "--keep-open", "--echo", "--pm-control", control))!;
        try
        {
            var wait = Stopwatch.StartNew();
            while (!File.Exists(control) && wait.Elapsed < TimeSpan.FromSeconds(30) && !engine.HasExited) Thread.Sleep(20);
            Assert.True(File.Exists(control), "no control socket");
            var added = MptcpProcess.Run("pm", "--pm-control", control, "endpoint", "add", "10.0.1.1", "port", "7000", "signal", "backup");
            Assert.Equal(0, added.ExitCode);
            Assert.Contains("10.0.1.1 port 7000 id 2 signal backup", added.Stdout); // --sim's own subflow endpoint took id 1
            var refused = MptcpProcess.Run("pm", "--pm-control", control, "endpoint", "delete", "id", "9");
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("mptcp: error: no endpoint with id 9", refused.Stderr);
            var down = MptcpProcess.Run("pm", "--pm-control", control, "link", "lte", "down");
            Assert.Contains("link lte down", down.Stdout);
            Assert.Equal(0, MptcpProcess.Run("pm", "--pm-control", control, "endpoint", "flush").ExitCode);
        }
        finally
        {
            engine.Kill(entireProcessTree: true);
            engine.WaitForExit();
            File.Delete(control);
        }
    }

    [Fact]
    public void The_example_controller_moves_data_to_lte_while_wifi_is_slow_and_back_to_backup_after()
    {
        var output = new StringWriter();
        Assert.Equal(0, ControllerCommand.Run(thresholdMs: 100, seconds: 6, output));
        var text = output.ToString();
        Assert.Contains("opening LTE as backup", text);
        // Whatever the noisy machine made of the RTT before, LTE carries data by the end of the slow period (its RTT is then
        // above 400 ms, and only one under 50 ms demotes it), and is a backup again after Wi-Fi recovered.
        var recovered = text.IndexOf("Wi-Fi delay back to 8 ms", StringComparison.Ordinal);
        Assert.True(text.IndexOf("Wi-Fi delay 8 ms -> 200 ms", StringComparison.Ordinal) is var slowed and >= 0 && recovered > slowed, text);
        Assert.True(text.LastIndexOf("LTE carries data too", recovered, StringComparison.Ordinal) > text.LastIndexOf("LTE back to backup", recovered, StringComparison.Ordinal), text);
        Assert.True(text.IndexOf("LTE back to backup", recovered, StringComparison.Ordinal) > 0, text);
        Assert.Contains("SHA-256 equal", text);
        Assert.Matches(@"subflow 10\.0\.2\.1:\d+->10\.0\.1\.2:443: sent [1-9]\d* B", text);
    }

    private static ProcessStartInfo Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "mptcp.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }
}
