using System.Text.RegularExpressions;

namespace MptcpActors.Cli.Tests;

/// <summary><c>mptcp demo</c> as a new user runs it: exit 0, a summary whose numbers come from the run.</summary>
public class DemoTests
{
    private static (string Sent, string Stall, string Out) Summary(int seed)
    {
        var r = MptcpProcess.Run("demo", "--duration", "3", "--seed", seed.ToString());
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("equal", r.Stdout); // the SHA-256 of both ends
        var sent = Regex.Match(r.Stdout, @"data sent / received\s+([\d.]+) MB / ([\d.]+) MB");
        Assert.True(sent.Success, r.Stdout);
        Assert.Equal(sent.Groups[1].Value, sent.Groups[2].Value);
        Assert.True(double.Parse(sent.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 1, "less than a megabyte in 3 s");
        var stall = Regex.Match(r.Stdout, @"longest stall at the receiver\s+(\d+) ms");
        Assert.True(stall.Success, r.Stdout);
        // The wifi path fails a third of the way in: the receiver does see a gap (a path's loss is never invisible).
        Assert.True(int.Parse(stall.Groups[1].Value) > 0);
        Assert.Matches(@"10\.0\.2\.1:\d+->", r.Stdout.Replace("\n", "").Replace("│", "").Replace(" ", "")); // the lte subflow is listed
        return (sent.Groups[1].Value, stall.Groups[1].Value, r.Stdout);
    }

    [Fact]
    public void Demo_runs_and_different_seeds_give_different_runs()
    {
        var a = Summary(1);
        var b = Summary(2);
        Assert.NotEqual((a.Sent, a.Stall), (b.Sent, b.Stall));
    }

    [Fact]
    public void Bad_demo_arguments_are_usage_errors()
    {
        Assert.Equal(2, MptcpProcess.Run("demo", "--duration", "0").ExitCode);
        Assert.Equal(2, MptcpProcess.Run("demo", "--scheduler", "fastest").ExitCode);
        Assert.Equal(2, MptcpProcess.Run("demo", "--cc", "bbr").ExitCode);
    }
}
