namespace MptcpActors.Transport.Devices;

/// <summary>
/// Where a device wrapper reads the time: virtual time in the simulator, the system clock on real interfaces.
/// Wrappers take it rather than reading a clock themselves so the same wrapper runs in both.
/// </summary>
public interface IDeviceClock
{
    /// <summary>Nanoseconds since the clock's origin (the Unix epoch for the system clock, 0 for a simulation).</summary>
    long NowNs { get; }
}

/// <summary>A clock that can also run a callback later (a wrapper that delays frames needs it).</summary>
public interface IDeviceTimer : IDeviceClock
{
    /// <summary>Runs <paramref name="callback"/>(<paramref name="state"/>) at <paramref name="atNs"/> (clamped to now when in the past).</summary>
    void ScheduleAt(long atNs, Action<object?> callback, object? state);
}
