using System.Collections.Immutable;
using System.Diagnostics.Metrics;

namespace MptcpActors.Actors.Metrics;

/// <summary>
/// The engine's counters through System.Diagnostics.Metrics (OpenTelemetry: <c>AddMeter("MptcpActors")</c>), named
/// after the Linux kernel's <c>MPTcpExt*</c> counters (net/mptcp/mib.c) so <c>nstat MPTcpExt*</c> on a kernel peer reads
/// side by side with them, plus per-connection gauges. One instance per engine node (each its own Meter of the same
/// name), so a listener can tell nodes apart by <see cref="Meter"/>; adding to a counter allocates nothing.
/// </summary>
public sealed class MptcpMetrics : IDisposable
{
    public const string MeterName = "MptcpActors";

    private static readonly Lazy<MptcpMetrics> SharedInstance = new(() => new MptcpMetrics());

    /// <summary>The process-wide instance, for nodes built without one of their own.</summary>
    public static MptcpMetrics Shared => SharedInstance.Value;

    private ImmutableDictionary<uint, ConnectionGauges> _connections = ImmutableDictionary<uint, ConnectionGauges>.Empty;

    public MptcpMetrics()
    {
        Meter = new Meter(MeterName);
        MpCapableSynRx = Kernel("MPCapableSYNRX", "SYNs with MP_CAPABLE received");
        MpCapableSynTx = Kernel("MPCapableSYNTX", "SYNs with MP_CAPABLE sent");
        MpCapableSynAckRx = Kernel("MPCapableSYNACKRX", "SYN/ACKs with MP_CAPABLE received");
        MpCapableAckRx = Kernel("MPCapableACKRX", "third ACKs with MP_CAPABLE received");
        MpCapableFallbackAck = Kernel("MPCapableFallbackACK", "passive connections fallen back to TCP (third ACK without MP_CAPABLE)");
        MpCapableFallbackSynAck = Kernel("MPCapableFallbackSYNACK", "active connections fallen back to TCP (SYN/ACK without MP_CAPABLE)");
        MpJoinNoTokenFound = Kernel("MPJoinNoTokenFound", "MP_JOIN SYNs with an unknown token");
        MpJoinSynRx = Kernel("MPJoinSynRx", "MP_JOIN SYNs received");
        MpJoinSynTx = Kernel("MPJoinSynTx", "MP_JOIN SYNs sent");
        MpJoinSynAckRx = Kernel("MPJoinSynAckRx", "MP_JOIN SYN/ACKs received with a valid HMAC");
        MpJoinAckRx = Kernel("MPJoinAckRx", "MP_JOIN third ACKs received with a valid HMAC");
        DataCsumErr = Kernel("DataCsumErr", "DSS checksums that did not verify");
        InfiniteMapTx = Kernel("InfiniteMapTx", "infinite mappings sent (fallback after MP_FAIL)");
        InfiniteMapRx = Kernel("InfiniteMapRx", "infinite mappings received (fallback after MP_FAIL)");
        AddAddr = Kernel("AddAddr", "ADD_ADDRs received (not echoes)");
        AddAddrTx = Kernel("AddAddrTx", "ADD_ADDRs sent (not echoes)");
        EchoAdd = Kernel("EchoAdd", "ADD_ADDR echoes received");
        EchoAddTx = Kernel("EchoAddTx", "ADD_ADDR echoes sent");
        RmAddr = Kernel("RmAddr", "REMOVE_ADDRs received");
        RmAddrTx = Kernel("RmAddrTx", "REMOVE_ADDRs sent");
        PortAdd = Kernel("PortAdd", "ADD_ADDRs received with a port");
        AddAddrDrop = Kernel("AddAddrDrop", "ADD_ADDRs received and not followed: beyond add-addr-accepted, or no controller to hand them to");
        RmAddrDrop = Kernel("RmAddrDrop", "address ids in REMOVE_ADDRs that name no address or subflow of the peer");
        MpJoinPortSynRx = Kernel("MPJoinPortSynRx", "MP_JOIN SYNs received on a port we announced");
        MismatchPortSynRx = Kernel("MismatchPortSynRx", "MP_JOIN SYNs refused: their port is neither the initial one nor announced");
        MpJoinRejected = Kernel("MPJoinRejected", "MP_JOIN SYNs refused by the path manager (limits, no controller, closing, fallen back)");
        AddAddrBadHmac = Meter.CreateCounter<long>("mptcp.add_addr.bad_hmac", "{event}",
            "ADD_ADDRs ignored for a wrong HMAC (Linux ignores them too but counts nothing)");
        MpPrioTx = Kernel("MPPrioTx", "MP_PRIOs sent");
        MpPrioRx = Kernel("MPPrioRx", "MP_PRIOs received");
        MpFailTx = Kernel("MPFailTx", "MP_FAILs sent");
        MpFailRx = Kernel("MPFailRx", "MP_FAILs received");
        MpFastcloseTx = Kernel("MPFastcloseTx", "MP_FASTCLOSEs sent");
        MpFastcloseRx = Kernel("MPFastcloseRx", "MP_FASTCLOSEs received");
        SubflowStale = Kernel("SubflowStale", "subflows judged stale: data-level retransmission intervals without an ACK past stale-loss-count");
        SubflowRecover = Kernel("SubflowRecover", "stale subflows that heard from their peer again");
        CurrentlyEstablished = Meter.CreateUpDownCounter<long>("MPTcpExtMPCurrEstab", "{connection}", "MPTCP connections established now");
        ReinjectedBytes = Meter.CreateCounter<long>("mptcp.reinjected", "By", "data-level bytes sent again on another subflow (no kernel counter counts bytes)");
        Meter.CreateObservableGauge("mptcp.connection.subflows", () => Gauge(g => g.Subflows), "{subflow}", "live subflows of each connection");
        Meter.CreateObservableGauge("mptcp.connection.sent", () => Gauge(g => g.BytesSent), "By", "data-level bytes acknowledged by the peer");
        Meter.CreateObservableGauge("mptcp.connection.received", () => Gauge(g => g.BytesReceived), "By", "data-level bytes delivered to the application");
        Meter.CreateObservableGauge("mptcp.connection.reinjected", () => Gauge(g => g.BytesReinjected), "By", "data-level bytes sent again");
    }

    public Meter Meter { get; }

    public Counter<long> MpCapableSynRx { get; }
    public Counter<long> MpCapableSynTx { get; }
    public Counter<long> MpCapableSynAckRx { get; }
    public Counter<long> MpCapableAckRx { get; }
    public Counter<long> MpCapableFallbackAck { get; }
    public Counter<long> MpCapableFallbackSynAck { get; }
    public Counter<long> MpJoinNoTokenFound { get; }
    public Counter<long> MpJoinSynRx { get; }
    public Counter<long> MpJoinSynTx { get; }
    public Counter<long> MpJoinSynAckRx { get; }
    public Counter<long> MpJoinAckRx { get; }
    public Counter<long> DataCsumErr { get; }
    public Counter<long> InfiniteMapTx { get; }
    public Counter<long> InfiniteMapRx { get; }
    public Counter<long> AddAddr { get; }
    public Counter<long> AddAddrTx { get; }
    public Counter<long> EchoAdd { get; }
    public Counter<long> EchoAddTx { get; }
    public Counter<long> RmAddr { get; }
    public Counter<long> RmAddrTx { get; }
    public Counter<long> PortAdd { get; }
    public Counter<long> AddAddrDrop { get; }
    public Counter<long> RmAddrDrop { get; }
    public Counter<long> MpJoinPortSynRx { get; }
    public Counter<long> MismatchPortSynRx { get; }
    public Counter<long> MpJoinRejected { get; }
    public Counter<long> AddAddrBadHmac { get; }
    public Counter<long> MpPrioTx { get; }
    public Counter<long> MpPrioRx { get; }
    public Counter<long> MpFailTx { get; }
    public Counter<long> MpFailRx { get; }
    public Counter<long> MpFastcloseTx { get; }
    public Counter<long> MpFastcloseRx { get; }
    public Counter<long> SubflowStale { get; }
    public Counter<long> SubflowRecover { get; }
    public UpDownCounter<long> CurrentlyEstablished { get; }
    public Counter<long> ReinjectedBytes { get; }

    /// <summary>
    /// Starts publishing a connection's gauges under its token. The registry is an immutable map swapped atomically:
    /// the connection actor owns its gauges and writes them, the collector only reads a snapshot.
    /// </summary>
    public ConnectionGauges Register(uint token)
    {
        var gauges = new ConnectionGauges(token);
        ImmutableInterlocked.Update(ref _connections, (map, g) => map.SetItem(g.Token, g), gauges);
        return gauges;
    }

    public void Unregister(ConnectionGauges gauges) =>
        ImmutableInterlocked.Update(ref _connections, (map, g) => map.TryGetValue(g.Token, out var current) && current == g ? map.Remove(g.Token) : map, gauges);

    public void Dispose() => Meter.Dispose();

    private Counter<long> Kernel(string name, string description) => Meter.CreateCounter<long>("MPTcpExt" + name, "{event}", description);

    private IEnumerable<Measurement<long>> Gauge(Func<ConnectionGauges, long> value)
    {
        foreach (var g in _connections.Values)
            yield return new Measurement<long>(value(g), new KeyValuePair<string, object?>("mptcp.token", g.TokenText));
    }
}

/// <summary>One connection's figures for the gauges: written by its actor only, read by the metrics collector.</summary>
public sealed class ConnectionGauges(uint token)
{
    private long _subflows;
    private long _sent;
    private long _received;
    private long _reinjected;

    public uint Token { get; } = token;
    public string TokenText { get; } = token.ToString("x8");
    public long Subflows => Volatile.Read(ref _subflows);
    public long BytesSent => Volatile.Read(ref _sent);
    public long BytesReceived => Volatile.Read(ref _received);
    public long BytesReinjected => Volatile.Read(ref _reinjected);

    public void Update(int subflows, long sent, long received, long reinjected)
    {
        Volatile.Write(ref _subflows, subflows);
        Volatile.Write(ref _sent, sent);
        Volatile.Write(ref _received, received);
        Volatile.Write(ref _reinjected, reinjected);
    }
}
