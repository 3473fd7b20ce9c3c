using System.Globalization;
using System.Text.RegularExpressions;

namespace MptcpActors.Cli.Failover;

/// <summary>The units of a scenario that HOCON has no spelling for: bit rates (<c>50Mbit</c>) and percentages (<c>0.5%</c>).</summary>
public static partial class ScenarioUnits
{
    public const string RateExpected = "a bit rate (e.g. 500kbit, 50Mbit, 1Gbit)";
    public const string PercentExpected = "a percentage (e.g. 0%, 1.5%)";

    private static readonly (string[] Names, double BitsPerSecond)[] RateUnits =
    [
        (["bit", "bps", "bit/s"], 1),
        (["kbit", "kbps", "kbit/s"], 1e3),
        (["Mbit", "mbit", "Mbps", "mbps", "Mbit/s"], 1e6),
        (["Gbit", "gbit", "Gbps", "gbps", "Gbit/s"], 1e9),
    ];

    public static bool TryParseRate(string text, out double bitsPerSecond, out string problem)
    {
        bitsPerSecond = 0;
        var match = Rate().Match(text);
        var unit = match.Success ? RateUnits.FirstOrDefault(u => u.Names.Contains(match.Groups["unit"].Value)).BitsPerSecond : 0;
        if (unit == 0)
        {
            problem = $"expected {RateExpected}, got '{text}'";
            return false;
        }
        bitsPerSecond = double.Parse(match.Groups["number"].Value, CultureInfo.InvariantCulture) * unit;
        problem = bitsPerSecond > 0 ? "" : $"'{text}' is not above zero (take the path down with a fault instead)";
        return bitsPerSecond > 0;
    }

    /// <summary>A percentage as a probability in [0, 1].</summary>
    public static bool TryParsePercent(string text, out double fraction, out string problem)
    {
        fraction = 0;
        var match = Percent().Match(text);
        if (!match.Success)
        {
            problem = $"expected {PercentExpected}, got '{text}'";
            return false;
        }
        fraction = double.Parse(match.Groups["number"].Value, CultureInfo.InvariantCulture) / 100;
        problem = fraction <= 1 ? "" : $"'{text}' is above 100%";
        return fraction <= 1;
    }

    public static string FormatRate(double bitsPerSecond) => bitsPerSecond switch
    {
        >= 1e9 => $"{bitsPerSecond / 1e9:0.###}Gbit",
        >= 1e6 => $"{bitsPerSecond / 1e6:0.###}Mbit",
        >= 1e3 => $"{bitsPerSecond / 1e3:0.###}kbit",
        _ => $"{bitsPerSecond:0.###}bit",
    };

    [GeneratedRegex(@"^\s*(?<number>\d{1,12}(\.\d{1,9})?)\s*(?<unit>[A-Za-z/]+)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Rate();

    [GeneratedRegex(@"^\s*(?<number>\d{1,3}(\.\d{1,9})?)\s*%\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Percent();
}
