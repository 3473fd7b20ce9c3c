using System.Diagnostics;

namespace MptcpActors.Cli.Failover;

/// <summary>The live progress line on stderr: the scenario's time reached (simulated or elapsed), the last fault applied, wall time. Redrawn in place on a terminal, a line a second otherwise.</summary>
public sealed class ProgressLine(TextWriter stderr, Scenario scenario, string clock)
{
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private TimeSpan _drawn = TimeSpan.FromDays(-1);
    private TimeSpan _checkedAt = TimeSpan.FromDays(-1);

    public void Update(TimeSpan now, long _)
    {
        // The simulator calls at every idle moment of virtual time (millions in a run): the wall clock is read once per
        // millisecond of scenario time at most (a second run, --compare kernel, starts its time again).
        var sinceChecked = now - _checkedAt;
        if (sinceChecked >= TimeSpan.Zero && sinceChecked < TimeSpan.FromMilliseconds(1)) return;
        _checkedAt = now;
        var interval = _terminal ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(1);
        if (_wall.Elapsed - _drawn < interval) return;
        _drawn = _wall.Elapsed;
        var last = scenario.Faults.LastOrDefault(f => f.At <= now);
        var text = $"{scenario.Name}: t = {now.TotalSeconds,7:F2} s {clock}" + (last is null ? "" : $", last fault {last.Path} {last.Describe()} at {last.At.TotalSeconds:F1} s")
                   + $" ({_wall.Elapsed.TotalSeconds:F1} s wall)";
        if (_terminal) stderr.Write($"\r{text,-110}");
        else stderr.WriteLine(text);
    }

    public void Finish(TimeSpan wall)
    {
        if (_terminal) stderr.Write('\r' + new string(' ', 110) + '\r');
        stderr.WriteLine($"{scenario.Name}: ran in {wall.TotalSeconds:F1} s wall time");
    }
}
