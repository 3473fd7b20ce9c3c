namespace MptcpActors.Actors.Tcp.Congestion;

/// <summary>
/// The plain <see cref="ICongestionCoupling"/>: a list of subflow views the owner of the MPTCP connection keeps up to
/// date. The coupled algorithms (<see cref="Lia"/>, <see cref="Olia"/>) are views themselves, so the simplest wiring
/// is to add each subflow's algorithm object here. Reading <see cref="Subflows"/> allocates nothing.
/// </summary>
public sealed class CongestionCoupling : ICongestionCoupling
{
    private readonly List<ISubflowCongestionView> _subflows = [];

    public IReadOnlyList<ISubflowCongestionView> Subflows => _subflows;

    public void Add(ISubflowCongestionView subflow)
    {
        ArgumentNullException.ThrowIfNull(subflow);
        if (!_subflows.Contains(subflow)) _subflows.Add(subflow);
    }

    public bool Remove(ISubflowCongestionView subflow) => _subflows.Remove(subflow);
}
