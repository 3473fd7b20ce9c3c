namespace MptcpActors.Actors.Mptcp.Scheduling;

/// <summary>Every chunk on every eligible subflow with room: the first copy to arrive is delivered, the rest are duplicates.</summary>
public sealed class RedundantScheduler : IPacketScheduler
{
    public int Select(ReadOnlySpan<SubflowView> subflows, long chunkLength, Span<int> chosen)
    {
        var backupsCarry = SubflowView.BackupsCarry(subflows);
        var n = 0;
        for (var i = 0; i < subflows.Length; i++)
        {
            var s = subflows[i];
            if (s.Eligible(backupsCarry) && s.SendSpace > 0) chosen[n++] = i;
        }
        return n;
    }
}
