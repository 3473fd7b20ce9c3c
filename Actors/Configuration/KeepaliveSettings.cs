namespace MptcpActors.Actors.Configuration;

/// <summary>TCP keepalive of idle subflows (<c>mptcp.tcp.keepalive</c>: SO_KEEPALIVE and net.ipv4.tcp_keepalive_*).</summary>
public sealed record KeepaliveSettings(bool Enabled, TimeSpan Time, TimeSpan Interval, int Probes)
{
    // Linux's MAX_TCP_KEEPIDLE / MAX_TCP_KEEPINTVL (seconds) and MAX_TCP_KEEPCNT.
    public static readonly TimeSpan MaxTime = TimeSpan.FromSeconds(32767);
    public const int MaxProbes = 127;

    internal static KeepaliveSettings Read(ConfigReader r)
    {
        var settings = new KeepaliveSettings(
            Enabled: r.Bool("enabled"),
            Time: r.Duration("time", TimeSpan.FromSeconds(1), MaxTime, maxName: "Linux's maximum"),
            Interval: r.Duration("interval", TimeSpan.FromSeconds(1), MaxTime, maxName: "Linux's maximum"),
            Probes: r.Int("probes", 1, MaxProbes, maxName: "Linux's maximum"));
        r.RejectUnknownKeys();
        return settings;
    }
}
