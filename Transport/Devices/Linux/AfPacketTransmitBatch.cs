using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace MptcpActors.Transport.Devices.Linux;

/// <summary>
/// Frames gathered by one sender and sent with a single sendmmsg call. Not thread-safe: one batch per sending thread or
/// actor (the device itself is thread-safe). Frames are copied in (<see cref="Add"/>) or written in place
/// (<see cref="Reserve"/> then <see cref="Commit"/>), into native memory sized for <see cref="Capacity"/> frames of MTU + 14.
/// <para>
/// When the device offloads segmentation, the batch goes out through its PACKET_VNET_HDR socket: each frame follows a
/// virtio_net_hdr (its own iovec), empty for a plain frame, describing the cut for a TCP super-segment
/// (<see cref="TryAddTcpSegments"/>); the memory then grows, on first need, to hold a few such frames.
/// </para>
/// </summary>
public sealed unsafe class AfPacketTransmitBatch : IFrameBatch
{
    /// <summary>The largest super-segment frame: an IPv4 packet's 65,535 bytes and the Ethernet header.</summary>
    public const int MaxSegmentedFrame = AfPacketDevice.EthernetHeaderLength + 65535;
    private const int SegmentedFramesHeld = 4;

    private readonly AfPacketDevice _device;
    private readonly bool _offload;
    private LibC.MMsgHdr* _messages;
    private LibC.IoVec* _iovs;
    private LibC.VirtioNetHdr* _vnet;
    private byte* _arena;
    private int _arenaBytes;
    private int _count;
    private int _used;
    private int _reserved = -1;

    internal AfPacketTransmitBatch(AfPacketDevice device, int maxFrames)
    {
        if (maxFrames is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(maxFrames), maxFrames, "1 to 1024 frames");
        _device = device;
        _offload = device.SegmentationOffload;
        Capacity = maxFrames;
        MaxFrameLength = device.Mtu + AfPacketDevice.EthernetHeaderLength + AfPacketDevice.VlanTagLength;
        var frameBytes = Align(MaxFrameLength);
        _arenaBytes = frameBytes * maxFrames;
        _messages = (LibC.MMsgHdr*)NativeMemory.AllocZeroed((nuint)maxFrames, (nuint)sizeof(LibC.MMsgHdr));
        _iovs = (LibC.IoVec*)NativeMemory.AllocZeroed((nuint)maxFrames * (_offload ? 2u : 1u), (nuint)sizeof(LibC.IoVec));
        if (_offload) _vnet = (LibC.VirtioNetHdr*)NativeMemory.AllocZeroed((nuint)maxFrames, (nuint)sizeof(LibC.VirtioNetHdr));
        _arena = (byte*)NativeMemory.AlignedAlloc((nuint)_arenaBytes, 64);
    }

    ~AfPacketTransmitBatch() => Free();

    /// <summary>The most frames one flush sends.</summary>
    public int Capacity { get; }

    /// <summary>The largest frame it takes: the device's MTU when the batch was made + 14 + 4 (a VLAN tag).</summary>
    public int MaxFrameLength { get; }

    /// <summary>The longest frame <see cref="TryAddTcpSegments"/> takes; 0 when the device does not offload segmentation.</summary>
    public int MaxSegmentedFrameLength => _offload ? MaxSegmentedFrame : 0;

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

    /// <summary>
    /// Copies in an Ethernet/IPv4-or-IPv6/TCP frame (no VLAN tag, no IPv6 extension header) that the kernel cuts into TCP
    /// segments of <paramref name="segmentSize"/> payload bytes, finishing each one's checksum from the pseudo-header sum
    /// in the frame's; false (nothing copied) when the batch is full.
    /// </summary>
    /// <exception cref="NotSupportedException">The device does not offload segmentation.</exception>
    /// <exception cref="ArgumentException">Not such a frame, longer than <see cref="MaxSegmentedFrameLength"/>, or a segment size below 1.</exception>
    public bool TryAddTcpSegments(ReadOnlySpan<byte> frame, int segmentSize)
    {
        if (!_offload) throw new NotSupportedException($"{_device.Name} does not offload segmentation");
        if (segmentSize < 1) throw new ArgumentOutOfRangeException(nameof(segmentSize), segmentSize, "at least 1 byte");
        if (frame.Length > MaxSegmentedFrame) throw new ArgumentException($"a {frame.Length}-byte frame is larger than {MaxSegmentedFrame} bytes");
        var header = TcpOffloadHeader(frame, segmentSize);
        if (_count == Capacity) return false;
        if (_used + frame.Length > _arenaBytes)
        {
            if (_count > 0 && _arenaBytes >= SegmentedFramesHeld * MaxSegmentedFrame) return false;
            Grow(_used + frame.Length);
        }
        frame.CopyTo(new Span<byte>(_arena + _used, frame.Length));
        _reserved = frame.Length;
        Commit(frame.Length);
        _vnet[_count - 1] = header;
        return true;
    }

    /// <summary>The virtio_net_hdr that has the kernel cut the frame's TCP payload into <paramref name="segmentSize"/>-byte segments.</summary>
    private static LibC.VirtioNetHdr TcpOffloadHeader(ReadOnlySpan<byte> frame, int segmentSize)
    {
        const int eth = AfPacketDevice.EthernetHeaderLength;
        if (frame.Length < eth + 40) throw new ArgumentException("too short for an Ethernet/IP/TCP frame", nameof(frame));
        var etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        int ipLength;
        byte type;
        if (etherType == 0x0800 && frame[eth + 9] == 6)
        {
            ipLength = (frame[eth] & 0x0F) * 4;
            type = LibC.VIRTIO_NET_HDR_GSO_TCPV4;
        }
        else if (etherType == 0x86DD && frame[eth + 6] == 6)
        {
            ipLength = 40;
            type = LibC.VIRTIO_NET_HDR_GSO_TCPV6;
        }
        else
        {
            throw new ArgumentException("not a TCP segment in IPv4 or IPv6 (without extension headers) in Ethernet", nameof(frame));
        }
        var tcp = eth + ipLength;
        if (frame.Length < tcp + 20) throw new ArgumentException("too short for its TCP header", nameof(frame));
        var headers = tcp + (frame[tcp + 12] >> 4) * 4;
        if (headers > frame.Length) throw new ArgumentException("too short for its TCP header", nameof(frame));
        return new LibC.VirtioNetHdr
        {
            Flags = LibC.VIRTIO_NET_HDR_F_NEEDS_CSUM,
            GsoType = frame.Length - headers > segmentSize ? type : (byte)0,
            HdrLen = (ushort)headers,
            GsoSize = (ushort)Math.Min(segmentSize, ushort.MaxValue),
            CsumStart = (ushort)tcp,
            CsumOffset = 16,
        };
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
        ref var h = ref _messages[_count].Hdr;
        h = default;
        if (_offload)
        {
            // Through the PACKET_VNET_HDR socket every frame follows a virtio_net_hdr: an empty one sends it as it is.
            _vnet[_count] = default;
            _iovs[2 * _count] = new LibC.IoVec { Base = &_vnet[_count], Length = (nuint)sizeof(LibC.VirtioNetHdr) };
            _iovs[2 * _count + 1] = new LibC.IoVec { Base = _arena + _used, Length = (nuint)length };
            h.Iov = &_iovs[2 * _count];
            h.IovLen = 2;
        }
        else
        {
            _iovs[_count] = new LibC.IoVec { Base = _arena + _used, Length = (nuint)length };
            h.Iov = &_iovs[_count];
            h.IovLen = 1;
        }
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
            return _device.SendBatch(_messages, _count, _offload);
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

    /// <summary>More room for super-segments (only while the batch is empty or what it holds is copied along).</summary>
    private void Grow(int needed)
    {
        var bytes = Math.Max(needed, Math.Min(2 * _arenaBytes, SegmentedFramesHeld * MaxSegmentedFrame));
        var bigger = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        Buffer.MemoryCopy(_arena, bigger, bytes, _used);
        for (var i = 0; i < _count; i++)
        {
            ref var frame = ref _iovs[2 * i + 1];
            frame.Base = bigger + ((byte*)frame.Base - _arena);
        }
        NativeMemory.AlignedFree(_arena);
        _arena = bigger;
        _arenaBytes = bytes;
    }

    private void Free()
    {
        if (_arena == null) return;
        NativeMemory.AlignedFree(_arena);
        NativeMemory.Free(_messages);
        NativeMemory.Free(_iovs);
        if (_vnet != null) NativeMemory.Free(_vnet);
        _vnet = null;
        _arena = null;
        _messages = null;
        _iovs = null;
    }
}
