using Akka.Actor.Setup;
using MptcpActors.Actors.Configuration;
using MptcpActors.Transport.Devices;
using MptcpActors.Transport.Sim;

namespace MptcpActors.Actors.Embedding;

/// <summary>
/// What the extension takes from code rather than HOCON (an <see cref="ActorSystemSetup"/> part): the behaviour of
/// simulated links, how raw interfaces are opened. Everything has a default; most hosts never give one.
/// </summary>
public sealed class MptcpSetup : Setup
{
    /// <summary>The link of a <c>transport = sim</c> interface (default <see cref="MptcpExt.DefaultSimulatedLink"/>).</summary>
    public Func<InterfaceSettings, LinkParameters>? SimulatedLink { get; init; }

    /// <summary>Opens a <c>transport = raw</c> interface by name (default: an AF_PACKET socket).</summary>
    public Func<string, IFrameDevice>? OpenDevice { get; init; }

    /// <summary>
    /// How the node finds connections by token (default: its own, alone); a cluster node gives the cluster's shard
    /// region (MptcpActors.Cluster). Not used with <c>sim</c> interfaces, whose two nodes share one system.
    /// </summary>
    public Func<Akka.Actor.ActorSystem, Connection.ITokenRegistry>? TokenRegistry { get; init; }
}
