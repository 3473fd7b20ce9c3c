using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MptcpActors.Cluster;

namespace MptcpActors.Hosting.Tests;

/// <summary>Hosted nodes join the service's cluster from <see cref="MptcpOptions.Cluster"/> (Akka.Cluster.Hosting).</summary>
public class HostedClusterTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    private static IHost Node(string? pfx, int port, params int[] seeds)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka(ClusterOptions.SystemName, b => b
            .AddHocon("akka.loglevel = WARNING", HoconAddMode.Prepend)
            .WithMptcp(o => o.Cluster = new MptcpClusterOptions
            {
                Host = "127.0.0.1", Port = port, Seeds = [.. seeds.Select(s => $"127.0.0.1:{s}")], TlsCertificate = pfx, TlsPassword = pfx is null ? null : Password,
            }));
        return builder.Build();
    }

    private const string Password = "secret";

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>
    /// Node A (no seeds: it forms the cluster) and node B (seed A) start as hosted services; both end up Up in one
    /// cluster, remoting bound to the address and port given, the split-brain resolver keep-majority, the token
    /// registry's region running on each, and each node's manager registered for injection. With a certificate, the
    /// same over mutual TLS (akka.ssl.tcp addresses).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Two_hosted_nodes_form_the_service_cluster_from_options(bool tls)
    {
        using var files = new MptcpActors.Cluster.Tests.TestCertificates();
        var pfx = tls ? files.Pfx(MptcpActors.Cluster.Tests.TestCertificates.SelfSigned("mptcp-service"), Password) : null;
        var portA = FreePort();
        var portB = FreePort();
        using var a = Node(pfx, portA);
        await a.StartAsync().WaitAsync(Wait);
        using var b = Node(pfx, portB, portA);
        await b.StartAsync().WaitAsync(Wait);
        try
        {
            foreach (var (host, port) in new[] { (a, portA), (b, portB) })
            {
                var system = host.Services.GetRequiredService<ActorSystem>();
                var cluster = Akka.Cluster.Cluster.Get(system);
                Assert.Equal((tls ? "akka.ssl.tcp" : "akka.tcp", "127.0.0.1", port), (cluster.SelfAddress.Protocol, cluster.SelfAddress.Host, cluster.SelfAddress.Port!.Value));
                var until = DateTime.UtcNow + Wait;
                while (cluster.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) < 2 && DateTime.UtcNow < until) await Task.Delay(100);
                Assert.Equal(2, cluster.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up));
                Assert.Contains(MptcpCluster.Role, cluster.SelfRoles);
                Assert.Equal("keep-majority", system.Settings.Config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
                Assert.Contains("SplitBrainResolverProvider", system.Settings.Config.GetString("akka.cluster.downing-provider-class"));
                Assert.NotNull(ClusterSharding.Get(system).ShardRegion(MptcpCluster.TypeName));
                Assert.NotNull(await host.Services.GetRequiredService<ActorRegistry>().GetAsync<MptcpManagerKey>().WaitAsync(Wait));
                Assert.IsType<EngineSerializer>(system.Serialization.FindSerializerFor(new TokenEnvelope(1, LookupConnection.Instance)));
            }
        }
        finally
        {
            await b.StopAsync().WaitAsync(Wait);
            await a.StopAsync().WaitAsync(Wait);
        }
    }

    [Fact]
    public void A_cluster_host_that_is_not_an_address_fails_the_configuration()
    {
        var e = Assert.Throws<ArgumentException>(() =>
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Services.AddAkka(ClusterOptions.SystemName, b => b.WithMptcp(o => o.Cluster = new MptcpClusterOptions { Host = "0.0.0.0.0" }));
            using var host = builder.Build();
            host.Services.GetRequiredService<ActorSystem>();
        });
        Assert.Contains("not an IP address", e.Message);
    }

    [Fact]
    public void A_cluster_certificate_that_cannot_be_read_fails_the_configuration()
    {
        var e = Assert.Throws<ClusterTlsException>(() =>
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Services.AddAkka(ClusterOptions.SystemName, b => b.WithMptcp(o =>
                o.Cluster = new MptcpClusterOptions { Host = "127.0.0.1", TlsCertificate = "/nonexistent/node.pfx" }));
            using var host = builder.Build();
            host.Services.GetRequiredService<ActorSystem>();
        });
        Assert.Contains("/nonexistent/node.pfx", e.Message);
    }
}
