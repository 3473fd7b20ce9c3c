using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Interface;

/// <summary>
/// What an interface actor needs: its device, its MAC, the address and prefix it owns (CLI.md's --iface
/// NAME=ADDR/PREFIX[,gw=GW]), TCP options and ISNs. <paramref name="StaticNeighbor"/> answers MACs without ARP/NDP
/// (the simulator's point-to-point links); otherwise neighbours are resolved on the wire.
/// </summary>
public sealed record InterfaceSetup(string Name, DeviceRef Device, byte[] Mac, IpAddressBytes Address, int PrefixLength, IpAddressBytes? Gateway,
    TcpCoreOptions Options, IsnGenerator Isn, Func<IpAddressBytes, byte[]?>? StaticNeighbor = null)
{
    /// <summary>The node's other addresses, which this interface also takes segments for (see <see cref="LocalAddresses"/>).</summary>
    public IReadOnlyList<IpAddressBytes> NodeAddresses { get; init; } = [];

    /// <summary>A device whose Transmit is thread-safe (a raw socket): frames go straight into it, not through <see cref="Device"/>'s actor.</summary>
    public Transport.Devices.IFrameDevice? DirectDevice { get; init; }

    /// <summary>The next hop for <paramref name="destination"/>: itself on our subnet, else the gateway, else none.</summary>
    public IpAddressBytes? NextHop(IpAddressBytes destination) =>
        InSubnet(destination) ? destination : Gateway;

    public bool InSubnet(IpAddressBytes destination) => Address.SameSubnet(destination, PrefixLength);
}
