using System.Diagnostics;

namespace MptcpActors.Transport.Devices;

/// <summary>
/// Wall-clock time in nanoseconds since the Unix epoch, read from the monotonic Stopwatch (anchored once to
/// <see cref="DateTime.UtcNow"/>), so timestamps never step backwards when the system clock is adjusted.
/// </summary>
public sealed class SystemDeviceClock : IDeviceClock
{
    public static SystemDeviceClock Instance { get; } = new();

    private readonly long _originNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
    private readonly long _originTimestamp = Stopwatch.GetTimestamp();

    public long NowNs => _originNs + (long)((Stopwatch.GetTimestamp() - _originTimestamp) * (1e9 / Stopwatch.Frequency));
}
