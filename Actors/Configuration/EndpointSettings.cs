using System.Net;

namespace MptcpActors.Actors.Configuration;

/// <summary>
/// One local address the in-engine path manager may use (<c>ip mptcp endpoint add ADDR [port P] [id ID]
/// [dev IF] [FLAGS]</c>). <see cref="Id"/> is always set: when the config leaves it out, the lowest id
/// no other endpoint uses, as Linux assigns one.
/// </summary>
public sealed record EndpointSettings(IPAddress Address, int? Port, int Id, string? Interface, EndpointFlags Flags)
{
    /// <summary>Address ids are one byte and 0 is the initial subflow's address (RFC 8684), so endpoints get 1..255.</summary>
    public const int MinId = 1;

    public const int MaxId = 255;

    internal static EquatableList<EndpointSettings> ReadAll(IReadOnlyList<ConfigReader> entries)
    {
        var read = entries.Select(entry =>
        {
            var (endpoint, explicitId) = Read(entry);
            return (Entry: entry, Endpoint: endpoint, ExplicitId: explicitId);
        }).ToList();

        var owners = new Dictionary<int, ConfigReader>();
        foreach (var (entry, _, id) in read)
        {
            if (id is not { } explicitId)
                continue;
            if (!owners.TryAdd(explicitId, entry))
                entry.Fail("id", $"{explicitId} is already the id of {owners[explicitId].Path}");
        }

        var places = new Dictionary<(IPAddress, int?), ConfigReader>();
        foreach (var (entry, endpoint, _) in read)
        {
            if (!entry.Failed("address") && !entry.Failed("port") && !places.TryAdd((endpoint.Address, endpoint.Port), entry))
                entry.Fail("address", $"{endpoint.Address}{PortSuffix(endpoint.Port)} is already {places[(endpoint.Address, endpoint.Port)].Path}");
        }

        var nextId = MinId;
        var result = new List<EndpointSettings>();
        foreach (var (entry, endpoint, id) in read)
        {
            if (id is not null || entry.Failed("id"))
            {
                result.Add(endpoint);
                continue;
            }

            while (owners.ContainsKey(nextId))
                nextId++;
            if (nextId > MaxId)
            {
                entry.Fail("id", $"no free id left: all of {MinId}..{MaxId} are taken");
                result.Add(endpoint);
                continue;
            }

            owners[nextId] = entry;
            result.Add(endpoint with { Id = nextId });
        }

        return new EquatableList<EndpointSettings>(result);
    }

    private static (EndpointSettings Endpoint, int? ExplicitId) Read(ConfigReader r)
    {
        var address = r.Text("address");
        var parsed = IPAddress.None;
        if (!r.Failed("address"))
        {
            if (address.Contains('/'))
                r.Fail("address", $"'{address}' has a /prefix; an endpoint is one address");
            else if (!IpAddressText.TryParseUnicast(address, out parsed, out var problem))
                r.Fail("address", problem);
        }

        var port = r.OptionalInt("port", 1, ushort.MaxValue);
        var id = r.OptionalInt("id", MinId, MaxId);
        var device = r.OptionalText("interface");
        if (device is not null && InterfaceSettings.NameProblem(device) is { } nameProblem)
            r.Fail("interface", nameProblem);

        var flags = r.OptionalEnumList("flags", SettingNames.EndpointFlagNames).Aggregate(EndpointFlags.None, (all, flag) => all | flag);
        // Both rules are the kernel's (mptcp_pm_nl_add_addr_doit): a fullmesh endpoint creates subflows
        // to announced addresses, which makes no sense for one that only announces itself; and a port
        // is only something to announce, never to bind a subflow to.
        if (flags.HasFlag(EndpointFlags.Signal) && flags.HasFlag(EndpointFlags.Fullmesh))
            r.Fail("flags", "signal and fullmesh cannot be combined (Linux refuses it too)");
        if (port is not null && (!flags.HasFlag(EndpointFlags.Signal) || flags.HasFlag(EndpointFlags.Subflow)))
            r.Fail("port", "a port needs the signal flag and not subflow, as in Linux");

        r.RejectUnknownKeys();
        return (new EndpointSettings(parsed, port, id ?? 0, device, flags), r.Failed("id") ? null : id);
    }

    private static string PortSuffix(int? port) => port is { } p ? $" port {p}" : "";
}
