namespace MptcpActors.Transport.Devices.Linux;

/// <summary>
/// A TPACKET_V3 receive ring (PACKET_MMAP): blocks of frames in memory shared with the kernel, which fills a block and
/// hands it over (TP_STATUS_USER) when it is full or its timeout passes; the reader walks the block's frames in place, with
/// no system call and no copy, and hands the block back (TP_STATUS_KERNEL). Blocks are taken in order, as the kernel fills them.
/// </summary>
internal sealed unsafe class PacketRing : IDisposable
{
    /// <summary>Where the sockaddr_ll lies in each frame: TPACKET_ALIGN(sizeof(struct tpacket3_hdr)).</summary>
    public const int AddressOffset = 48;

    private readonly byte* _memory;
    private readonly nuint _length;
    private readonly int _blockSize;
    private int _current;

    private PacketRing(byte* memory, nuint length, int blockSize, int blockCount)
    {
        _memory = memory;
        _length = length;
        _blockSize = blockSize;
        BlockCount = blockCount;
    }

    public int BlockCount { get; }

    /// <summary>Switches the (not yet bound) socket to TPACKET_V3 and maps its ring; the kernel refuses sizes that are not page multiples.</summary>
    public static PacketRing Map(int fd, int blockSize, int blockCount, TimeSpan blockTimeout, string interfaceName)
    {
        var version = LibC.TPACKET_V3;
        if (LibC.SetSockOpt(fd, LibC.SOL_PACKET, LibC.PACKET_VERSION, &version, sizeof(int)) < 0)
            throw RawSocketException.FromErrno("setsockopt(PACKET_VERSION, TPACKET_V3)", interfaceName);
        const int frameSize = 2048; // V3 packs frames back to back; the kernel only checks this divides the block
        var request = new LibC.TPacketReq3
        {
            BlockSize = (uint)blockSize,
            BlockCount = (uint)blockCount,
            FrameSize = frameSize,
            FrameCount = (uint)((long)blockSize * blockCount / frameSize),
            RetireBlockTimeoutMs = (uint)Math.Max(1, blockTimeout.TotalMilliseconds),
        };
        if (LibC.SetSockOpt(fd, LibC.SOL_PACKET, LibC.PACKET_RX_RING, &request, (uint)sizeof(LibC.TPacketReq3)) < 0)
            throw RawSocketException.FromErrno("setsockopt(PACKET_RX_RING)", interfaceName, $"{blockCount} blocks of {blockSize} bytes");
        var length = (nuint)blockSize * (nuint)blockCount;
        var memory = LibC.MMap(null, length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        if (memory == (void*)-1) throw RawSocketException.FromErrno("mmap(PACKET_RX_RING)", interfaceName);
        return new PacketRing((byte*)memory, length, blockSize, blockCount);
    }

    /// <summary>The next block if the kernel has handed it over, else null.</summary>
    public LibC.TPacketBlockDesc* TryTake()
    {
        var block = (LibC.TPacketBlockDesc*)(_memory + (nint)_current * _blockSize);
        return (Volatile.Read(ref block->BlockStatus) & LibC.TP_STATUS_USER) != 0 ? block : null;
    }

    /// <summary>Gives the block <see cref="TryTake"/> returned back to the kernel and moves on to the next.</summary>
    public void Release(LibC.TPacketBlockDesc* block)
    {
        Volatile.Write(ref block->BlockStatus, LibC.TP_STATUS_KERNEL);
        _current = (_current + 1) % BlockCount;
    }

    public void Dispose() => LibC.MUnmap(_memory, _length);
}
