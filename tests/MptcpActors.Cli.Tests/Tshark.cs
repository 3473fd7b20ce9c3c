namespace MptcpActors.Cli.Tests;

/// <summary>The real tshark, run exactly as CLI.md describes; CI installs it (tests fail, never skip, without it).</summary>
public static class Tshark
{
    public static string Fields(string pcap, IEnumerable<string> fields)
    {
        string[] args = ["-r", pcap, "-Y", "tcp", "-T", "fields", "-E", "header=y", "-E", "separator=|", "-E", "aggregator=,",
            "-o", "tcp.relative_sequence_numbers:FALSE", "-o", "mptcp.analyze_mptcp:TRUE", .. fields.SelectMany(f => new[] { "-e", f })];
        MptcpProcess.Result r;
        try
        {
            r = MptcpProcess.Run("tshark", args);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("tshark is not installed: run ./test.sh (it installs it) or apt-get install tshark", e);
        }
        Assert.True(r.ExitCode == 0, $"tshark failed: {r.Stderr}");
        return r.Stdout;
    }
}
