using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http.Features;
using Sandbox.Server.Services;

namespace Sandbox.Server.Api.Leap0;

/// <summary>
/// Where leap0's data plane listens: the HTTPS listener of <see cref="ServerOptions.DataPlaneListen"/>, its domain
/// (<c>sandbox.localhost:PORT</c>, what <c>LEAP0_SANDBOX_DOMAIN</c> must say) and the CA file clients trust.
/// </summary>
public sealed class DataPlane(ServerOptions options)
{
    /// <summary>The port <c>https://{id}.{domain}</c> (no port in the host) reaches: what a URL without a port names.</summary>
    public const int DefaultPort = 80;

    public bool Enabled => Listen is not null;
    public string Host => options.DataPlaneHost;
    public string CaFile => DataPlaneTls.CaFileIn(options.DataDir);

    /// <summary>
    /// Where it listens, port chosen now: a free one for port 0 (so that the domain is known before the server listens:
    /// sandboxes' egress rules, applied while reconciling, close it).
    /// </summary>
    public IPEndPoint? Listen { get; } = options.DataPlaneListen is not { } e ? null
        : e.Port == 0 ? new IPEndPoint(e.Address, FreePort(e.Address)) : e;

    public int Port => Listen?.Port ?? throw new InvalidOperationException("the data plane is off");

    /// <summary><c>sandbox.localhost:PORT</c>, or null when the data plane is off.</summary>
    public string? Domain => Enabled ? $"{Host}:{Port}" : null;

    /// <summary>A presigned URL's address: the token is the host's first label.</summary>
    public string PresignedUrl(string token) => $"https://{token}.{Domain}";

    /// <summary>
    /// True for requests that came in over the data plane. The control plane's listener is plain HTTP, so TLS alone
    /// tells them apart, from the first byte of a connection on (no port bookkeeping that could lag behind the bind).
    /// </summary>
    public static bool Serves(HttpContext ctx) => ctx.Request.IsHttps;

    private static int FreePort(IPAddress address)
    {
        using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}

/// <summary>
/// leap0's data plane: every request on the HTTPS listener ends here, never in the control-plane routes. The host's
/// first label names what is reached: <c>{id}</c> (port <see cref="DataPlane.DefaultPort"/>) or <c>{id}-{port}</c>,
/// with the API key as <c>/v1</c> takes it (the header that carried it is not passed on into the sandbox); or a
/// presigned URL's token, which opens its one sandbox port without the key. The traffic goes through the service-URL
/// proxy (<see cref="ServiceProxy"/>): only ports inside the named sandbox's own network namespace are ever reached.
/// </summary>
public sealed class Leap0DataPlaneMiddleware(RequestDelegate next, string apiKey)
{
    private readonly byte[] _key = System.Text.Encoding.UTF8.GetBytes(apiKey);

    public async Task InvokeAsync(HttpContext ctx, DataPlane plane, SandboxManager manager, ServiceTokens tokens, ServiceProxy proxy)
    {
        if (!DataPlane.Serves(ctx))
        {
            await next(ctx);
            return;
        }
        var req = ctx.Request;
        var host = req.Host.Host.TrimEnd('.').ToLowerInvariant();
        var suffix = "." + plane.Host;
        var label = host.EndsWith(suffix, StringComparison.Ordinal) ? host[..^suffix.Length] : "";
        if (label.Length == 0 || label.Contains('.')) throw UnknownHost(req, plane);

        string sandboxId;
        int port;
        if (IsSandboxId(label))
            (sandboxId, port) = (label, DataPlane.DefaultPort);
        else if (label.LastIndexOf('-') is var dash and > 0 && IsSandboxId(label[..dash]) && ParsePort(label[(dash + 1)..]) is { } p)
            (sandboxId, port) = (label[..dash], p);
        else
        {
            var (problem, record) = tokens.Open(label);
            if (problem == ServiceTokenProblem.Expired)
                throw new ApiException(403, "Forbidden", $"the presigned URL expired at {record!.ExpiresAt:O}; create a new one (POST /v1/sandbox/{{id}}/presigned-url)");
            if (record is null) throw UnknownHost(req, plane);
            (sandboxId, port) = (record.SandboxId, record.Port);
            await ProxyAsync(ctx, manager, proxy, sandboxId, port);
            return;
        }
        // The key before the lookup: without it, nobody learns which sandbox ids exist.
        var carrier = ApiKeyMiddleware.CheckLeap0(req.Headers, _key);
        req.Headers.Remove(carrier); // the server's key is not the sandbox's business
        await ProxyAsync(ctx, manager, proxy, sandboxId, port);
    }

    private static async Task ProxyAsync(HttpContext ctx, SandboxManager manager, ServiceProxy proxy, string sandboxId, int port)
    {
        manager.GetById(sandboxId); // 404 for an id that is not a sandbox
        var sandbox = await manager.RequireReadyAsync(sandboxId, wakeStopped: false); // a paused sandbox resumes, as on /v1
        manager.Touch(sandbox.Id);
        var rawTarget = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var target = rawTarget is not null && rawTarget.StartsWith('/') ? rawTarget : (ctx.Request.Path + ctx.Request.QueryString).ToString();
        if (ctx.WebSockets.IsWebSocketRequest) await proxy.ProxyWebSocketAsync(ctx, sandbox, port, target);
        else await proxy.ProxyHttpAsync(ctx, sandbox, port, target, forwardedPrefix: null);
    }

    private static ApiException UnknownHost(HttpRequest req, DataPlane plane) =>
        ApiException.NotFound("NotFound", $"nothing is served at host '{req.Host.Host}': the data plane answers {{id}}.{plane.Host}, {{id}}-{{port}}.{plane.Host} and presigned-URL hosts");

    /// <summary>A sandbox id as the server makes them: a lower-case UUID (a valid DNS label).</summary>
    private static bool IsSandboxId(string label) => label.Length == 36 && Guid.TryParseExact(label, "D", out _);

    private static int? ParsePort(string text) =>
        text.Length is > 0 and <= 5 && text.All(char.IsAsciiDigit) && int.Parse(text) is var p and >= 1 and <= 65535 && text[0] != '0' ? p : null;
}
