using Akka.Configuration;
using MptcpActors.Actors.Configuration;

namespace MptcpActors.Cli.Netcat;

/// <summary>
/// The <c>mptcp-cli</c> section of --config: what the flags of listen, connect and proxy set besides the engine's own
/// <c>mptcp</c> settings (CLI.md: everything a flag sets is settable in HOCON, and the flag wins). Validated like the
/// engine's settings: a bad value or an unknown key is an error naming it.
/// </summary>
public sealed record CommandSettings(bool Sim, string? Stats, string? Pcap, int ListenPort, bool KeepOpen, bool ListenEcho, string? Source,
    bool ConnectEcho, int? ProxyListen, string? ProxyTo)
{
    public const string RootPath = "mptcp-cli";

    private static readonly Config Defaults = ConfigurationFactory.ParseString("""
        mptcp-cli {
          sim = off                  # --sim
          # stats = FILE             # --stats
          # pcap = FILE              # --pcap
          listen {
            port = 5000              # --port
            keep-open = off          # --keep-open
            echo = off               # --echo
          }
          connect {
            # source = ADDR          # --source
            echo = off               # --echo
          }
          proxy {
            # listen = PORT          # --listen
            # to = "HOST:PORT"       # --to
          }
        }
        """);

    /// <exception cref="MptcpConfigurationException">A key of <c>mptcp-cli</c> is unknown or has a bad value.</exception>
    public static CommandSettings Read(Config file)
    {
        var errors = new List<MptcpConfigurationError>();
        var r = ConfigReader.ForObject(file.WithFallback(Defaults).GetValue(RootPath), RootPath, errors);
        var listen = r.Section("listen");
        var connect = r.Section("connect");
        var proxy = r.Section("proxy");
        var settings = new CommandSettings(
            Sim: r.Bool("sim"),
            Stats: r.OptionalText("stats"),
            Pcap: r.OptionalText("pcap"),
            ListenPort: listen.Int("port", 1, 65535),
            KeepOpen: listen.Bool("keep-open"),
            ListenEcho: listen.Bool("echo"),
            Source: connect.OptionalText("source"),
            ConnectEcho: connect.Bool("echo"),
            ProxyListen: proxy.OptionalInt("listen", 1, 65535),
            ProxyTo: proxy.OptionalText("to"));
        foreach (var section in new[] { listen, connect, proxy, r }) section.RejectUnknownKeys();
        if (errors.Count > 0) throw new MptcpConfigurationException(errors);
        return settings;
    }
}
