namespace MptcpActors.Transport.Devices.Linux;

/// <summary>How an <see cref="AfPacketDevice"/> sets up its socket and receive thread. The defaults suit the engine.</summary>
public sealed record AfPacketDeviceOptions
{
    public static AfPacketDeviceOptions Default { get; } = new();

    /// <summary>Frames read per recvmmsg call (receive slots), 1 to 1024.</summary>
    public int ReceiveBatchSize { get; init; } = 64;

    /// <summary>
    /// Bytes per receive slot. 0 (the default) sizes slots from the MTU, MTU + 14 (Ethernet) + 4 (a VLAN tag), and grows
    /// them when the MTU is raised while running; another value is used as given. Either way a frame larger than a slot
    /// (a kernel peer's GSO super-frame on a veth: up to 64 KiB whatever the MTU) is counted in
    /// <see cref="AfPacketStatistics.ReceiveTruncated"/> and dropped, and the slots grow to fit the next one (up to
    /// <see cref="AfPacketDevice.MaxFrameSize"/>). Give 65536 + 18 up front to lose none.
    /// </summary>
    public int ReceiveFrameSize { get; init; }

    /// <summary>SO_RCVBUF (SO_RCVBUFFORCE when privileged): how much the kernel queues while the thread is busy.</summary>
    public int ReceiveBufferBytes { get; init; } = 8 << 20;

    /// <summary>SO_SNDBUF (SO_SNDBUFFORCE when privileged): frames in flight between send and the driver.</summary>
    public int SendBufferBytes { get; init; } = 2 << 20;

    /// <summary>How long a send waits for socket buffer space before the frame counts as dropped (SO_SNDTIMEO).</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The BPF filter attached before the socket is bound (so no unfiltered frame is ever queued); null takes every frame.</summary>
    public PacketFilter? Filter { get; init; }

    /// <summary>
    /// Also deliver the frames leaving the interface (this device's own and the kernel's). Off for the engine, which must
    /// not hear itself; on for a tap that wants both directions.
    /// </summary>
    public bool DeliverOutgoing { get; init; }

    /// <summary>Ask the kernel to keep outgoing frames out (PACKET_IGNORE_OUTGOING); off only to test the sll_pkttype fallback.</summary>
    internal bool UseKernelIgnoreOutgoing { get; init; } = true;

    /// <summary>Fill in TCP/UDP checksums the kernel left to offload (see <see cref="AfPacketStatistics.ChecksumsCompleted"/>).</summary>
    public bool CompleteChecksums { get; init; } = true;

    /// <summary>Put back into the frame a VLAN tag the NIC stripped into metadata, so receivers see the frame as on the wire.</summary>
    public bool RestoreVlanTags { get; init; } = true;

    /// <summary>
    /// Let batches carry TCP super-segments of up to 64 KiB that the kernel cuts into segments and checksums (GSO through
    /// a PACKET_VNET_HDR socket; a veth passes them whole to its peer). On by default; off sends every segment as its own frame.
    /// </summary>
    public bool SegmentationOffload { get; init; } = true;

    /// <summary>PACKET_QDISC_BYPASS: send straight to the driver, skipping qdiscs (faster, but tc shaping on this interface no longer applies).</summary>
    public bool QdiscBypass { get; init; }

    /// <summary>How often the receive thread re-reads the link state and MTU (carrier changes raise <see cref="AfPacketDevice.LinkStateChanged"/>).</summary>
    public TimeSpan LinkCheckInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Where received frames get their time stamps.</summary>
    public IDeviceClock Clock { get; init; } = SystemDeviceClock.Instance;

    internal void Validate()
    {
        if (ReceiveBatchSize is < 1 or > 1024)
            throw new ArgumentOutOfRangeException(nameof(ReceiveBatchSize), ReceiveBatchSize, "1 to 1024 frames per batch");
        if (ReceiveFrameSize != 0 && ReceiveFrameSize is < 64 or > AfPacketDevice.MaxFrameSize)
            throw new ArgumentOutOfRangeException(nameof(ReceiveFrameSize), ReceiveFrameSize, $"0 (from the MTU) or 64 to {AfPacketDevice.MaxFrameSize} bytes");
        if (ReceiveBufferBytes < 0) throw new ArgumentOutOfRangeException(nameof(ReceiveBufferBytes));
        if (SendBufferBytes < 0) throw new ArgumentOutOfRangeException(nameof(SendBufferBytes));
        if (SendTimeout < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(SendTimeout));
        if (LinkCheckInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(LinkCheckInterval));
        ArgumentNullException.ThrowIfNull(Clock);
    }
}

/// <summary>Counters of one device since it was opened.</summary>
/// <param name="ReceivedFrames">Frames handed to the receiver.</param>
/// <param name="ReceivedBytes">Their bytes.</param>
/// <param name="ReceiveBatches">recvmmsg calls that returned frames.</param>
/// <param name="OutgoingSkipped">Frames the socket saw leaving (only when the kernel cannot ignore them itself) and did not deliver.</param>
/// <param name="ReceiveTruncated">Frames larger than a receive slot, dropped (the slots then grow).</param>
/// <param name="KernelDrops">Frames the kernel dropped because the socket's receive queue was full (PACKET_STATISTICS).</param>
/// <param name="ChecksumsCompleted">Frames whose TCP/UDP checksum the device filled in.</param>
/// <param name="ReceiverErrors">Exceptions the receiver threw (each also raised through <see cref="AfPacketDevice.ReceiveFailed"/>).</param>
/// <param name="TransmittedFrames">Frames the kernel accepted.</param>
/// <param name="TransmittedBytes">Their bytes.</param>
/// <param name="TransmitDropped">Frames that could not be sent: no buffer space, link down, interface gone.</param>
public readonly record struct AfPacketStatistics(
    long ReceivedFrames, long ReceivedBytes, long ReceiveBatches, long OutgoingSkipped, long ReceiveTruncated, long KernelDrops,
    long ChecksumsCompleted, long ReceiverErrors, long TransmittedFrames, long TransmittedBytes, long TransmitDropped);
