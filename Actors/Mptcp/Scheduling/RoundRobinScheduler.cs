namespace MptcpActors.Actors.Mptcp.Scheduling;

/// <summary>
/// Takes the eligible subflows with room in turn. The turn follows subflow ids, not positions in the span, so it
/// survives subflows joining or closing between calls.
/// </summary>
public sealed class RoundRobinScheduler : IPacketScheduler
{
    private int? _lastId;

    public int Select(ReadOnlySpan<SubflowView> subflows, long chunkLength, Span<int> chosen)
    {
        var backupsCarry = SubflowView.BackupsCarry(subflows);
        // The lowest id after the last one chosen, else (wrapping around) the lowest id of all.
        int next = -1, lowest = -1;
        for (var i = 0; i < subflows.Length; i++)
        {
            var s = subflows[i];
            if (!s.Eligible(backupsCarry) || s.SendSpace <= 0) continue;
            if (lowest < 0 || s.Id < subflows[lowest].Id) lowest = i;
            if (s.Id > _lastId && (next < 0 || s.Id < subflows[next].Id)) next = i;
        }
        var pick = next >= 0 ? next : lowest;
        if (pick < 0) return 0;
        _lastId = subflows[pick].Id;
        chosen[0] = pick;
        return 1;
    }
}
