using System.Globalization;

namespace MptcpActors.Cli.Failover.Netns;

/// <summary>
/// How late the path emulator's thread ran what was due: on a busy machine it is descheduled, and every frame due
/// meanwhile leaves the router late, which stretches the paths' delays and slows their rates where netem (in the
/// kernel's softirq) would not. A run whose emulator was often late measured the machine, not the scenario.
/// </summary>
public sealed class EmulatorLateness
{
    private static readonly long[] Bounds = [1_000_000, 5_000_000, 20_000_000];
    private readonly long[] _over = new long[Bounds.Length];

    /// <summary>Steps at which something was due.</summary>
    public long Steps { get; private set; }

    public long WorstNs { get; private set; }

    public void Add(long lateNs)
    {
        Steps++;
        if (lateNs > WorstNs) WorstNs = lateNs;
        for (var i = 0; i < Bounds.Length && lateNs > Bounds[i]; i++) _over[i]++;
    }

    /// <summary>One line: the share of steps more than 1, 5 and 20 ms late, and the worst.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"path emulator late by > 1 ms at {Share(0):P1} of {Steps} steps, > 5 ms {Share(1):P1}, > 20 ms {Share(2):P2}; worst {WorstNs / 1e6:F1} ms");

    private double Share(int i) => Steps == 0 ? 0 : (double)_over[i] / Steps;
}
