using System.Net;
using System.Net.Sockets;
using MptcpActors.Actors.Configuration;
using MptcpActors.Transport.Wire.Mptcp;

namespace MptcpActors.Cli.Netcat;

/// <summary>One <c>--iface NAME=ADDR/PREFIX[,gw=GW]</c> (CLI.md "Attaching to the network").</summary>
public sealed record InterfaceSpec(string Name, IPAddress Address, int PrefixLength, IPAddress? Gateway)
{
    public static InterfaceSpec Parse(string text)
    {
        var eq = text.IndexOf('=');
        if (eq <= 0) throw new FormatException($"'{text}': expected NAME=ADDR/PREFIX[,gw=GW]");
        var name = text[..eq];
        if (name.Length > 15) throw new FormatException($"'{name}': Linux interface names have at most 15 characters");
        var parts = text[(eq + 1)..].Split(',');
        var slash = parts[0].IndexOf('/');
        if (slash < 0) throw new FormatException($"'{parts[0]}': expected ADDR/PREFIX");
        if (!IPAddress.TryParse(parts[0][..slash], out var address)) throw new FormatException($"'{parts[0][..slash]}' is not an IP address");
        var max = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        if (!int.TryParse(parts[0][(slash + 1)..], out var prefix) || prefix < 0 || prefix > max)
            throw new FormatException($"'{parts[0][(slash + 1)..]}': prefix length must be 0..{max}");
        IPAddress? gw = null;
        foreach (var p in parts.Skip(1))
        {
            if (!p.StartsWith("gw=", StringComparison.Ordinal) || !IPAddress.TryParse(p[3..], out gw))
                throw new FormatException($"'{p}': expected gw=ADDRESS");
            if (gw.AddressFamily != address.AddressFamily) throw new FormatException($"gateway {gw} is not in the address family of {address}");
        }
        return new InterfaceSpec(name, address, prefix, gw);
    }

    /// <summary>An interface of <c>mptcp.interfaces</c> (--config), as if given by --iface.</summary>
    public static InterfaceSpec From(InterfaceSettings s) => new(s.Name, s.Address.Address, s.Address.PrefixLength, s.Gateway);

    public IpAddressBytes AddressBytes => IpAddressBytes.From(Address);
    public IpAddressBytes? GatewayBytes => Gateway is null ? null : IpAddressBytes.From(Gateway);
}
