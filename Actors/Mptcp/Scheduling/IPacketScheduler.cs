namespace MptcpActors.Actors.Mptcp.Scheduling;

/// <summary>Decides which subflow(s) carry the connection's next chunk of data (Linux net/mptcp/sched.c).</summary>
public interface IPacketScheduler
{
    /// <summary>
    /// Chooses the subflow(s) for the next chunk of at most <paramref name="chunkLength"/> bytes, writes their indexes
    /// into <paramref name="subflows"/> to <paramref name="chosen"/> and returns how many; 0 means none should send now
    /// (wait for an ack). Only the redundant scheduler returns more than one, so <paramref name="chosen"/> must hold as
    /// many entries as <paramref name="subflows"/> for it and one for the others.
    /// </summary>
    int Select(ReadOnlySpan<SubflowView> subflows, long chunkLength, Span<int> chosen);
}
