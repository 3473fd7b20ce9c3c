namespace MptcpActors.Actors.Tcp.Congestion;

/// <summary>
/// NewReno: RFC 5681 slow start and congestion avoidance with appropriate byte counting (RFC 3465, L = 2·SMSS),
/// RFC 6582's reaction to loss (ssthresh = max(FlightSize/2, 2·SMSS), cwnd = ssthresh; the +3·SMSS inflation is the
/// core's RFC 6675 pipe), the loss window of one SMSS after a timeout, and no growth on application-limited ACKs
/// (RFC 7661).
/// </summary>
public sealed class NewReno : LossBasedCongestionControl
{
    public override string Name => "newreno";

    // One SMSS per cwnd bytes acknowledged: cwnd += SMSS·SMSS/cwnd per full-sized ACK, counted in bytes.
    private protected override void CongestionAvoidance(in AckSample sample, long ackedBytes) =>
        AdditiveIncrease(ackedBytes, CongestionWindow);

    private protected override long ReducedWindow(long bytesInFlight) => bytesInFlight / 2;
}
