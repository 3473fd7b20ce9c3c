namespace MptcpActors.Actors.Configuration;

/// <summary>Path management (<c>mptcp.path-manager</c>): who decides, within which limits, from which local addresses.</summary>
public sealed record PathManagerSettings(
    PathManagerType Type,
    PathManagerLimits Limits,
    EquatableList<EndpointSettings> Endpoints)
{
    internal static PathManagerSettings Read(ConfigReader r)
    {
        var settings = new PathManagerSettings(
            Type: r.Enum("type", SettingNames.PathManagerTypes),
            Limits: PathManagerLimits.Read(r.Section("limits")),
            Endpoints: EndpointSettings.ReadAll(r.Objects("endpoints")));
        r.RejectUnknownKeys();
        return settings;
    }
}
