using System.Globalization;
using System.Text.RegularExpressions;

namespace MptcpActors.Actors.Configuration;

/// <summary>
/// HOCON durations (<c>200ms</c>, <c>1.5 s</c>, <c>2h</c>). Unlike the HOCON spec, a bare number is
/// refused: the sysctls these keys mirror disagree on units (seconds for add_addr_timeout,
/// milliseconds for tcp_rto_max_ms), so guessing one would silently be wrong for the other.
/// </summary>
internal static partial class HoconDuration
{
    private const decimal TicksPerNanosecond = 0.01m;

    private static readonly (string[] Names, decimal Ticks)[] Units =
    [
        (["ns", "nano", "nanos", "nanosecond", "nanoseconds"], TicksPerNanosecond),
        (["us", "micro", "micros", "microsecond", "microseconds"], TimeSpan.TicksPerMicrosecond),
        (["ms", "milli", "millis", "millisecond", "milliseconds"], TimeSpan.TicksPerMillisecond),
        (["s", "second", "seconds"], TimeSpan.TicksPerSecond),
        (["m", "minute", "minutes"], TimeSpan.TicksPerMinute),
        (["h", "hour", "hours"], TimeSpan.TicksPerHour),
        (["d", "day", "days"], TimeSpan.TicksPerDay),
    ];

    public const string Expected = "a duration with a unit (e.g. 200ms, 120s)";

    public static bool TryParse(string text, out TimeSpan value, out string problem)
    {
        value = default;
        var match = Syntax().Match(text);
        if (!match.Success)
        {
            problem = $"expected {Expected}, got '{text}'";
            return false;
        }

        var unit = match.Groups["unit"].Value;
        var number = match.Groups["number"].Value;
        if (unit.Length == 0)
        {
            problem = $"'{text}' has no unit; write e.g. {number}s or {number}ms";
            return false;
        }

        var ticksPerUnit = Units.FirstOrDefault(u => u.Names.Contains(unit)).Ticks;
        if (ticksPerUnit == 0)
        {
            problem = $"'{unit}' in '{text}' is not a duration unit (ns, us, ms, s, m, h, d)";
            return false;
        }

        var ticks = decimal.Parse(number, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture)
            * ticksPerUnit;
        if (ticks > TimeSpan.MaxValue.Ticks || ticks < TimeSpan.MinValue.Ticks)
        {
            problem = $"'{text}' is too long a duration";
            return false;
        }

        value = TimeSpan.FromTicks((long)decimal.Round(ticks));
        problem = "";
        return true;
    }

    /// <summary>
    /// The largest exact unit (<c>2h</c>, <c>1500ms</c>), for messages naming a bound; minutes are
    /// skipped so that bounds read as the sysctls state them (120s, not 2m).
    /// </summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
            return "0ms";
        foreach (var (names, ticks) in Enumerable.Reverse(Units))
        {
            if (ticks >= 1 && ticks != TimeSpan.TicksPerMinute && value.Ticks % (long)ticks == 0)
                return $"{value.Ticks / (long)ticks}{names[0]}";
        }

        return $"{value.Ticks * 100}ns";
    }

    // Up to 18 integer digits keeps decimal.Parse far from overflow; longer is out of range anyway.
    [GeneratedRegex(@"^\s*(?<number>[+-]?\d{1,18}(\.\d{1,9})?)\s*(?<unit>[A-Za-z]*)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Syntax();
}
