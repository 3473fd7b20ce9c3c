using Akka.Hosting;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Embedding;

namespace MptcpActors.Hosting;

/// <summary>The key of the node's MPTCP manager in Akka.Hosting's registry: inject <c>IRequiredActor&lt;MptcpManagerKey&gt;</c>.</summary>
public sealed class MptcpManagerKey;

public static class MptcpAkkaHostingExtensions
{
    /// <summary>
    /// Runs an MPTCP engine node in the hosted actor system: <paramref name="options"/> go over the engine's defaults
    /// (and over any <c>mptcp</c> HOCON added before), the node starts with the system (<see cref="Mptcp.Get"/>), and
    /// its manager is registered as <see cref="MptcpManagerKey"/>. The options are validated here, so a bad value
    /// fails the host's configuration with a <see cref="MptcpConfigurationException"/> naming its HOCON key.
    /// </summary>
    public static AkkaConfigurationBuilder WithMptcp(this AkkaConfigurationBuilder builder, MptcpOptions options, MptcpSetup? setup = null)
    {
        var config = MptcpHocon.From(options);
        MptcpSettings.Create(config);
        builder.AddHocon(config, HoconAddMode.Prepend);
        if (setup is not null) builder.AddSetup(setup);
        return builder.WithActors((system, registry) => registry.Register<MptcpManagerKey>(Mptcp.Get(system).Manager));
    }

    /// <inheritdoc cref="WithMptcp(AkkaConfigurationBuilder, MptcpOptions, MptcpSetup?)"/>
    public static AkkaConfigurationBuilder WithMptcp(this AkkaConfigurationBuilder builder, Action<MptcpOptions> configure, MptcpSetup? setup = null)
    {
        var options = new MptcpOptions();
        configure(options);
        return builder.WithMptcp(options, setup);
    }
}
