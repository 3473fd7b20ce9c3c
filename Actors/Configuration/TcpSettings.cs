namespace MptcpActors.Actors.Configuration;

/// <summary>Per-subflow TCP (<c>mptcp.tcp</c>); each key mirrors a Linux sysctl or RFC value, see akka.hocon.</summary>
public sealed record TcpSettings(
    int Mss,
    TimeSpan InitialRto,
    TimeSpan MinRto,
    TimeSpan MaxRto,
    int SendBuffer,
    int ReceiveBuffer,
    TimeSpan DelayedAck,
    bool Nagle,
    bool Sack,
    bool Timestamps,
    bool WindowScaling,
    int SynRetries,
    KeepaliveSettings Keepalive)
{
    /// <summary>RFC 9293's default send MSS, the least every host must accept.</summary>
    public const int MinMss = 536;

    /// <summary>65535 minus IPv4 and TCP headers: the largest segment an IPv4 packet carries.</summary>
    public const int MaxMss = 65495;

    /// <summary>2^30: the largest window a window-scale shift of 14 (RFC 7323's limit) can announce.</summary>
    public const int MaxBuffer = 1 << 30;

    public const int MinBuffer = 4 << 10;

    /// <summary>Linux's MAX_TCP_SYNCNT.</summary>
    public const int MaxSynRetries = 127;

    // net.ipv4.tcp_rto_max_ms accepts 1s..120s.
    public static readonly TimeSpan MinMaxRto = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxMaxRto = TimeSpan.FromSeconds(120);

    /// <summary>RFC 1122 4.2.3.2: an ACK must not be delayed by 0.5 s or more.</summary>
    public static readonly TimeSpan MaxDelayedAck = TimeSpan.FromMilliseconds(500);

    internal static TcpSettings Read(ConfigReader r)
    {
        var oneMs = TimeSpan.FromMilliseconds(1);
        var settings = new TcpSettings(
            Mss: r.Int("mss", MinMss, MaxMss, minName: "RFC 9293's minimum", maxName: "the IPv4 maximum"),
            InitialRto: r.Duration("initial-rto", oneMs, MaxMaxRto),
            MinRto: r.Duration("min-rto", oneMs, MaxMaxRto),
            MaxRto: r.Duration("max-rto", MinMaxRto, MaxMaxRto, minName: "Linux's minimum", maxName: "Linux's maximum"),
            SendBuffer: r.ByteSize("send-buffer", MinBuffer, MaxBuffer, maxName: "the largest scaled window"),
            ReceiveBuffer: r.ByteSize("receive-buffer", MinBuffer, MaxBuffer, maxName: "the largest scaled window"),
            DelayedAck: r.Duration("delayed-ack", TimeSpan.Zero, MaxDelayedAck, maxName: "RFC 1122's maximum"),
            Nagle: r.Bool("nagle"),
            Sack: r.Bool("sack"),
            Timestamps: r.Bool("timestamps"),
            WindowScaling: r.Bool("window-scaling"),
            SynRetries: r.Int("syn-retries", 1, MaxSynRetries, maxName: "Linux's maximum"),
            Keepalive: KeepaliveSettings.Read(r.Section("keepalive")));

        if (!r.Failed("min-rto") && !r.Failed("max-rto") && settings.MinRto > settings.MaxRto)
            r.Fail("min-rto", $"{HoconDuration.Format(settings.MinRto)} is above max-rto ({HoconDuration.Format(settings.MaxRto)})");
        else if (!r.Failed("initial-rto") && !r.Failed("min-rto") && !r.Failed("max-rto")
                 && (settings.InitialRto < settings.MinRto || settings.InitialRto > settings.MaxRto))
            r.Fail("initial-rto", $"{HoconDuration.Format(settings.InitialRto)} is outside min-rto..max-rto " +
                                  $"({HoconDuration.Format(settings.MinRto)}..{HoconDuration.Format(settings.MaxRto)})");
        if (!r.Failed("send-buffer") && !r.Failed("mss") && settings.SendBuffer < 2 * settings.Mss)
            r.Fail("send-buffer", $"{HoconByteSize.Format(settings.SendBuffer)} holds fewer than two segments of mss {settings.Mss}");

        r.RejectUnknownKeys();
        return settings;
    }
}
