using System.CommandLine;

namespace MptcpActors.Cli.Netcat;

/// <summary>
/// The options CLI.md gives every command that runs the engine (listen, connect, proxy): attaching to the network,
/// path management, configuration and the run's records (--stats, --pcap).
/// </summary>
public sealed class EngineOptions
{
    public Option<string[]> Iface { get; } = new("--iface")
    {
        HelpName = "NAME=ADDR/PREFIX[,gw=GW]",
        Description = "NAME=ADDR/PREFIX[,gw=GW]: attach a raw-socket transport to Linux interface NAME and own ADDR on it (repeatable)",
        AllowMultipleArgumentsPerToken = false,
    };
    public Option<bool> Sim { get; } = new("--sim") { Description = "run on the embedded simulated network instead of real interfaces" };
    public Option<string[]> Endpoint { get; } = new("--endpoint") { HelpName = "ADDR[,FLAG...]", Description = "like ip mptcp endpoint: FLAG is signal, subflow, backup, fullmesh, port=N or id=N (repeatable; replaces the endpoints of --config)" };
    public Option<string?> Limits { get; } = new("--limits") { HelpName = "subflows=N,add-addr-accepted=M", Description = "like ip mptcp limits (defaults 2 and 0; at most 8 each)" };
    public Option<bool> Checksum { get; } = new("--checksum") { Description = "request DSS checksums (like net.mptcp.checksum_enabled=1)" };
    public Option<string?> Scheduler { get; } = new("--scheduler") { HelpName = "NAME", Description = "default | roundrobin | redundant (like net.mptcp.scheduler)" };
    public Option<bool> Plain { get; } = new("--plain") { Description = "plain TCP, no MPTCP options at all" };
    public Option<FileInfo?> Config { get; } = new("--config") { HelpName = "FILE", Description = "HOCON file with mptcp { ... } settings (flags win)" };
    public Option<FileInfo?> Stats { get; } = new("--stats") { HelpName = "FILE", Description = "write the connection's and its subflows' statistics as JSON (proxy: one JSON line per connection)" };
    public Option<FileInfo?> Pcap { get; } = new("--pcap") { HelpName = "FILE", Description = "write every frame the engine sent or received (pcap)" };
    public Option<bool> Monitor { get; } = new("--monitor") { Description = "write path-management events to stderr, like ip mptcp monitor" };
    public Option<FileInfo?> PmControl { get; } = new("--pm-control")
    {
        HelpName = "PATH",
        Description = "Unix socket taking ip mptcp-style lines at run time (endpoint add|delete|change|flush|show, limits set, link IF up|down; ann, rem, csf, dsf, set)",
    };

    public Option<string?> ClusterHost { get; } = new("--cluster-host") { HelpName = "ADDR", Description = "join an Akka.Cluster: remoting listens on ADDR (a kernel address)" };
    public Option<int> ClusterPort { get; } = new("--cluster-port") { HelpName = "PORT", Description = "remoting port (default 4053)", DefaultValueFactory = _ => Cluster.ClusterOptions.DefaultPort };
    public Option<string[]> ClusterSeed { get; } = new("--cluster-seed") { HelpName = "HOST:PORT", Description = "seed node of the cluster (repeatable; a node may name itself)", AllowMultipleArgumentsPerToken = false };

    public Option<FileInfo?> ClusterTlsCert { get; } = new("--cluster-tls-cert")
    {
        HelpName = "FILE.pfx",
        Description = "TLS on the cluster link (mutual): this node's certificate and key (PKCS#12); peers must present the same certificate or one issued by --cluster-tls-ca",
    };
    public Option<string?> ClusterTlsPasswordEnv { get; } = new("--cluster-tls-password-env") { HelpName = "VAR", Description = "the environment variable holding the --cluster-tls-cert file's password" };
    public Option<FileInfo?> ClusterTlsCa { get; } = new("--cluster-tls-ca") { HelpName = "FILE", Description = "also accept peers whose certificate this authority issued (PEM or DER)" };

    public EngineOptions()
    {
        Scheduler.CompletionSources.Add("default", "roundrobin", "redundant");
        Limits.CompletionSources.Add("subflows=2,add-addr-accepted=0");
    }

    /// <summary>CLI.md "Cluster": listen and proxy run as one node of a service.</summary>
    public void AddClusterTo(Command c)
    {
        foreach (var o in new Option[] { ClusterHost, ClusterPort, ClusterSeed, ClusterTlsCert, ClusterTlsPasswordEnv, ClusterTlsCa }) c.Options.Add(o);
    }

    public void AddTo(Command c)
    {
        foreach (var o in new Option[] { Iface, Sim, Endpoint, Limits, Checksum, Scheduler, Plain, Config, Stats, Pcap, Monitor, PmControl }) c.Options.Add(o);
    }
}
