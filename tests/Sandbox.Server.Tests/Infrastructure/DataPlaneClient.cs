using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Sandbox.Server.Tests.Infrastructure;

/// <summary>
/// A client of leap0's data plane as the SDK is one with <c>SSL_CERT_FILE</c> set: it trusts only the CA file the server
/// names in its ready line, checks the host name against the certificate, and resolves every <c>*.{domain}</c> host to
/// 127.0.0.1 (as <c>*.localhost</c> resolves by RFC 6761), so Host and SNI are the URL's own.
/// </summary>
public sealed class DataPlaneClient : IDisposable
{
    public string Domain { get; }
    public string CaFile { get; }
    public HttpClient Http { get; }
    /// <summary>The server certificate of the last handshake, and whether its chain built to the CA with the host's name on it.</summary>
    public X509Certificate2? LastCertificate { get; private set; }
    public bool LastCertificateValid { get; private set; }
    private readonly X509Certificate2 _ca;

    public DataPlaneClient(ServerProcess s)
    {
        var ready = s.Ready ?? throw new InvalidOperationException("no ready line");
        Domain = ready.DataPlaneDomain ?? throw new InvalidOperationException("the server's ready line names no data plane");
        CaFile = ready.DataPlaneCaFile ?? throw new InvalidOperationException("the server's ready line names no CA file");
        _ca = X509CertificateLoader.LoadCertificateFromFile(CaFile);
        var port = int.Parse(Domain[(Domain.LastIndexOf(':') + 1)..]);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.Zero, // every request its own handshake: the certificate check runs each time
            ConnectCallback = async (ctx, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, ctx.DnsEndPoint.Port == 0 ? port : ctx.DnsEndPoint.Port), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Validate },
        };
        Http = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(2) };
    }

    /// <summary>Only the server's CA is trusted (not the machine's store); a name mismatch fails as it would for the SDK.</summary>
    private bool Validate(object sender, X509Certificate? certificate, X509Chain? _, SslPolicyErrors errors)
    {
        LastCertificate = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        LastCertificateValid = false;
        if (LastCertificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        LastCertificateValid = chain.Build(LastCertificate) && chain.ChainElements[^1].Certificate.Thumbprint == _ca.Thumbprint;
        return LastCertificateValid;
    }

    /// <summary><c>https://{label}.{domain}{path}</c>.</summary>
    public Uri Url(string label, string path = "/") => new($"https://{label}.{Domain}{path}");

    /// <summary>A request with optional headers (e.g. the API key as the SDK sends it); the body read whole.</summary>
    public async Task<Resp> SendAsync(Uri url, params (string Name, string Value)[] headers)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, url);
        foreach (var (name, value) in headers) req.Headers.TryAddWithoutValidation(name, value);
        using var res = await Http.SendAsync(req);
        return new Resp(res.StatusCode, await res.Content.ReadAsStringAsync(), res.Headers, res.Content.Headers);
    }

    public void Dispose()
    {
        Http.Dispose();
        _ca.Dispose();
    }
}
