using MptcpActors.Actors.Configuration;
using MptcpActors.Cli.Failover;

namespace MptcpActors.Cli.Tests;

/// <summary>Scenario files are read strictly: each bad one is refused with the key it is about (exit 2 from the command).</summary>
public class FailoverScenarioTests
{
    private const string Good = """
        scenario {
          name = t
          paths = [
            { name = wifi, rate = 50Mbit, delay = 10ms, jitter = 2ms, loss = 0%, queue = 64KiB }
            { name = lte,  rate = 20Mbit, delay = 40ms, backup = true }
          ]
          traffic { direction = upload, duration = 10s }
          faults = [
            { at = 3s, path = wifi, action = blackhole }
            { at = 5s, path = lte, action = set, rate = 5Mbit, loss = 1.5%, backup = false }
            { at = 8s, path = wifi, action = restore }
          ]
        }
        """;

    [Fact]
    public void A_good_scenario_reads_with_every_value()
    {
        var s = ScenarioParser.Parse(Good);
        Assert.Equal("t", s.Name);
        Assert.Equal(1UL, s.Seed);
        Assert.Equal(50e6, s.Paths[0].RateBps);
        Assert.Equal(TimeSpan.FromMilliseconds(2), s.Paths[0].Jitter);
        Assert.Equal(65536, s.Paths[0].QueueBytes);
        Assert.True(s.Paths[1].Backup);
        Assert.Equal(TrafficDirection.Upload, s.Traffic.Direction);
        Assert.Equal(TimeSpan.FromSeconds(10), s.Traffic.Duration);
        Assert.Equal(Scheduler.Default, s.Scheduler);
        Assert.Equal(CongestionControl.Cubic, s.CongestionControl);
        Assert.Equal([FaultAction.Blackhole, FaultAction.Set, FaultAction.Restore], s.Faults.Select(f => f.Action));
        Assert.Equal(5e6, s.Faults[1].RateBps);
        Assert.Equal(0.015, s.Faults[1].Loss!.Value, 9);
        Assert.False(s.Faults[1].Backup);
    }

    [Fact]
    public void A_backup_written_first_yields_the_initial_subflow_to_the_first_regular_path()
    {
        var backupFirst = Good
            .Replace("{ name = wifi, rate = 50Mbit, delay = 10ms, jitter = 2ms, loss = 0%, queue = 64KiB }", "{ name = lte, rate = 20Mbit, delay = 40ms, backup = true }\n    { name = wifi, rate = 50Mbit, delay = 10ms }")
            .Replace("{ name = lte,  rate = 20Mbit, delay = 40ms, backup = true }", "{ name = dsl, rate = 10Mbit, backup = true }");
        var s = ScenarioParser.Parse(backupFirst);
        Assert.Equal(["wifi", "lte", "dsl"], s.Paths.Select(p => p.Name));
        Assert.Equal([false, true, true], s.Paths.Select(p => p.Backup));

        var allBackup = ScenarioParser.Parse(backupFirst.Replace("delay = 10ms }", "delay = 10ms, backup = true }")
            .Replace("loss = 1.5%, backup = false", "loss = 1.5%"));
        Assert.Equal(["lte", "wifi", "dsl"], allBackup.Paths.Select(p => p.Name));
        Assert.Equal([false, true, true], allBackup.Paths.Select(p => p.Backup));
    }

    [Theory]
    [InlineData("rate = 50Mbit, delay", "rate = 50Mbit, dealy", "scenario.paths[0].dealy")]
    [InlineData("{ at = 8s, path = wifi", "{ at = 11s, path = wifi", "scenario.faults[2].at")]
    [InlineData("{ at = 3s, path = wifi", "{ at = 3s, path = wlan", "scenario.faults[0].path")]
    [InlineData("rate = 20Mbit, delay = 40ms", "rate = 0Mbit, delay = 40ms", "scenario.paths[1].rate")]
    [InlineData("rate = 20Mbit, delay = 40ms", "rate = 20, delay = 40ms", "scenario.paths[1].rate")]
    [InlineData("loss = 0%", "loss = 0.5", "scenario.paths[0].loss")]
    [InlineData("direction = upload", "direction = sideways", "scenario.traffic.direction")]
    [InlineData("duration = 10s", "duration = 10s, bytes = 1MiB", "scenario.traffic.duration")]
    [InlineData("action = blackhole", "action = explode", "scenario.faults[0].action")]
    [InlineData("name = t", "name = t\n schedular = default", "scenario.schedular")]
    [InlineData("rate = 5Mbit, loss = 1.5%, backup = false", "", "scenario.faults[1].action")]
    public void A_bad_scenario_is_refused_naming_the_key(string find, string replace, string key)
    {
        var e = Assert.Throws<MptcpConfigurationException>(() => ScenarioParser.Parse(Good.Replace(find, replace)));
        Assert.Contains(e.Errors, error => error.Key == key);
    }

    [Fact]
    public void The_command_refuses_a_bad_file_with_exit_2_and_the_key()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, Good.Replace("path = wifi, action = restore", "path = wlan, action = restore"));
            var r = MptcpProcess.Run("failover", file, "--report", Path.Combine(Path.GetTempPath(), $"failover-bad-{Guid.NewGuid():N}"));
            Assert.Equal(2, r.ExitCode);
            Assert.Contains("mptcp: error: scenario.faults[2].path: 'wlan' is not a path; paths: wifi, lte", r.Stderr);
            Assert.Equal(2, MptcpProcess.Run("failover", "--builtin", "no-such-scenario").ExitCode);
            Assert.Equal(2, MptcpProcess.Run("failover").ExitCode);
            Assert.Equal(2, MptcpProcess.Run("failover", file, "--on", "moon").ExitCode);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void List_names_every_builtin()
    {
        var r = MptcpProcess.Run("failover", "--list");
        Assert.Equal(0, r.ExitCode);
        foreach (var name in new[] { "simult-balanced-bwidth", "wifi-lte-handover", "backup-takeover", "flapping-link", "lossy-path", "asymmetric-delay", "rto-blackhole" })
            Assert.Contains(name, r.Stdout);
    }
}
