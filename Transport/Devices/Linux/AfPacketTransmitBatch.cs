using System.Runtime.InteropServices;

namespace MptcpActors.Transport.Devices.Linux;

/// <summary>
/// Frames gathered by one sender and sent with a single sendmmsg call. Not thread-safe: one batch per sending thread or
/// actor (the device itself is thread-safe). Frames are copied in (<see cref="Add"/>) or written in place
/// (<see cref="Reserve"/> then <see cref="Commit"/>), into native memory sized for <see cref="Capacity"/> frames of MTU + 14.
/// </summary>
public sealed unsafe class AfPacketTransmitBatch : IFrameBatch
{
    private readonly AfPacketDevice _device;
    private LibC.MMsgHdr* _messages;
    private LibC.IoVec* _iovs;
    private byte* _arena;
    private readonly int _arenaBytes;
    private int _count;
    private int _used;
    private int _reserved = -1;

    internal AfPacketTransmitBatch(AfPacketDevice device, int maxFrames)
    {
        if (maxFrames is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(maxFrames), maxFrames, "1 to 1024 frames");
        _device = device;
        Capacity = maxFrames;
        MaxFrameLength = device.Mtu + AfPacketDevice.EthernetHeaderLength + AfPacketDevice.VlanTagLength;
        var frameBytes = Align(MaxFrameLength);
        _arenaBytes = frameBytes * maxFrames;
        _messages = (LibC.MMsgHdr*)NativeMemory.AllocZeroed((nuint)maxFrames, (nuint)sizeof(LibC.MMsgHdr));
        _iovs = (LibC.IoVec*)NativeMemory.AllocZeroed((nuint)maxFrames, (nuint)sizeof(LibC.IoVec));
        _arena = (byte*)NativeMemory.AlignedAlloc((nuint)_arenaBytes, 64);
    }

    ~AfPacketTransmitBatch() => Free();

    /// <summary>The most frames one flush sends.</summary>
    public int Capacity { get; }

    /// <summary>The largest frame it takes: the device's MTU when the batch was made + 14 + 4 (a VLAN tag).</summary>
    public int MaxFrameLength { get; }

    /// <summary>Frames waiting for <see cref="Flush"/>.</summary>
    public int Count => _count;

    /// <summary>Bytes of the frames waiting.</summary>
    public int BufferedBytes => _used;

    /// <summary>Copies the frame in; false (and nothing copied) when the batch is full.</summary>
    /// <exception cref="ArgumentException">The frame is shorter than 14 or longer than <see cref="MaxFrameLength"/> bytes.</exception>
    public bool TryAdd(ReadOnlySpan<byte> frame)
    {
        var destination = TryReserve(frame.Length);
        if (destination.IsEmpty) return false;
        frame.CopyTo(destination);
        Commit(frame.Length);
        return true;
    }

    /// <summary>Copies the frame in, flushing first when the batch is full.</summary>
    public void Add(ReadOnlySpan<byte> frame)
    {
        if (TryAdd(frame)) return;
        Flush();
        if (!TryAdd(frame)) throw new InvalidOperationException("an empty batch refused a frame");
    }

    /// <summary>
    /// Room for a frame of up to <paramref name="maxLength"/> bytes, written in place; <see cref="Commit"/> says how much
    /// was used. Flushes first when the batch is full.
    /// </summary>
    public Span<byte> Reserve(int maxLength)
    {
        var span = TryReserve(maxLength);
        if (!span.IsEmpty) return span;
        Flush();
        span = TryReserve(maxLength);
        if (span.IsEmpty) throw new InvalidOperationException("an empty batch refused a frame");
        return span;
    }

    /// <summary>Ends a <see cref="Reserve"/>: the frame is the first <paramref name="length"/> bytes written.</summary>
    public void Commit(int length)
    {
        if (_reserved < 0) throw new InvalidOperationException("Commit without Reserve");
        if (length < AfPacketDevice.EthernetHeaderLength || length > _reserved)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"{AfPacketDevice.EthernetHeaderLength} to {_reserved} bytes");
        _iovs[_count] = new LibC.IoVec { Base = _arena + _used, Length = (nuint)length };
        ref var h = ref _messages[_count].Hdr;
        h = default;
        h.Iov = &_iovs[_count];
        h.IovLen = 1;
        _count++;
        _used = Align(_used + length);
        _reserved = -1;
    }

    /// <summary>Sends what is waiting (one sendmmsg, repeated if the kernel takes part); returns how many frames the kernel took.</summary>
    public int Flush()
    {
        ObjectDisposedException.ThrowIf(_arena == null, this);
        _reserved = -1;
        if (_count == 0) return 0;
        try
        {
            return _device.SendBatch(_messages, _count);
        }
        finally
        {
            _count = 0;
            _used = 0;
        }
    }

    /// <summary>Drops what is waiting without sending it.</summary>
    public void Clear()
    {
        _count = 0;
        _used = 0;
        _reserved = -1;
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private Span<byte> TryReserve(int length)
    {
        ObjectDisposedException.ThrowIf(_arena == null, this);
        if (length < AfPacketDevice.EthernetHeaderLength)
            throw new ArgumentException($"a frame needs at least the {AfPacketDevice.EthernetHeaderLength}-byte Ethernet header, not {length} bytes");
        if (length > MaxFrameLength)
            throw new ArgumentException($"a {length}-byte frame is larger than {MaxFrameLength} bytes (MTU {MaxFrameLength - 18} + headers)");
        if (_count == Capacity || _used + length > _arenaBytes) return default;
        _reserved = length;
        return new Span<byte>(_arena + _used, length);
    }

    private static int Align(int n) => (n + 7) & ~7;

    private void Free()
    {
        if (_arena == null) return;
        NativeMemory.AlignedFree(_arena);
        NativeMemory.Free(_messages);
        NativeMemory.Free(_iovs);
        _arena = null;
        _messages = null;
        _iovs = null;
    }
}
