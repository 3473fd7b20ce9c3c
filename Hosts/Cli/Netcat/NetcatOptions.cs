using System.CommandLine;

namespace MptcpActors.Cli.Netcat;

/// <summary>The options CLI.md gives listen and connect (attaching, path management, transfer behaviour).</summary>
public sealed class NetcatOptions
{
    public Option<string[]> Iface { get; } = new("--iface")
    {
        Description = "NAME=ADDR/PREFIX[,gw=GW]: attach a raw-socket transport to Linux interface NAME and own ADDR on it (repeatable)",
        AllowMultipleArgumentsPerToken = false,
    };
    public Option<bool> Sim { get; } = new("--sim") { Description = "run on the embedded simulated network instead of real interfaces" };
    public Option<string[]> Endpoint { get; } = new("--endpoint") { Description = "ADDR[,signal|subflow|backup|fullmesh|port=N|id=N] (repeatable)" };
    public Option<string?> Limits { get; } = new("--limits") { Description = "subflows=N,add-addr-accepted=M" };
    public Option<bool> Checksum { get; } = new("--checksum") { Description = "request DSS checksums" };
    public Option<string?> Scheduler { get; } = new("--scheduler") { Description = "default | roundrobin | redundant" };
    public Option<bool> Plain { get; } = new("--plain") { Description = "plain TCP, no MPTCP options at all" };
    public Option<FileInfo?> Config { get; } = new("--config") { Description = "HOCON file with mptcp { ... } settings (flags win)" };
    public Option<bool> KeepOpen { get; } = new("--keep-open") { Description = "accept many connections, concurrently, and never exit" };
    public Option<bool> Echo { get; } = new("--echo") { Description = "send back everything received instead of using stdin/stdout" };
    public Option<FileInfo?> Stats { get; } = new("--stats") { Description = "write connection and subflow statistics as JSON at the end" };
    public Option<FileInfo?> Pcap { get; } = new("--pcap") { Description = "write every frame the engine sent or received (pcap)" };
    public Option<bool> Monitor { get; } = new("--monitor") { Description = "write path-management events to stderr, like `ip mptcp monitor`" };
    public Option<FileInfo?> Control { get; } = new("--control")
    {
        Description = "Unix socket taking `ip mptcp`-style lines (endpoint add|delete|change|flush|show, limits set, link IF up|down) at run time",
    };

    public void AddTo(Command c)
    {
        foreach (var o in new Option[] { Iface, Sim, Endpoint, Limits, Checksum, Scheduler, Plain, Config, KeepOpen, Echo, Stats, Pcap, Monitor, Control }) c.Options.Add(o);
    }
}
