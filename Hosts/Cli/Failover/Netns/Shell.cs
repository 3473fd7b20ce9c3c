using System.Diagnostics;

namespace MptcpActors.Cli.Failover.Netns;

/// <summary>Runs setup commands (ip, sysctl) through bash, failing with their stderr.</summary>
public static class Shell
{
    public static string Run(string script, int timeoutMs = 60_000)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start bash");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"timed out: {script}");
        }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{script.Split('\n').Last()}: exit {p.ExitCode}: {stderr.Result.Trim()}");
        return stdout.Result;
    }

    public static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
