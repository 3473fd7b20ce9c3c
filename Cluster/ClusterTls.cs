using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace MptcpActors.Cluster;

/// <summary>
/// TLS on the cluster's remoting (Akka.Remote's DotNetty transport), mutual: every node presents its certificate
/// and accepts a peer only if the peer's certificate is the same as its own (one service certificate copied to every
/// node, self-signed is fine) or, with an <see cref="Authority"/>, was issued by that authority (a certificate per
/// node). The system's trusted roots are deliberately not enough: any publicly issued certificate would otherwise
/// let its holder join the service.
/// </summary>
public sealed class ClusterTls
{
    private ClusterTls(X509Certificate2 certificate, X509Certificate2? authority)
    {
        Certificate = certificate;
        Authority = authority;
    }

    /// <summary>This node's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The certificate authority whose certificates are accepted besides <see cref="Certificate"/> itself.</summary>
    public X509Certificate2? Authority { get; }

    /// <summary>
    /// Loads the node's certificate from a PKCS#12 file (.pfx) and the authority from a certificate file (PEM or DER).
    /// A missing or unreadable file, a wrong password or a certificate without its private key is a
    /// <see cref="ClusterTlsException"/> naming what is wrong.
    /// </summary>
    public static ClusterTls Load(string pfxPath, string? password, string? authorityPath = null)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(pfxPath, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ClusterTlsException($"cannot read the certificate '{pfxPath}': {e.Message}", e);
        }
        if (!certificate.HasPrivateKey) throw new ClusterTlsException($"the certificate '{pfxPath}' holds no private key");
        X509Certificate2? authority = null;
        if (authorityPath is not null)
        {
            try
            {
                authority = X509CertificateLoader.LoadCertificateFromFile(authorityPath);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new ClusterTlsException($"cannot read the certificate authority '{authorityPath}': {e.Message}", e);
            }
        }
        return new ClusterTls(certificate, authority);
    }

    /// <summary>The configuration part: the DotNetty transport with TLS (the certificate comes by <see cref="Setup"/>).</summary>
    public const string Hocon = "akka.remote.dot-netty.tcp.enable-ssl = true";

    /// <summary>What the actor system needs besides <see cref="Hocon"/>: the certificate, mutual authentication and <see cref="Accepts"/>.</summary>
    public DotNettySslSetup Setup() => new(Certificate, suppressValidation: false, requireMutualAuthentication: true,
        validateCertificateHostname: false, customValidator: Validator);

    /// <summary>The transport's check of a peer's certificate: <see cref="Accepts"/>, with a log line for a refused one.</summary>
    public CertificateValidationCallback Validator => Validate;

    /// <summary>Whether a peer presenting <paramref name="peer"/> belongs to the service.</summary>
    public bool Accepts(X509Certificate2? peer)
    {
        if (peer is null) return false;
        if (peer.RawDataMemory.Span.SequenceEqual(Certificate.RawDataMemory.Span)) return true;
        if (Authority is null) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(peer);
    }

    // The transport's chain errors are ignored on purpose: a self-signed service certificate never chains to a system root.
    private bool Validate(X509Certificate2? certificate, X509Chain? chain, string peer, SslPolicyErrors errors, ILoggingAdapter log)
    {
        if (Accepts(certificate)) return true;
        log.Warning("cluster TLS: refused {0}: its certificate {1} is neither this service's certificate{2}", peer,
            certificate?.Subject ?? "(none)", Authority is null ? "" : $" nor issued by {Authority.Subject}");
        return false;
    }
}

/// <summary>The cluster's TLS settings cannot be used (file, password, key).</summary>
public sealed class ClusterTlsException(string message, Exception? inner = null) : Exception(message, inner);
