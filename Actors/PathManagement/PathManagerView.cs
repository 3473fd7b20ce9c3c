using MptcpActors.Actors.Configuration;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Actors.PathManagement;

/// <summary>
/// What a node's path manager tells its connections and its MptcpManager, after every change: the endpoints usable now
/// (those on an interface that is down are left out), the limits, the interfaces that are down (the subflows that cross
/// them are dead) and their addresses (nothing is opened from them). <see cref="Version"/> grows with every change.
/// </summary>
public sealed record PathManagerView(long Version, IReadOnlyList<EndpointSettings> Endpoints, PathManagerLimits Limits,
    IReadOnlySet<IpAddressBytes> DownAddresses, IReadOnlySet<string> DownInterfaces)
{
    public static PathManagerView From(MptcpSettings settings) =>
        new(0, settings.PathManager.Endpoints, settings.PathManager.Limits, new HashSet<IpAddressBytes>(), new HashSet<string>());

    public EndpointSettings? ByAddress(IpAddressBytes address)
    {
        foreach (var ep in Endpoints)
            if (IpAddressBytes.From(ep.Address).Equals(address)) return ep;
        return null;
    }
}
