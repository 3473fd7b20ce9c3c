namespace MptcpActors.Actors.Mptcp;

/// <summary>
/// One DSS mapping: <see cref="Length"/> bytes from relative subflow sequence <see cref="SubflowSeq"/> carry data-level
/// bytes from <see cref="Dsn"/>. A received one keeps its DSS checksum and the data-level length it was sent with
/// (one more than <see cref="Length"/> when it also carried DATA_FIN), which the checksum covers.
/// </summary>
public readonly record struct DataMapping(uint SubflowSeq, ulong Dsn, int Length, ushort? Checksum = null, int WireLength = -1)
{
    public int ChecksummedLength => WireLength < 0 ? Length : WireLength;

    public uint SubflowEnd => SubflowSeq + (uint)Length;
    public bool Covers(uint subflowSeq) => (int)(subflowSeq - SubflowSeq) >= 0 && (int)(subflowSeq - SubflowEnd) < 0;
}

/// <summary>
/// The mappings of one direction of a subflow, ordered by subflow sequence (RFC 8684 3.3.1). Sent mappings are those of
/// data handed to the subflow's send buffer (it cuts segments at their ends); received ones come from the peer's DSS
/// options, possibly repeated on every segment of one mapping and out of order after losses. Both are bounded by the
/// subflow's windows: fully used mappings are dropped as the subflow moves on.
/// </summary>
public sealed class DataMappings
{
    private readonly List<DataMapping> _list = [];

    // Whether two kept mappings share a byte (repeats after losses) or were appended out of order: only then may a
    // lookup not bisect (an earlier mapping may cover a number a later one covers too).
    private bool _mustScan;

    public int Count => _list.Count;

    /// <summary>
    /// Appends data queued after all earlier data; merges with the last mapping when both sequences continue it (each
    /// segment then gets its own DSS mapping from the merged range, so ranges may grow past DSS's 16-bit length).
    /// </summary>
    public void Append(uint subflowSeq, ulong dsn, int length)
    {
        if (_list.Count > 0)
        {
            var last = _list[^1];
            if (last.SubflowEnd == subflowSeq && last.Dsn + (ulong)last.Length == dsn && last.Length <= int.MaxValue - length)
            {
                _list[^1] = last with { Length = last.Length + length };
                return;
            }
            _mustScan |= (int)(subflowSeq - last.SubflowEnd) < 0;
        }
        _list.Add(new DataMapping(subflowSeq, dsn, length));
    }

    /// <summary>
    /// Records a received mapping. A repeat (or any mapping that agrees with the known ones on every byte they share)
    /// is fine; one that maps a byte already mapped to a different DSN contradicts the peer's earlier word and is
    /// refused (false): data must never be re-mapped (Linux counts DSSNOMATCH and resets the subflow).
    /// </summary>
    public bool Insert(DataMapping m)
    {
        foreach (var known in _list)
            if (Overlap(known, m) && known.Dsn - known.SubflowSeq != m.Dsn - m.SubflowSeq) return false;
        var i = _list.Count;
        while (i > 0 && (int)(_list[i - 1].SubflowSeq - m.SubflowSeq) > 0) i--;
        if (i > 0 && _list[i - 1].SubflowSeq == m.SubflowSeq && _list[i - 1].Length >= m.Length) return true;
        _mustScan |= (i > 0 && Overlap(_list[i - 1], m)) || (i < _list.Count && Overlap(_list[i], m));
        _list.Insert(i, m);
        return true;
    }

    private static bool Overlap(in DataMapping a, in DataMapping b) =>
        (int)(a.SubflowSeq - b.SubflowEnd) < 0 && (int)(b.SubflowSeq - a.SubflowEnd) < 0;

    /// <summary>The mapping covering <paramref name="subflowSeq"/>, if any (the first one received, when several overlap).</summary>
    public bool TryFind(uint subflowSeq, out DataMapping mapping)
    {
        if (!_mustScan) return TryBisect(subflowSeq, out mapping);
        foreach (var m in _list)
        {
            if (m.Covers(subflowSeq))
            {
                mapping = m;
                return true;
            }
        }
        mapping = default;
        return false;
    }

    // Disjoint mappings in sequence order: the only candidate is the last one starting at or before the number (a
    // sender's thousands of in-flight mappings made the scan its hottest loop).
    private bool TryBisect(uint subflowSeq, out DataMapping mapping)
    {
        mapping = default;
        if (_list.Count == 0) return false;
        var first = _list[0].SubflowSeq;
        var offset = subflowSeq - first;
        if ((int)offset < 0) return false;
        int lo = 0, hi = _list.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_list[mid].SubflowSeq - first <= offset) lo = mid;
            else hi = mid - 1;
        }
        if (!_list[lo].Covers(subflowSeq)) return false;
        mapping = _list[lo];
        return true;
    }

    /// <summary>Forgets mappings that end at or before <paramref name="subflowSeq"/>.</summary>
    public void DropBefore(uint subflowSeq)
    {
        var n = 0;
        while (n < _list.Count && (int)(_list[n].SubflowEnd - subflowSeq) <= 0) n++;
        if (n > 0) _list.RemoveRange(0, n);
        if (_list.Count <= 1) _mustScan = false;
    }

    /// <summary>Data-level ranges of everything still mapped from <paramref name="subflowSeq"/> on (for reinjection).</summary>
    public IEnumerable<(ulong Dsn, int Length)> From(uint subflowSeq)
    {
        foreach (var m in _list)
        {
            if ((int)(m.SubflowEnd - subflowSeq) <= 0) continue;
            var skip = (int)(subflowSeq - m.SubflowSeq);
            if (skip < 0) skip = 0;
            yield return (m.Dsn + (ulong)skip, m.Length - skip);
        }
    }
}
