namespace MptcpActors.Actors.Configuration;

/// <summary>The HOCON spelling of every enum setting, shared by the reader and anything that prints settings back.</summary>
public static class SettingNames
{
    public static HoconNames<Scheduler> Schedulers { get; } = new(
        ("default", Scheduler.Default),
        ("roundrobin", Scheduler.RoundRobin),
        ("redundant", Scheduler.Redundant));

    public static HoconNames<CongestionControl> CongestionControls { get; } = new(
        ("cubic", CongestionControl.Cubic),
        ("newreno", CongestionControl.NewReno),
        ("lia", CongestionControl.Lia),
        ("olia", CongestionControl.Olia));

    public static HoconNames<PathManagerType> PathManagerTypes { get; } = new(
        ("in-engine", PathManagerType.InEngine),
        ("userspace", PathManagerType.Userspace));

    public static HoconNames<InterfaceTransport> InterfaceTransports { get; } = new(
        ("raw", InterfaceTransport.Raw),
        ("sim", InterfaceTransport.Sim),
        ("tun", InterfaceTransport.Tun));

    public static HoconNames<RawSocketReceive> RawSocketReceives { get; } = new(
        ("recvmmsg", RawSocketReceive.Recvmmsg),
        ("ring", RawSocketReceive.Ring));

    public static HoconNames<EndpointFlags> EndpointFlagNames { get; } = new(
        ("signal", EndpointFlags.Signal),
        ("subflow", EndpointFlags.Subflow),
        ("backup", EndpointFlags.Backup),
        ("fullmesh", EndpointFlags.Fullmesh));
}
