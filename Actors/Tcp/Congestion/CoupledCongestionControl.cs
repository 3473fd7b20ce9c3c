namespace MptcpActors.Actors.Tcp.Congestion;

/// <summary>
/// The common part of the coupled algorithms (RFC 6356 LIA, OLIA): Reno's slow start and decrease, a coupled
/// congestion-avoidance increase computed from the connection's <see cref="ICongestionCoupling"/>, and the subflow's
/// own view (cwnd, SRTT per RFC 6298 from the ACKs' RTT samples, bytes since the last loss) so that the algorithm
/// object itself can be what the coupling lists.
/// </summary>
/// <remarks>
/// The coupling's list is expected to include this subflow (this object, or another view of the same subflow).
/// Subflows without an RTT estimate (SRTT ≤ 0) are left out of the sums, like Linux leaves out subflows that cannot
/// send; with fewer than two subflows left, or without a coupling, the increase is exactly NewReno's.
/// </remarks>
public abstract class CoupledCongestionControl : LossBasedCongestionControl, ISubflowLossHistory
{
    private readonly ICongestionCoupling? _coupling;
    private long _srttNs = -1;
    private long _bytesSinceLoss;
    private long _bytesBetweenLosses;

    private protected CoupledCongestionControl(ICongestionCoupling? coupling) => _coupling = coupling;

    public ICongestionCoupling? Coupling => _coupling;

    /// <summary>SRTT from the RTT samples of the ACKs (RFC 6298's α = 1/8), or -1 before the first sample.</summary>
    public long SmoothedRttNs => _srttNs;

    public long BytesSinceLastLoss => _bytesSinceLoss;

    public long BytesBetweenLastTwoLosses => _bytesBetweenLosses;

    private protected IReadOnlyList<ISubflowCongestionView>? CoupledSubflows => _coupling?.Subflows;

    private protected override void Observe(in AckSample sample)
    {
        if (sample.RttNs >= 0) _srttNs = _srttNs < 0 ? sample.RttNs : _srttNs + (sample.RttNs - _srttNs) / 8;
        if (sample.AckedBytes > 0) _bytesSinceLoss += sample.AckedBytes;
    }

    private protected override void OnCongestionEvent(long nowNs, long bytesInFlight, bool timeout)
    {
        // mptcp_olia_set_state: the loss distance shifts only when data was acknowledged since the previous loss.
        if (_bytesSinceLoss == 0) return;
        _bytesBetweenLosses = _bytesSinceLoss;
        _bytesSinceLoss = 0;
    }

    private protected override void OnReset(long nowNs)
    {
        _bytesSinceLoss = 0;
        _bytesBetweenLosses = 0;
    }

    private protected override long ReducedWindow(long bytesInFlight) => bytesInFlight / 2;

    private protected static bool Eligible(ISubflowCongestionView view) => view.SmoothedRttNs > 0 && view.CongestionWindow > 0;
}
