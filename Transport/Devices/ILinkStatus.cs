namespace MptcpActors.Transport.Devices;

/// <summary>
/// A device that knows whether its link is up (carrier), the way a NIC reports it to the kernel. Separate from
/// <see cref="IFrameDevice"/> because not every backend can tell (a TUN device cannot); callers test for it.
/// Wrappers that implement it pass their inner device's state through.
/// </summary>
public interface ILinkStatus
{
    bool IsLinkUp { get; }

    /// <summary>Raised after the state changed, with the device as the caller sees it (a wrapper names itself) and the new state.</summary>
    event Action<IFrameDevice, bool>? LinkStateChanged;
}
