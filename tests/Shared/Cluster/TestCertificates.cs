using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MptcpActors.Cluster.Tests;

/// <summary>Certificates made for a test (RSA, valid from yesterday to tomorrow) and written to temporary .pfx files it deletes.</summary>
public sealed class TestCertificates : IDisposable
{
    private readonly List<string> _files = [];

    public static X509Certificate2 SelfSigned(string name, bool authority = false)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        if (authority)
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        }
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    public static X509Certificate2 IssuedBy(X509Certificate2 authority, string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var issued = request.Create(authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(20), RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>The certificate (with its key, if it has one) in a temporary PKCS#12 file under <paramref name="password"/>.</summary>
    public string Pfx(X509Certificate2 certificate, string password) => Write(certificate.Export(X509ContentType.Pkcs12, password), ".pfx");

    /// <summary>The certificate alone (DER), as an authority's certificate is handed out.</summary>
    public string Der(X509Certificate2 certificate) => Write(certificate.Export(X509ContentType.Cert), ".cer");

    /// <summary>The service certificate loaded as a node would load it from its file.</summary>
    public ClusterTls Tls(X509Certificate2 certificate, X509Certificate2? authority = null) =>
        ClusterTls.Load(Pfx(certificate, "secret"), "secret", authority is null ? null : Der(authority));

    private string Write(byte[] bytes, string extension)
    {
        var path = Path.Combine(Path.GetTempPath(), $"mptcp-test-{Guid.NewGuid():N}{extension}");
        File.WriteAllBytes(path, bytes);
        _files.Add(path);
        return path;
    }

    public void Dispose()
    {
        foreach (var f in _files) File.Delete(f);
    }
}
