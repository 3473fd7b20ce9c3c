using Akka.Actor;
using Akka.Configuration;

namespace MptcpActors.Actors.Configuration;

/// <summary>
/// The engine's configuration, typed and validated: the <c>mptcp</c> section of a HOCON config over the
/// embedded defaults (akka.hocon). Immutable, and equal to any other instance that says the same thing.
/// </summary>
public sealed record MptcpSettings(
    bool Enabled,
    bool Checksum,
    bool AllowJoinInitialAddrPort,
    TimeSpan AddAddrTimeout,
    int StaleLossCount,
    Scheduler Scheduler,
    CongestionControl CongestionControl,
    int ReassemblyMemory,
    PathManagerSettings PathManager,
    TcpSettings Tcp,
    EquatableList<InterfaceSettings> Interfaces)
{
    /// <summary>The AF_PACKET sockets of raw interfaces (<c>mptcp.raw-socket</c>).</summary>
    public RawSocketSettings RawSocket { get; init; } = new(RawSocketReceive.Recvmmsg, SegmentationOffload: true);

    private static readonly Lazy<MptcpSettings> DefaultSettings = new(() => Create(MptcpConfig.Default));

    /// <summary>The embedded akka.hocon, read.</summary>
    public static MptcpSettings Default => DefaultSettings.Value;

    /// <summary>
    /// Reads and validates the <c>mptcp</c> section of <paramref name="config"/>; keys it leaves out come
    /// from the embedded defaults, so any host config (or an empty one) is accepted as is.
    /// </summary>
    /// <exception cref="MptcpConfigurationException">
    /// Any key is unknown, of the wrong type, out of range, or names an unknown scheduler, flag, etc.
    /// Its <see cref="MptcpConfigurationException.Key"/> is the full path of the first such key.
    /// </exception>
    public static MptcpSettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = new List<MptcpConfigurationError>();
        var root = ConfigReader.ForObject(MptcpConfig.WithFallback(config).GetValue(MptcpConfig.RootPath), MptcpConfig.RootPath, errors);
        var settings = Read(root);
        if (errors.Count > 0)
            throw new MptcpConfigurationException(errors);
        return settings;
    }

    /// <summary>The embedded defaults with <paramref name="hocon"/> over them (<c>mptcp { ... }</c> or <c>mptcp.key = value</c> lines), validated as <see cref="Create(Config)"/> does.</summary>
    /// <exception cref="MptcpConfigurationException">As <see cref="Create(Config)"/>.</exception>
    public static MptcpSettings FromHocon(string hocon) => Create(ConfigurationFactory.ParseString(hocon));

    /// <summary>Reads the settings of a running actor system, whose config should come from <see cref="MptcpConfig.WithFallback"/>.</summary>
    public static MptcpSettings Create(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return Create(system.Settings.Config);
    }

    private static MptcpSettings Read(ConfigReader r)
    {
        var settings = new MptcpSettings(
            Enabled: r.Bool("enabled"),
            Checksum: r.Bool("checksum"),
            AllowJoinInitialAddrPort: r.Bool("allow-join-initial-addr-port"),
            AddAddrTimeout: r.Duration("add-addr-timeout", TimeSpan.FromMilliseconds(1), TimeSpan.MaxValue),
            StaleLossCount: r.Int("stale-loss-count", 1, int.MaxValue),
            Scheduler: r.Enum("scheduler", SettingNames.Schedulers),
            CongestionControl: r.Enum("congestion-control", SettingNames.CongestionControls),
            // 64KiB holds one segment of the largest mss; less and a single out-of-order segment could not be kept.
            ReassemblyMemory: r.ByteSize("reassembly-memory", 64 << 10, TcpSettings.MaxBuffer),
            PathManager: PathManagerSettings.Read(r.Section("path-manager")),
            Tcp: TcpSettings.Read(r.Section("tcp")),
            Interfaces: InterfaceSettings.ReadAll(r.Objects("interfaces")))
        {
            RawSocket = RawSocketSettings.Read(r.Section("raw-socket")),
        };
        r.RejectUnknownKeys();
        return settings;
    }
}
