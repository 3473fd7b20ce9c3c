using System.Collections.Frozen;
using Akka.Actor;
using Akka.Serialization;

namespace MptcpActors.Cluster;

/// <summary>
/// Hyperion for the engine's cross-node messages, reading only <see cref="EngineMessages"/>' types: a peer naming
/// any other type in its bytes gets the message refused (logged by remoting), never an object of that type.
/// </summary>
public sealed class EngineSerializer : HyperionSerializer
{
    public EngineSerializer(ExtendedActorSystem system) : base(system, Restricted)
    {
    }

    /// <summary>Hyperion's defaults (object references preserved, version tolerance), unsafe types refused, and the allow-list.</summary>
    private static HyperionSerializerSettings Restricted
    {
        get
        {
            var s = HyperionSerializerSettings.Default;
            return new HyperionSerializerSettings(s.PreserveObjectReferences, s.VersionTolerance, s.KnownTypesProvider, s.PackageNameOverrides,
                s.Surrogates, disallowUnsafeType: true, typeFilter: new EngineTypeFilter());
        }
    }
}

/// <summary>
/// The allow-list of <see cref="EngineSerializer"/>. Hyperion asks with a type's short name ("Type, Assembly") when
/// reading and its full assembly-qualified name when writing, so the version part is ignored.
/// </summary>
public sealed class EngineTypeFilter : Hyperion.ITypeFilter
{
    private static readonly FrozenSet<string> Allowed = EngineMessages.CrossNode.Concat(EngineMessages.Contents)
        .Select(t => $"{t.FullName}, {t.Assembly.GetName().Name}").ToFrozenSet();

    public bool IsAllowed(string typeName)
    {
        var version = typeName.IndexOf(", Version=", StringComparison.Ordinal);
        return Allowed.Contains(version < 0 ? typeName : typeName[..version]);
    }
}
