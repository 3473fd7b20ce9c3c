using MptcpActors.Actors.Tcp;

namespace MptcpActors.Actors.Mptcp;

/// <summary>
/// The connection-level receive buffer (RFC 8684 3.3): data of every subflow placed by its 64-bit data sequence
/// number, out of order, duplicated or overlapping (a reinjection resends a DSN range on another subflow). Bytes sit in
/// a <see cref="ByteRing"/> at their final place; a <see cref="BitRing"/> over the same slots marks those held beyond
/// the in-order data. DSNs are compared by their signed 64-bit difference, so the space may wrap past 2^64.
/// </summary>
public sealed class DataReassembly
{
    private readonly int _capacity;
    // Allocated with the first data, grown with what is held, given back once all is read: an idle connection costs
    // nothing for its window.
    private ByteRing? _ringOrNull;
    private BitRing? _heldOrNull;
    // The ring slot of ReadDsn: the ByteRing keeps its head to itself, and the bits must line up with its bytes.
    private int _readSlot;

    public DataReassembly(ulong initialDsn, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ReadDsn = initialDsn;
        _capacity = capacity;
    }

    private ByteRing Ring => _ringOrNull ??= new ByteRing(_capacity);
    private BitRing Held => _heldOrNull ??= new BitRing(Ring.Allocated);

    /// <summary>DSN of the first byte not yet read by the application.</summary>
    public ulong ReadDsn { get; private set; }
    /// <summary>First DSN not yet received in order: the DATA_ACK to send.</summary>
    public ulong NextDsn => ReadDsn + (ulong)Readable;
    /// <summary>In-order bytes ready to read.</summary>
    public int Readable => _ringOrNull?.Count ?? 0;
    public int Capacity => _capacity;
    /// <summary>Bytes held beyond a hole at NextDsn.</summary>
    public long OutOfOrderBytes { get; private set; }
    /// <summary>All bytes held, in order or not; never more than Capacity.</summary>
    public long Buffered => Readable + OutOfOrderBytes;
    /// <summary>Nothing at or beyond this DSN is stored (the right edge of the connection-level receive window).</summary>
    public ulong WindowEnd => ReadDsn + (ulong)Capacity;

    /// <summary>
    /// Stores what of [dsn, dsn + data.Length) is new and inside [NextDsn, WindowEnd); returns how many bytes became
    /// in-order readable (0 for a duplicate, an out-of-order chunk or data outside the window). Where the chunk overlaps
    /// data already held, the held bytes stay: the first copy of a DSN to arrive is the one delivered.
    /// </summary>
    public int Insert(ulong dsn, ReadOnlySpan<byte> data)
    {
        var offset = (long)(dsn - NextDsn);
        if (offset < 0)
        {
            // Compared before negating: an offset of long.MinValue has no positive counterpart.
            if (offset <= -(long)data.Length) return 0;
            data = data[(int)-offset..];
            offset = 0;
        }
        var room = Ring.Free;
        if (offset >= room) return 0;
        var at = (int)offset;
        if (data.Length > room - at) data = data[..(room - at)];
        // Nothing new: nothing can become in order (the slot at NextDsn is never held), and a released ring stays so.
        if (data.IsEmpty) return 0;
        var needed = Ring.Count + at + data.Length;
        if (needed > Ring.Allocated)
        {
            // The ring grows with what it must hold, its slots (and their bits) moving to start at 0.
            _ = Held;
            Ring.Reserve(needed);
            Held.Grow(_readSlot, Ring.Allocated);
            _readSlot = 0;
        }

        while (!data.IsEmpty)
        {
            var hole = Held.Run(Slot(at), data.Length, value: false);
            if (hole > 0)
            {
                Ring.Write(Ring.Count + at, data[..hole]);
                Held.Fill(Slot(at), hole, value: true);
                OutOfOrderBytes += hole;
            }
            var skip = hole + Held.Run(Slot(at + hole), data.Length - hole, value: true);
            data = data[skip..];
            at += skip;
        }

        return TakeHeld(room);
    }

    /// <summary>
    /// Takes [dsn, dsn + length) as inserted and read in one step when it is exactly the next in-order data, nothing is
    /// readable yet and it overlaps no held byte: what <see cref="Insert"/> then reading it would do, without the bytes'
    /// two copies through the ring (the caller hands them on itself). Held bytes right after it become readable, as
    /// with Insert. Nothing changes when it returns false. Its slots are skipped empty: the ring's head and the read
    /// slot move together, so the held bytes' slots still line up.
    /// </summary>
    public bool TryReadThrough(ulong dsn, int length)
    {
        if (dsn != ReadDsn || Readable != 0 || length > _capacity) return false;
        if (OutOfOrderBytes == 0)
        {
            ReadDsn += (ulong)length;
            return true;
        }
        // Bytes are held beyond a hole (the usual case with paths of different delays): the chunk must fit the hole.
        if (length > Ring.Allocated || Held.Run(_readSlot, length, value: false) < length) return false;
        Ring.Skip(length);
        _readSlot = (_readSlot + length) % Ring.Allocated;
        ReadDsn += (ulong)length;
        TakeHeld(Ring.Free);
        return true;
    }

    /// <summary>Held bytes from NextDsn on (within <paramref name="room"/>) become in-order readable; returns how many.</summary>
    private int TakeHeld(int room)
    {
        var advanced = Held.Run(Slot(0), room, value: true);
        if (advanced == 0) return 0;
        // In-order slots are known by the ring's count; their bits are cleared so the slots come back empty after a read.
        Held.Fill(Slot(0), advanced, value: false);
        OutOfOrderBytes -= advanced;
        Ring.Extend(advanced);
        return advanced;
    }

    /// <summary>Copies and consumes up to destination.Length in-order bytes; returns how many.</summary>
    public int Read(Span<byte> destination)
    {
        var n = Math.Min(destination.Length, Ring.Count);
        Peek(destination[..n]);
        Consume(n);
        return n;
    }

    /// <summary>Copies the first destination.Length readable bytes without consuming them.</summary>
    public void Peek(Span<byte> destination)
    {
        if (destination.Length > Ring.Count) throw new ArgumentOutOfRangeException(nameof(destination), "more than is readable");
        Ring.Peek(0, destination);
    }

    public void Consume(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Ring.Consume(count);
        ReadDsn += (ulong)count;
        if (count > 0) _readSlot = (_readSlot + count) % Ring.Allocated;
        if (Ring.Count == 0 && OutOfOrderBytes == 0)
        {
            // All read and nothing held beyond: an idle connection keeps no buffer; the next data starts at slot 0.
            Ring.ReleaseIfEmpty();
            _heldOrNull?.Release();
            _readSlot = 0;
        }
    }

    /// <summary>The ring slot of the byte <paramref name="offset"/> past NextDsn (offset below the window's room).</summary>
    private int Slot(int offset)
    {
        var slot = _readSlot + Ring.Count + offset;
        return slot >= Ring.Allocated ? slot - Ring.Allocated : slot;
    }
}
