using Akka.Actor;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.Connection;

/// <summary>One of the node's interfaces as connections see it: its address, its subnet, whether it has a gateway.</summary>
public sealed record InterfaceRoute(string Name, IpAddressBytes Address, int PrefixLength, bool HasGateway, IActorRef Actor)
{
    public bool InSubnet(IpAddressBytes destination) => Address.SameSubnet(destination, PrefixLength);

    /// <summary>CLI.md routing: the interface whose subnet holds the destination, else one with a gateway of the same family.</summary>
    public static InterfaceRoute? For(IReadOnlyList<InterfaceRoute> routes, IpAddressBytes destination)
    {
        foreach (var r in routes)
            if (r.InSubnet(destination)) return r;
        foreach (var r in routes)
            if (r.HasGateway && r.Address.Length == destination.Length) return r;
        return null;
    }
}
