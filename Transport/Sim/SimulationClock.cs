using MptcpActors.Transport.Devices;

namespace MptcpActors.Transport.Sim;

/// <summary>
/// Virtual time of one simulation, in nanoseconds from 0. Only the <see cref="EventScheduler"/> moves it (forward,
/// to the time of the event it runs), so everything that reads it in one event sees the same instant.
/// </summary>
public sealed class SimulationClock : IDeviceClock
{
    public long NowNs { get; internal set; }

    public TimeSpan Now => SimTime.ToTimeSpan(NowNs);

    public override string ToString() => SimTime.Format(NowNs);
}
