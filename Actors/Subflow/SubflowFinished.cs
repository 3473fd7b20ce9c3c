using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Tcp;

namespace MptcpActors.Actors.Subflow;

/// <summary>
/// Sent to the handler after a connection's ConnectionClosed event: what the subflow carried, for reports such as
/// <c>--stats</c> (Akka.IO has no such event; handlers that do not care ignore it).
/// </summary>
public sealed record SubflowFinished(TcpFlowKey Key, long BytesSent, long BytesReceived, long BytesRetransmitted, double SmoothedRttMs,
    TcpCloseReason Reason)
{
    /// <summary>True when the connection ran as plain TCP (no MPTCP asked, or the peer fell back).</summary>
    public bool Fallback { get; init; } = true;
    public uint? LocalToken { get; init; }
    public uint? RemoteToken { get; init; }
    public bool Checksums { get; init; }
    /// <summary>Either side asked for this subflow to be a backup (MP_JOIN's B bit or MP_PRIO).</summary>
    public bool Backup { get; init; }
    /// <summary>RFC 8684 3.7 on this subflow, counted as Linux's MIB does: mappings whose DSS checksum failed
    /// (MPTcpExtDataCsumErr), MP_FAIL sent and received (MPFailTx/Rx), infinite mappings sent and received (InfiniteMapTx/Rx).</summary>
    public ChecksumFailureCounts ChecksumFailures { get; init; }
}

/// <summary>What happened on a subflow about DSS checksum failures (RFC 8684 3.7).</summary>
public readonly record struct ChecksumFailureCounts(long ChecksumErrors, long FailsSent, long FailsReceived, long InfiniteMappingsSent,
    long InfiniteMappingsReceived);
