using Akka.Actor;

namespace MptcpActors.Actors.Embedding;

/// <summary>
/// The engine as an Akka.NET extension, the way Akka.IO's <c>Tcp.Get(system)</c> is TCP's: the first
/// <c>Mptcp.Get(system)</c> starts the node's actors from the system's <c>mptcp</c> configuration, every later call
/// returns the same <see cref="MptcpExt"/>.
/// </summary>
public sealed class Mptcp : ExtensionIdProvider<MptcpExt>
{
    public static readonly Mptcp Instance = new();

    /// <exception cref="Configuration.MptcpConfigurationException">The <c>mptcp</c> section is invalid.</exception>
    public static new MptcpExt Get(ActorSystem system) => Instance.Apply(system);

    public override MptcpExt CreateExtension(ExtendedActorSystem system) => new(system);
}
