namespace MptcpActors.Transport.Devices;

/// <summary>
/// One network attachment that moves whole link-layer frames (smoltcp's phy::Device in spirit): a raw socket, a TUN
/// device or a simulated link implement it; a pcap tap, a tracer or a fault injector wrap any of them.
/// </summary>
public interface IFrameDevice
{
    string Name { get; }
    /// <summary>Largest IP packet the device carries (the link MTU, not counting the Ethernet header).</summary>
    int Mtu { get; }
    /// <summary>Sends one frame. The device copies what it needs before returning: the caller reuses the buffer.</summary>
    void Transmit(ReadOnlySpan<byte> frame);
    /// <summary>Where received frames go; set once before traffic flows.</summary>
    void Attach(IFrameReceiver receiver);
    /// <summary>
    /// Whether the device calls <see cref="IFrameReceiver.EndOfBatch"/> after each batch of frames it reads (the raw
    /// socket: after each recvmmsg), so a receiver may hold frames until then. False: frames come one at a time.
    /// </summary>
    bool DeliversBatches => false;
}

/// <summary>Takes frames that arrived on a device. The span is valid only during the call.</summary>
public interface IFrameReceiver
{
    void Receive(IFrameDevice device, ReadOnlySpan<byte> frame, long timeNs);
    /// <summary>The last frame of a batch has been received (only from devices whose <see cref="IFrameDevice.DeliversBatches"/> is true).</summary>
    void EndOfBatch(IFrameDevice device)
    {
    }
}
