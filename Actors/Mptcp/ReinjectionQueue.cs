namespace MptcpActors.Actors.Mptcp;

/// <summary>
/// Data-level ranges waiting to be sent again, oldest first, in a ring. While reinjecting, the front range is taken, cut
/// to what a subflow has room for and its rest put back once per chunk: putting back at the front is O(1) and, once the
/// ring has grown to the backlog, allocates nothing (a queue rebuilt around the new front copied the whole backlog).
/// </summary>
internal sealed class ReinjectionQueue
{
    private (ulong Dsn, int Length)[] _ranges = new (ulong, int)[8];
    private int _head;

    public int Count { get; private set; }

    public bool TryPeek(out (ulong Dsn, int Length) range)
    {
        range = Count == 0 ? default : _ranges[_head];
        return Count > 0;
    }

    public (ulong Dsn, int Length) Dequeue()
    {
        if (Count == 0) throw new InvalidOperationException("no range to reinject");
        var range = _ranges[_head];
        _head = (_head + 1) % _ranges.Length;
        Count--;
        return range;
    }

    public void Enqueue((ulong Dsn, int Length) range)
    {
        MakeRoom();
        _ranges[(_head + Count) % _ranges.Length] = range;
        Count++;
    }

    /// <summary>Puts a range before all others: the next one taken.</summary>
    public void PushFront((ulong Dsn, int Length) range)
    {
        MakeRoom();
        _head = (_head + _ranges.Length - 1) % _ranges.Length;
        _ranges[_head] = range;
        Count++;
    }

    public void Clear()
    {
        _head = 0;
        Count = 0;
    }

    private void MakeRoom()
    {
        if (Count < _ranges.Length) return;
        var bigger = new (ulong, int)[_ranges.Length * 2];
        for (var i = 0; i < Count; i++) bigger[i] = _ranges[(_head + i) % _ranges.Length];
        _ranges = bigger;
        _head = 0;
    }
}
