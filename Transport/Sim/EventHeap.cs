namespace MptcpActors.Transport.Sim;

/// <summary>
/// Binary min-heap of events ordered by (time, sequence). The key is kept in the array entries rather than read
/// through the node so that sifting touches one contiguous array; the sequence number makes equal times FIFO and the
/// order total (so the run is the same whatever the heap's internal layout).
/// </summary>
internal sealed class EventHeap
{
    private struct Entry
    {
        public long Time;
        public long Sequence;
        public EventNode Node;
    }

    private Entry[] _items = new Entry[64];
    private int _count;

    public int Count => _count;

    public void Push(EventNode node)
    {
        if (_count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
        var e = new Entry { Time = node.TimeNs, Sequence = node.Sequence, Node = node };
        var i = _count++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!Less(in e, in _items[parent])) break;
            _items[i] = _items[parent];
            i = parent;
        }
        _items[i] = e;
    }

    public EventNode Peek() => _items[0].Node;

    public long PeekTime => _items[0].Time;

    public EventNode Pop()
    {
        var top = _items[0].Node;
        var last = _items[--_count];
        _items[_count] = default;
        if (_count > 0) SiftDown(0, last);
        return top;
    }

    /// <summary>Drops every cancelled node into <paramref name="pool"/> and re-heapifies in O(n); returns how many went.</summary>
    public int RemoveCancelled(Stack<EventNode> pool)
    {
        var kept = 0;
        for (var i = 0; i < _count; i++)
        {
            var node = _items[i].Node;
            if (node.Cancelled)
            {
                node.InHeap = false;
                node.Clear();
                pool.Push(node);
            }
            else _items[kept++] = _items[i];
        }
        var removed = _count - kept;
        Array.Clear(_items, kept, removed);
        _count = kept;
        for (var i = (_count >> 1) - 1; i >= 0; i--) SiftDown(i, _items[i]);
        return removed;
    }

    private void SiftDown(int i, Entry e)
    {
        var half = _count >> 1;
        while (i < half)
        {
            var child = 2 * i + 1;
            var right = child + 1;
            if (right < _count && Less(in _items[right], in _items[child])) child = right;
            if (!Less(in _items[child], in e)) break;
            _items[i] = _items[child];
            i = child;
        }
        _items[i] = e;
    }

    private static bool Less(in Entry a, in Entry b) => a.Time < b.Time || (a.Time == b.Time && a.Sequence < b.Sequence);
}
