using MptcpActors.Actors.Tcp.Congestion;

namespace MptcpActors.Actors.Mptcp;

/// <summary>
/// Another subflow of the same connection as a coupled congestion control (LIA, OLIA) sees it: the figures that
/// subflow last reported, relayed by the connection. Each subflow keeps its own copies, so coupling shares no state
/// between actors; the sums are at most one report old.
/// </summary>
public sealed class PeerCongestionView(int id) : ISubflowLossHistory
{
    public int Id { get; } = id;
    public long CongestionWindow { get; set; }
    public long SmoothedRttNs { get; set; }
    public int Mss { get; set; } = LossBasedCongestionControl.DefaultMss;
    public long BytesSinceLastLoss { get; set; }
    public long BytesBetweenLastTwoLosses { get; set; }
}
