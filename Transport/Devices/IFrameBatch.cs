namespace MptcpActors.Transport.Devices;

/// <summary>Frames collected to leave in one system call (sendmmsg); one batch per sending thread or actor.</summary>
public interface IFrameBatch : IDisposable
{
    int Count { get; }
    /// <summary>Copies the frame in; false when the batch is full (flush, then add again).</summary>
    bool TryAdd(ReadOnlySpan<byte> frame);
    /// <summary>Sends everything collected; returns how many frames went.</summary>
    int Flush();

    /// <summary>
    /// The longest frame <see cref="TryAddTcpSegments"/> takes: a TCP super-segment the device cuts into segments
    /// (segmentation offload, GSO). 0 when the device cannot.
    /// </summary>
    int MaxSegmentedFrameLength => 0;

    /// <summary>
    /// Copies in an Ethernet/IP/TCP frame whose TCP payload leaves as segments of <paramref name="segmentSize"/> bytes
    /// (the last one shorter), each with the frame's headers and options, the IP length, ID and checksum and the TCP
    /// sequence, flags and checksum fixed per segment; the frame's TCP checksum field holds the pseudo-header sum only.
    /// False when the batch is full (flush, then add again).
    /// </summary>
    bool TryAddTcpSegments(ReadOnlySpan<byte> frame, int segmentSize) => throw new NotSupportedException("this device does not segment");
}

/// <summary>A device that can send many frames per system call.</summary>
public interface IBatchingFrameDevice : IFrameDevice
{
    IFrameBatch CreateBatch(int maxFrames);
}
