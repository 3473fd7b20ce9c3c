using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Hosting;
using Akka.Remote.Hosting;
using MptcpActors.Actors.Configuration;
using MptcpActors.Actors.Embedding;
using MptcpActors.Cluster;
using NodeOptions = MptcpActors.Cluster.ClusterOptions;

namespace MptcpActors.Hosting;

/// <summary>The key of the node's MPTCP manager in Akka.Hosting's registry: inject <c>IRequiredActor&lt;MptcpManagerKey&gt;</c>.</summary>
public sealed class MptcpManagerKey;

public static class MptcpAkkaHostingExtensions
{
    /// <summary>
    /// Runs an MPTCP engine node in the hosted actor system: <paramref name="options"/> go over the engine's defaults
    /// (and over any <c>mptcp</c> HOCON added before), the node starts with the system (<see cref="Mptcp.Get"/>), and
    /// its manager is registered as <see cref="MptcpManagerKey"/>. The options are validated here, so a bad value
    /// fails the host's configuration with a <see cref="MptcpConfigurationException"/> naming its HOCON key. With
    /// <see cref="MptcpOptions.Cluster"/> the node joins the service's cluster (Akka.Cluster.Hosting: remoting on the
    /// cluster address, seeds, role, keep-majority split-brain resolver), its tokens go to the cluster's shard region
    /// and its signal endpoints are shared with the other nodes; the host's start waits until the node is a member.
    /// With <see cref="MptcpClusterOptions.TlsCertificate"/> the cluster link is mutual TLS; a certificate that cannot
    /// be read fails the configuration with a <see cref="ClusterTlsException"/>.
    /// </summary>
    public static AkkaConfigurationBuilder WithMptcp(this AkkaConfigurationBuilder builder, MptcpOptions options, MptcpSetup? setup = null)
    {
        var config = MptcpHocon.From(options);
        MptcpSettings.Create(config);
        builder.AddHocon(config, HoconAddMode.Prepend);
        if (options.Cluster is { } cluster)
        {
            var tls = cluster.TlsCertificate is null ? null : ClusterTls.Load(cluster.TlsCertificate, cluster.TlsPassword, cluster.TlsAuthority);
            WithCluster(builder, new NodeOptions(cluster.Host, cluster.Port, cluster.Seeds) { Tls = tls });
            setup = new MptcpSetup { SimulatedLink = setup?.SimulatedLink, OpenDevice = setup?.OpenDevice, TokenRegistry = system => JoinService(system, cluster.Seeds.Count == 0) };
        }
        if (setup is not null) builder.AddSetup(setup);
        return builder.WithActors((system, registry) =>
        {
            var manager = Mptcp.Get(system).Manager;
            registry.Register<MptcpManagerKey>(manager);
            if (options.Cluster is not null) MptcpCluster.ShareSignalEndpoints(system, manager);
        });
    }

    private static void WithCluster(AkkaConfigurationBuilder builder, NodeOptions node)
    {
        if (!System.Net.IPAddress.TryParse(node.Host, out _))
            throw new ArgumentException($"mptcp cluster host '{node.Host}' is not an IP address (remoting binds to the cluster network's address only)");
        var remote = new RemoteOptions { HostName = node.Host, Port = node.Port, MaxFrameSize = NodeOptions.MaximumFrameSizeBytes };
        if (node.Tls is { } tls)
        {
            remote.EnableSsl = true;
            remote.Ssl = new SslOptions
            {
                X509Certificate = tls.Certificate, SuppressValidation = false, RequireMutualAuthentication = true,
                ValidateCertificateHostname = false, CustomValidator = tls.Validator,
            };
        }
        builder.WithRemoting(remote)
            .WithClustering(new Akka.Cluster.Hosting.ClusterOptions
            {
                Roles = [MptcpCluster.Role],
                SeedNodes = MptcpCluster.SeedAddresses(node).ToArray(),
                SplitBrainResolver = new KeepMajorityOption(),
            })
            .AddHocon(MptcpCluster.EngineConfig(), HoconAddMode.Append);
    }

    /// <summary>The node's part of the token registry, once it is a member (a node without seeds joins itself).</summary>
    private static ShardedTokenRegistry JoinService(ActorSystem system, bool alone)
    {
        if (system.Name != NodeOptions.SystemName)
            throw new InvalidOperationException($"an mptcp cluster node's actor system must be named '{NodeOptions.SystemName}' (AddAkka(\"{NodeOptions.SystemName}\", ...)), not '{system.Name}'");
        if (alone) Akka.Cluster.Cluster.Get(system).Join(Akka.Cluster.Cluster.Get(system).SelfAddress);
        return MptcpCluster.StartAsync(system).GetAwaiter().GetResult();
    }

    /// <inheritdoc cref="WithMptcp(AkkaConfigurationBuilder, MptcpOptions, MptcpSetup?)"/>
    public static AkkaConfigurationBuilder WithMptcp(this AkkaConfigurationBuilder builder, Action<MptcpOptions> configure, MptcpSetup? setup = null)
    {
        var options = new MptcpOptions();
        configure(options);
        return builder.WithMptcp(options, setup);
    }
}
