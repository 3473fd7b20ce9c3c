using System.Net;

namespace MptcpActors.Actors.Configuration;

/// <summary>
/// One network interface the engine owns (<c>mptcp.interfaces[i]</c>, the <c>--iface NAME=ADDR/PREFIX,gw=GW</c>
/// of the CLI): its Linux name, the address the engine answers ARP / neighbour solicitations for,
/// an optional default gateway on that link, and the backend that moves its frames.
/// </summary>
public sealed record InterfaceSettings(string Name, InterfaceAddress Address, IPAddress? Gateway, InterfaceTransport Transport)
{
    /// <summary>Linux's IFNAMSIZ minus the terminating NUL.</summary>
    public const int MaxNameLength = 15;

    /// <summary>Why <paramref name="name"/> is not a valid Linux interface name (the kernel's dev_valid_name), or null.</summary>
    public static string? NameProblem(string name)
    {
        if (name.Length == 0)
            return "must not be empty";
        if (name.Length > MaxNameLength)
            return $"'{name}' is longer than Linux's {MaxNameLength} characters";
        if (name is "." or ".." || name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c)))
            return $"'{name}' is not a Linux interface name (no '/', ':' or spaces, not '.' or '..')";
        return null;
    }

    internal static EquatableList<InterfaceSettings> ReadAll(IReadOnlyList<ConfigReader> entries)
    {
        var result = new List<InterfaceSettings>();
        var names = new Dictionary<string, ConfigReader>(StringComparer.Ordinal);
        var addresses = new Dictionary<IPAddress, ConfigReader>();
        foreach (var entry in entries)
        {
            var settings = Read(entry);
            if (!entry.Failed("name") && !names.TryAdd(settings.Name, entry))
                entry.Fail("name", $"'{settings.Name}' is already the name of {names[settings.Name].Path}");
            if (!entry.Failed("address") && !addresses.TryAdd(settings.Address.Address, entry))
                entry.Fail("address", $"{settings.Address.Address} is already the address of {addresses[settings.Address.Address].Path}");
            result.Add(settings);
        }

        return new EquatableList<InterfaceSettings>(result);
    }

    private static InterfaceSettings Read(ConfigReader r)
    {
        var name = r.Text("name");
        if (!r.Failed("name") && NameProblem(name) is { } nameProblem)
            r.Fail("name", nameProblem);

        var addressText = r.Text("address");
        var address = new InterfaceAddress(IPAddress.Any, 0);
        if (!r.Failed("address"))
        {
            if (InterfaceAddress.TryParse(addressText, out var parsed, out var problem))
                address = parsed!;
            else
                r.Fail("address", problem);
        }

        IPAddress? gateway = null;
        if (r.OptionalText("gateway") is { } gatewayText && !r.Failed("gateway"))
        {
            if (!IpAddressText.TryParseUnicast(gatewayText, out var parsed, out var problem))
                r.Fail("gateway", problem);
            else if (!r.Failed("address"))
                gateway = CheckGateway(r, parsed, address);
            else
                gateway = parsed;
        }

        var transport = r.OptionalEnum("transport", SettingNames.InterfaceTransports) ?? InterfaceTransport.Raw;
        r.RejectUnknownKeys();
        return new InterfaceSettings(name, address, gateway, transport);
    }

    // The gateway must be reachable on the link itself: nothing else would tell the engine how to reach it.
    private static IPAddress CheckGateway(ConfigReader r, IPAddress gateway, InterfaceAddress address)
    {
        if (gateway.Equals(address.Address))
            r.Fail("gateway", $"{gateway} is the interface's own address");
        else if (!address.Contains(gateway))
            r.Fail("gateway", $"{gateway} is not inside {address.Network}, the subnet of {address}");
        return gateway;
    }
}
