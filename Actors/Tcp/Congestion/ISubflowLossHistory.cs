namespace MptcpActors.Actors.Tcp.Congestion;

/// <summary>
/// A subflow view that also remembers the distance between its last two losses, so OLIA can use the paper's
/// ℓ_r = max(ℓ_1r, ℓ_2r) (bytes between the last two losses, bytes since the last loss) as Linux's mptcp_olia does.
/// Views without it are judged on <see cref="ISubflowCongestionView.BytesSinceLastLoss"/> alone.
/// </summary>
public interface ISubflowLossHistory : ISubflowCongestionView
{
    /// <summary>Bytes acknowledged between the last two losses on this subflow (0 before the first loss).</summary>
    long BytesBetweenLastTwoLosses { get; }
}
