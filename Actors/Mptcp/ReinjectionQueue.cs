namespace MptcpActors.Actors.Mptcp;

/// <summary>
/// Data-level ranges waiting to be sent again, kept disjoint and in DSN order. The lowest goes first: it is the hole at
/// DATA_ACK the peer waits for, and data queued behind megabytes of duplicates is data the receiver may never get to
/// (Linux resends its rtx queue from the oldest fragment on). A range added while it, or part of it, already waits is
/// queued once. Sending takes the front range piece by piece; what one subflow's failure adds is mostly contiguous and
/// merges into a few ranges, so the array stays small, and once grown to the backlog it allocates nothing.
/// </summary>
internal sealed class ReinjectionQueue
{
    private (ulong Dsn, int Length)[] _ranges = new (ulong, int)[8];
    /// <summary>The ranges are _ranges[_head .. _head + Count): taking the front one is O(1).</summary>
    private int _head;

    public int Count { get; private set; }

    /// <summary>Bytes waiting.</summary>
    public long Bytes { get; private set; }

    public bool TryPeek(out (ulong Dsn, int Length) range)
    {
        range = Count == 0 ? default : _ranges[_head];
        return Count > 0;
    }

    /// <summary>The first <paramref name="length"/> bytes of the front range were sent.</summary>
    public void Take(int length)
    {
        if (Count == 0 || length <= 0 || length > _ranges[_head].Length)
            throw new ArgumentOutOfRangeException(nameof(length), length, "not a prefix of the front range");
        ref var front = ref _ranges[_head];
        front = (front.Dsn + (ulong)length, front.Length - length);
        Bytes -= length;
        if (front.Length == 0) RemoveRange(0, 1);
    }

    /// <summary>Forgets everything before <paramref name="dataUna"/>: the peer acknowledged it.</summary>
    public void DropBefore(ulong dataUna)
    {
        if (Count > 0) Remove(_ranges[_head].Dsn, (long)(dataUna - _ranges[_head].Dsn));
    }

    /// <summary>Queues [dsn, dsn + length), merged with what overlaps or touches it.</summary>
    public void Add(ulong dsn, int length)
    {
        if (length <= 0) return;
        var end = dsn + (ulong)length;
        // The first range that ends at or after dsn is where it goes; every range starting at or before end merges in.
        var i = 0;
        while (i < Count && Before(At(i).End, dsn)) i++;
        var j = i;
        while (j < Count && !Before(end, _ranges[_head + j].Dsn))
        {
            var r = At(j);
            if (Before(r.Dsn, dsn)) dsn = r.Dsn;
            if (Before(end, r.End)) end = r.End;
            Bytes -= r.Length;
            j++;
        }
        (ulong Dsn, int Length) merged = (dsn, (int)(end - dsn));
        Bytes += merged.Length;
        if (j == i) InsertAt(i, merged);
        else
        {
            _ranges[_head + i] = merged;
            RemoveRange(i + 1, j - i - 1);
        }
    }

    /// <summary>Takes [dsn, dsn + length) out of what waits, splitting a range it falls inside of.</summary>
    public void Remove(ulong dsn, long length)
    {
        if (length <= 0) return;
        var end = dsn + (ulong)length;
        for (var i = 0; i < Count; i++)
        {
            var r = At(i);
            if (!Before(dsn, r.End)) continue;
            if (!Before(r.Dsn, end)) return;
            var keepBefore = Before(r.Dsn, dsn) ? (long)(dsn - r.Dsn) : 0;
            var keepAfter = Before(end, r.End) ? (long)(r.End - end) : 0;
            Bytes -= r.Length - keepBefore - keepAfter;
            if (keepBefore > 0 && keepAfter > 0)
            {
                _ranges[_head + i] = (r.Dsn, (int)keepBefore);
                InsertAt(i + 1, (end, (int)keepAfter));
                return;
            }
            if (keepBefore > 0) _ranges[_head + i] = (r.Dsn, (int)keepBefore);
            else if (keepAfter > 0) _ranges[_head + i] = (end, (int)keepAfter);
            else RemoveRange(i--, 1);
        }
    }

    public void Clear()
    {
        _head = 0;
        Count = 0;
        Bytes = 0;
    }

    private (ulong Dsn, int Length, ulong End) At(int i)
    {
        var r = _ranges[_head + i];
        return (r.Dsn, r.Length, r.Dsn + (ulong)r.Length);
    }

    /// <summary>DSNs compare in a window, not as plain numbers: the space wraps (RFC 8684 3.3.1).</summary>
    private static bool Before(ulong a, ulong b) => (long)(a - b) < 0;

    private void InsertAt(int i, (ulong Dsn, int Length) range)
    {
        if (_head + Count == _ranges.Length)
        {
            // No room behind the last range: move them all to the start, into a bigger array when full.
            var target = Count == _ranges.Length ? new (ulong, int)[_ranges.Length * 2] : _ranges;
            Array.Copy(_ranges, _head, target, 0, Count);
            _ranges = target;
            _head = 0;
        }
        Array.Copy(_ranges, _head + i, _ranges, _head + i + 1, Count - i);
        _ranges[_head + i] = range;
        Count++;
    }

    private void RemoveRange(int i, int count)
    {
        if (count == 0) return;
        if (i == 0) _head += count;
        else Array.Copy(_ranges, _head + i + count, _ranges, _head + i, Count - i - count);
        Count -= count;
        if (Count == 0) _head = 0;
    }
}
