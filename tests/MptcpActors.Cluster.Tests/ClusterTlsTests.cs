using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.TestKit.Xunit2;
using MptcpActors.Transport.Sim;

namespace MptcpActors.Cluster.Tests;

/// <summary>
/// TLS on the cluster link: which certificates a node accepts, nodes with the service certificate forming a
/// cluster that carries a connection, and nodes without it (no TLS, another certificate) never becoming members.
/// </summary>
public class ClusterTlsTests(Xunit.Abstractions.ITestOutputHelper output) : TestKit("akka.loglevel = INFO", output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private readonly TestCertificates _files = new();

    protected override void Dispose(bool disposing)
    {
        _files.Dispose();
        base.Dispose(disposing);
    }

    [Fact]
    public void A_node_accepts_the_service_certificate_and_those_its_authority_issued_nothing_else()
    {
        var service = TestCertificates.SelfSigned("mptcp-service");
        var authority = TestCertificates.SelfSigned("mptcp-ca", authority: true);
        var issued = TestCertificates.IssuedBy(authority, "node-b");
        var stranger = TestCertificates.SelfSigned("mptcp-service"); // same name, another key
        var strangersIssue = TestCertificates.IssuedBy(TestCertificates.SelfSigned("other-ca", authority: true), "node-b");

        var shared = _files.Tls(service);
        Assert.True(shared.Accepts(service));
        Assert.False(shared.Accepts(stranger));
        Assert.False(shared.Accepts(issued));
        Assert.False(shared.Accepts(null));

        var perNode = _files.Tls(TestCertificates.IssuedBy(authority, "node-a"), authority);
        Assert.True(perNode.Accepts(issued));
        Assert.False(perNode.Accepts(strangersIssue));
        Assert.False(perNode.Accepts(stranger));
    }

    [Fact]
    public void A_certificate_that_cannot_be_used_is_a_typed_error_naming_the_file()
    {
        var service = TestCertificates.SelfSigned("mptcp-service");
        var pfx = _files.Pfx(service, "secret");
        Assert.Contains(pfx, Assert.Throws<ClusterTlsException>(() => ClusterTls.Load(pfx, "wrong")).Message);
        Assert.Contains("/nonexistent/node.pfx", Assert.Throws<ClusterTlsException>(() => ClusterTls.Load("/nonexistent/node.pfx", null)).Message);
        using var publicOnly = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(service.RawData);
        var keyless = _files.Pfx(publicOnly, "secret");
        Assert.Contains("no private key", Assert.Throws<ClusterTlsException>(() => ClusterTls.Load(keyless, "secret")).Message);
        Assert.Contains("authority", Assert.Throws<ClusterTlsException>(() => ClusterTls.Load(pfx, "secret", "/nonexistent/ca.pem")).Message);
    }

    [Fact]
    public void Nodes_with_the_service_certificate_form_a_cluster_over_tls_and_a_connection_moves_data_across_them()
    {
        var tls = _files.Tls(TestCertificates.SelfSigned("mptcp-service"));
        using var cluster = new SimCluster(Sys, new LinkParameters(RateBps: 20e6, Delay: TimeSpan.FromMilliseconds(5), QueueLimitPackets: 200), tls: tls);
        Assert.True(cluster.A.Settings.Config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl"));
        ClusterTransfer.AssertTransferAcrossNodes(this, cluster, 2 << 20, 11);
    }

    [Fact]
    public void A_node_without_tls_never_becomes_a_member_of_a_tls_cluster() =>
        AssertRefused(intruder: null, refusal: "due to TLS handshake failure");

    [Fact]
    public void A_node_with_another_certificate_never_becomes_a_member_and_the_refusal_is_logged() =>
        AssertRefused(intruder: _files.Tls(TestCertificates.SelfSigned("mptcp-service")), refusal: "cluster TLS: refused");

    /// <summary>
    /// A one-node TLS cluster and an intruder joining it: its attempt fails with a log line containing
    /// <paramref name="refusal"/> (on either side). A node without TLS retries and is refused again; a node with TLS
    /// whose handshake failed is stopped by Akka.Remote itself. Either way the service never sees it as a member.
    /// </summary>
    private void AssertRefused(ClusterTls? intruder, string refusal)
    {
        var service = _files.Tls(TestCertificates.SelfSigned("mptcp-service"));
        using var node = Node(service);
        using var other = Node(intruder);
        var refusals = CreateTestProbe();
        foreach (var system in new[] { node.System, other.System })
            system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new Forward(refusals.Ref))), typeof(LogEvent));
        SimCluster.AkkaCluster(node.System).Join(SimCluster.AkkaCluster(node.System).SelfAddress);
        SimCluster.AwaitUp(node.System, 1);
        // The intruder's own protocol in the address: a node without TLS speaks plain TCP to the TLS port.
        var target = SimCluster.AkkaCluster(node.System).SelfAddress;
        SimCluster.AkkaCluster(other.System).Join(intruder is null ? new Address("akka.tcp", target.System, target.Host, target.Port) : target);

        bool Refusal(LogEvent e) => e.Message?.ToString()?.Contains(refusal) == true;
        refusals.FishForMessage<LogEvent>(Refusal, Wait);
        if (intruder is null) refusals.FishForMessage<LogEvent>(Refusal, Wait); // the join retried, refused again
        else Assert.True(other.System.WhenTerminated.Wait(Wait), "the node whose TLS handshake failed still runs");
        Assert.Single(SimCluster.AkkaCluster(node.System).State.Members);
        Assert.DoesNotContain(SimCluster.AkkaCluster(other.System).State.Members, m => m.Status == Akka.Cluster.MemberStatus.Up);
    }

    private sealed record TestNode(ActorSystem System) : IDisposable
    {
        public void Dispose() => System.Terminate().Wait(TimeSpan.FromSeconds(30));
    }

    private static TestNode Node(ClusterTls? tls)
    {
        var options = new ClusterOptions("127.0.0.1", 0, []) { Tls = tls };
        var config = ConfigurationFactory.ParseString("akka.loglevel = DEBUG\nakka.cluster.seed-node-timeout = 2s\nakka.cluster.retry-unsuccessful-join-after = 2s")
            .WithFallback(MptcpCluster.Config(options));
        return new TestNode(ActorSystem.Create(ClusterOptions.SystemName, MptcpCluster.SystemSetup(options, config)));
    }

    private sealed class Forward : ReceiveActor
    {
        public Forward(IActorRef to) => ReceiveAny(to.Tell);
    }
}
