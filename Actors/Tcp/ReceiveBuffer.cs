using MptcpActors.Transport.Wire.Tcp;

namespace MptcpActors.Actors.Tcp;

/// <summary>
/// In-order bytes waiting for the application, plus out-of-order segments held in place (RFC 9293 3.10.7.4 "segment
/// text") and remembered as ranges, newest first, for SACK blocks (RFC 2018 4).
/// </summary>
public sealed class ReceiveBuffer(int capacity)
{
    private readonly ByteRing _ring = new(capacity);
    // Out-of-order ranges as offsets from the end of the in-order data (RcvNxt), kept sorted and merged.
    private readonly List<(int Start, int End)> _ooo = [];
    // Order in which ranges were last touched, for reporting the most recent first.
    private readonly List<int> _recentStarts = [];

    public int Capacity => _ring.Capacity;
    /// <summary>In-order bytes the application has not read yet.</summary>
    public int Readable => _ring.Count;
    /// <summary>Room for data beyond what is readable (the receive window before scaling and rounding).</summary>
    public int Window => _ring.Free;
    public bool HasOutOfOrder => _ooo.Count > 0;
    public int OutOfOrderBytes
    {
        get
        {
            var n = 0;
            foreach (var r in _ooo) n += r.End - r.Start;
            return n;
        }
    }

    /// <summary>
    /// Places data that starts <paramref name="offset"/> bytes after RcvNxt (may be negative when it overlaps data already
    /// received). Returns how many bytes became in-order (RcvNxt advances by that much).
    /// </summary>
    public int Insert(int offset, ReadOnlySpan<byte> data)
    {
        if (offset < 0)
        {
            if (-offset >= data.Length) return 0;
            data = data[(-offset)..];
            offset = 0;
        }
        var room = _ring.Free - offset;
        if (room <= 0) return 0;
        if (data.Length > room) data = data[..room];
        if (data.IsEmpty) return 0;
        _ring.Write(_ring.Count + offset, data);
        AddRange(offset, offset + data.Length);
        if (_ooo[0].Start != 0) return 0;
        var advanced = _ooo[0].End;
        _ring.Extend(advanced);
        _recentStarts.Remove(_ooo[0].Start);
        _ooo.RemoveAt(0);
        for (var i = 0; i < _ooo.Count; i++) _ooo[i] = (_ooo[i].Start - advanced, _ooo[i].End - advanced);
        for (var i = 0; i < _recentStarts.Count; i++) _recentStarts[i] -= advanced;
        return advanced;
    }

    public int Read(Span<byte> destination)
    {
        var n = _ring.Read(destination);
        ReleaseIfEmpty();
        return n;
    }

    public void Peek(Span<byte> destination) => _ring.Peek(0, destination);

    public void Consume(int n)
    {
        _ring.Consume(n);
        ReleaseIfEmpty();
    }

    // All read and nothing held out of order: an idle subflow keeps no receive buffer.
    private void ReleaseIfEmpty()
    {
        if (_ooo.Count == 0) _ring.ReleaseIfEmpty();
    }

    /// <summary>Writes up to <paramref name="blocks"/>.Length SACK blocks (absolute sequence numbers), the most recently changed first.</summary>
    public int SackBlocks(uint rcvNxt, Span<SackBlock> blocks)
    {
        var n = 0;
        for (var i = _recentStarts.Count - 1; i >= 0 && n < blocks.Length; i--)
        {
            var r = RangeStartingAt(_recentStarts[i]);
            blocks[n++] = new SackBlock(rcvNxt + (uint)r.Start, rcvNxt + (uint)r.End);
        }
        return n;
    }

    private (int Start, int End) RangeStartingAt(int start)
    {
        foreach (var r in _ooo)
            if (r.Start == start) return r;
        return default;
    }

    private void AddRange(int start, int end)
    {
        var i = 0;
        while (i < _ooo.Count && _ooo[i].End < start) i++;
        var s = start;
        var e = end;
        while (i < _ooo.Count && _ooo[i].Start <= e)
        {
            s = Math.Min(s, _ooo[i].Start);
            e = Math.Max(e, _ooo[i].End);
            _recentStarts.Remove(_ooo[i].Start);
            _ooo.RemoveAt(i);
        }
        _ooo.Insert(i, (s, e));
        _recentStarts.Add(s);
    }
}
