using MptcpActors.Actors.Configuration;

namespace MptcpActors.Hosting;

/// <summary>
/// The <c>mptcp</c> section of akka.hocon as typed options (bindable from <c>IConfiguration</c>): each property is
/// the HOCON key of the same name; one left null keeps the engine's default. <see cref="MptcpHocon.From"/> writes
/// them as HOCON; the node validates them when it starts, naming the key of a bad value.
/// </summary>
public sealed class MptcpOptions
{
    /// <summary><c>mptcp.enabled</c>: false makes every connection plain TCP.</summary>
    public bool? Enabled { get; set; }

    /// <summary><c>mptcp.checksum</c>: request DSS checksums.</summary>
    public bool? Checksum { get; set; }

    /// <summary><c>mptcp.allow-join-initial-addr-port</c>.</summary>
    public bool? AllowJoinInitialAddrPort { get; set; }

    /// <summary><c>mptcp.add-addr-timeout</c>.</summary>
    public TimeSpan? AddAddrTimeout { get; set; }

    /// <summary><c>mptcp.stale-loss-count</c>.</summary>
    public int? StaleLossCount { get; set; }

    /// <summary><c>mptcp.scheduler</c>.</summary>
    public Scheduler? Scheduler { get; set; }

    /// <summary><c>mptcp.congestion-control</c>.</summary>
    public CongestionControl? CongestionControl { get; set; }

    /// <summary><c>mptcp.reassembly-memory</c>, in bytes.</summary>
    public long? ReassemblyMemory { get; set; }

    /// <summary><c>mptcp.path-manager</c>.</summary>
    public MptcpPathManagerOptions PathManager { get; set; } = new();

    /// <summary><c>mptcp.tcp</c>.</summary>
    public MptcpTcpOptions Tcp { get; set; } = new();

    /// <summary><c>mptcp.interfaces</c>; null keeps the configured list, an empty list means none.</summary>
    public List<MptcpInterfaceOptions>? Interfaces { get; set; }

    /// <summary>Run the node as one node of a service on Akka.Cluster (CLI.md "Cluster"); null: a lone node.</summary>
    public MptcpClusterOptions? Cluster { get; set; }
}

/// <summary>
/// The node's cluster membership, as the CLI's --cluster-host/--cluster-port/--cluster-seed: remoting listens on
/// <see cref="Host"/> only (the cluster network's address, never 0.0.0.0); the actor system must be named
/// <c>mptcp</c>, as every node of the service.
/// </summary>
public sealed class MptcpClusterOptions
{
    public string Host { get; set; } = "";
    public int Port { get; set; } = MptcpActors.Cluster.ClusterOptions.DefaultPort;
    /// <summary>HOST:PORT of the seed nodes; empty: the node forms a cluster by itself.</summary>
    public List<string> Seeds { get; set; } = [];
    /// <summary>
    /// TLS on the cluster link (mutual), as the CLI's --cluster-tls-cert: this node's certificate and key (a PKCS#12
    /// file); peers must present the same certificate or one issued by <see cref="TlsAuthority"/>. Null: plain TCP.
    /// </summary>
    public string? TlsCertificate { get; set; }
    /// <summary>The password of <see cref="TlsCertificate"/> (bind it from a secret store, not from a file in the repository).</summary>
    public string? TlsPassword { get; set; }
    /// <summary>A certificate authority (PEM or DER file) whose certificates are accepted as well, as --cluster-tls-ca.</summary>
    public string? TlsAuthority { get; set; }
}

/// <summary><c>mptcp.path-manager</c>.</summary>
public sealed class MptcpPathManagerOptions
{
    /// <summary><c>type</c>: in-engine or userspace.</summary>
    public PathManagerType? Type { get; set; }

    /// <summary><c>limits.subflows</c>: additional subflows per connection (0..8).</summary>
    public int? Subflows { get; set; }

    /// <summary><c>limits.add-addr-accepted</c> (0..8).</summary>
    public int? AddAddrAccepted { get; set; }

    /// <summary><c>endpoints</c>, like <c>ip mptcp endpoint add</c>; null keeps the configured list.</summary>
    public List<MptcpEndpointOptions>? Endpoints { get; set; }
}

/// <summary>One entry of <c>mptcp.path-manager.endpoints</c>.</summary>
public sealed class MptcpEndpointOptions
{
    /// <summary><c>address</c>: one IPv4 or IPv6 address, without a prefix.</summary>
    public string Address { get; set; } = "";
    public int? Port { get; set; }
    public int? Id { get; set; }
    public string? Interface { get; set; }
    public EndpointFlags Flags { get; set; }
}

/// <summary><c>mptcp.tcp</c>.</summary>
public sealed class MptcpTcpOptions
{
    public int? Mss { get; set; }
    public TimeSpan? InitialRto { get; set; }
    public TimeSpan? MinRto { get; set; }
    public TimeSpan? MaxRto { get; set; }
    /// <summary><c>send-buffer</c>, in bytes.</summary>
    public long? SendBuffer { get; set; }
    /// <summary><c>receive-buffer</c>, in bytes.</summary>
    public long? ReceiveBuffer { get; set; }
    public TimeSpan? DelayedAck { get; set; }
    public bool? Nagle { get; set; }
    public bool? Sack { get; set; }
    public bool? Timestamps { get; set; }
    public bool? WindowScaling { get; set; }
    public int? SynRetries { get; set; }
    public MptcpKeepaliveOptions Keepalive { get; set; } = new();
}

/// <summary><c>mptcp.tcp.keepalive</c>.</summary>
public sealed class MptcpKeepaliveOptions
{
    public bool? Enabled { get; set; }
    public TimeSpan? Time { get; set; }
    public TimeSpan? Interval { get; set; }
    public int? Probes { get; set; }
}

/// <summary>One entry of <c>mptcp.interfaces</c>.</summary>
public sealed class MptcpInterfaceOptions
{
    /// <summary><c>name</c>: the Linux interface (raw), or the path's name (sim).</summary>
    public string Name { get; set; } = "";
    /// <summary><c>address</c>: the engine's address with its prefix, e.g. <c>10.0.1.2/24</c>.</summary>
    public string Address { get; set; } = "";
    public string? Gateway { get; set; }
    public InterfaceTransport? Transport { get; set; }
}
