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
/// The allow-list of <see cref="EngineSerializer"/>. Hyperion asks with a type's short name when reading ("Type, Assembly",
/// the core library written "%core%") and its assembly-qualified name when writing; generic arguments are named the same
/// way inside brackets. Both are compared without versions, cultures, key tokens and the core marker.
/// </summary>
public sealed partial class EngineTypeFilter : Hyperion.ITypeFilter
{
    private static readonly FrozenSet<string> Allowed = EngineMessages.CrossNode.Concat(EngineMessages.Contents)
        .Select(t => Normalized(t.AssemblyQualifiedName!)).ToFrozenSet();

    public bool IsAllowed(string typeName) => Allowed.Contains(Normalized(typeName));

    private static string Normalized(string typeName) => AssemblyDetails().Replace(typeName, "");

    [System.Text.RegularExpressions.GeneratedRegex(@", Version=[^,\]]+, Culture=[^,\]]+, PublicKeyToken=[^,\]]+|,%core%")]
    private static partial System.Text.RegularExpressions.Regex AssemblyDetails();
}
