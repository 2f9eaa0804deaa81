using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sandbox.Server.Runtime;

namespace Sandbox.Server;

/// <summary>
/// The data plane's TLS (see Api/Leap0/Leap0DataPlane.cs): a local CA made once in <c>DATA/tls/</c> (<c>ca.crt</c> 0644
/// for clients to trust, <c>ca.key</c> 0600), and at each start a fresh leaf for <c>{domain}</c> and <c>*.{domain}</c>
/// signed by it, kept in memory only. ECDSA P-256 throughout: quick to make, accepted by OpenSSL, .NET and browsers.
/// </summary>
public static class DataPlaneTls
{
    public static string CaFileIn(string dataDir) => Path.Combine(dataDir, "tls", "ca.crt");
    private static string CaKeyIn(string dataDir) => Path.Combine(dataDir, "tls", "ca.key");

    /// <summary>The CA of this data dir, made on first use; a pair that does not load (half-written, edited) is made again.</summary>
    public static X509Certificate2 LoadOrCreateCa(string dataDir)
    {
        var dir = Path.Combine(dataDir, "tls");
        Directory.CreateDirectory(dir);
        // Readable by everyone who may enter the data dir: the certificate is public, the key (0600) is not.
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        string certPath = CaFileIn(dataDir), keyPath = CaKeyIn(dataDir);
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            try
            {
                var existing = X509Certificate2.CreateFromPemFile(certPath, keyPath);
                if (existing.NotAfter > DateTime.Now.AddDays(30)) return existing;
            }
            catch (CryptographicException)
            {
                // Made again below; clients trusting the old file must read it again.
            }
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=Sandbox local server CA ({Environment.MachineName}), O=Sandbox", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        var ca = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        PrivateFile.Write(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        File.WriteAllText(certPath + ".tmp", ca.ExportCertificatePem() + "\n");
        File.SetUnixFileMode(certPath + ".tmp", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.Move(certPath + ".tmp", certPath, overwrite: true);
        return X509Certificate2.CreateFromPemFile(certPath, keyPath);
    }

    /// <summary>A leaf for <paramref name="hostName"/> and its subdomains (one label deep, as wildcards go), valid 90 days.</summary>
    public static X509Certificate2 CreateLeaf(X509Certificate2 ca, string hostName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={hostName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(hostName);
        names.AddDnsName("*." + hostName);
        request.CertificateExtensions.Add(names.Build(critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // serverAuth
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var now = DateTimeOffset.UtcNow;
        var notAfter = now.AddDays(90) < ca.NotAfter ? now.AddDays(90) : ca.NotAfter.ToUniversalTime();
        using var signed = request.Create(ca, now.AddDays(-1), notAfter, RandomNumberGenerator.GetBytes(16));
        using var withKey = signed.CopyWithPrivateKey(key);
        // Through PKCS#12 so that the key outlives this method's ECDsa (SslStream needs it for every handshake).
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
