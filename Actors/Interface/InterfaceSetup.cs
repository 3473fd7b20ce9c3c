using MptcpActors.Actors.Stack;
using MptcpActors.Actors.Tcp;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Interface;

/// <summary>What an interface actor needs: its device, its MAC and address, how to find a neighbour's MAC, TCP options and ISNs.</summary>
public sealed record InterfaceSetup(string Name, DeviceRef Device, byte[] Mac, IpAddressBytes Address, Func<IpAddressBytes, byte[]?> Neighbor,
    TcpCoreOptions Options, IsnGenerator Isn);
