using System.Globalization;

namespace MptcpActors.Transport.Sim;

/// <summary>Conversions between the simulator's <c>long</c> nanoseconds and friendlier units.</summary>
public static class SimTime
{
    public const long NsPerUs = 1_000;
    public const long NsPerMs = 1_000_000;
    public const long NsPerSecond = 1_000_000_000;

    public static long Microseconds(double us) => checked((long)Math.Round(us * NsPerUs));
    public static long Milliseconds(double ms) => checked((long)Math.Round(ms * NsPerMs));
    public static long Seconds(double s) => checked((long)Math.Round(s * NsPerSecond));

    /// <summary>Exact: a TimeSpan tick is 100 ns.</summary>
    public static long FromTimeSpan(TimeSpan t) => checked(t.Ticks * 100);

    /// <summary>Rounds down to the 100 ns a TimeSpan can hold.</summary>
    public static TimeSpan ToTimeSpan(long ns) => TimeSpan.FromTicks(ns / 100);

    /// <summary>Seconds with nanosecond precision, e.g. "1.250000000s" (traces and messages).</summary>
    public static string Format(long ns) =>
        (ns < 0 ? "-" : "") + (Math.Abs(ns) / NsPerSecond).ToString(CultureInfo.InvariantCulture) + "." +
        (Math.Abs(ns) % NsPerSecond).ToString("D9", CultureInfo.InvariantCulture) + "s";
}
