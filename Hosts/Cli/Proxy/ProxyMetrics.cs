using System.Diagnostics.Metrics;

namespace MptcpActors.Cli.Proxy;

/// <summary>
/// The proxy's own counters (System.Diagnostics.Metrics, so OpenTelemetry can export them and `mptcp info` lists them
/// beside the engine's): connections accepted, relays that failed, bytes each way.
/// </summary>
public static class ProxyMetrics
{
    public const string MeterName = "MptcpActors.Proxy";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Accepted = Meter.CreateCounter<long>("proxy.connections", description: "connections accepted and relayed");
    public static readonly Counter<long> Failed = Meter.CreateCounter<long>("proxy.failed", description: "relays that ended in an error on either side");
    public static readonly Counter<long> BytesToServer = Meter.CreateCounter<long>("proxy.bytes_to_server", "By");
    public static readonly Counter<long> BytesToClient = Meter.CreateCounter<long>("proxy.bytes_to_client", "By");
}
