using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Sandbox.Server.Services;
using Sandbox.Server.State;

namespace Sandbox.Server.Api;

/// <summary>
/// Service URLs: <c>POST /boxes/{name}/service-url</c> issues a token for one port of one sandbox, and
/// <c>/v2/sandboxes/service/{id}/{port}/...</c> proxies HTTP and WebSocket traffic to that port inside the
/// sandbox's network namespace, authorised by the token instead of the API key.
/// </summary>
public static class ServiceUrlEndpoints
{
    public const string ServicePath = "/v2/sandboxes/service";
    public const string TokenHeader = "X-Langsmith-Sandbox-Service-Token";
    public const string TokenQuery = "token";
    public const string TokenCookie = "sandbox_service_token";
    public const int DefaultExpiresInSeconds = 3600;
    public const int MaxExpiresInSeconds = 86400;

    /// <summary>True for requests the API-key check leaves alone: the token authorises them.</summary>
    public static bool IsServiceRequest(PathString path) => path.StartsWithSegments(ServicePath, StringComparison.Ordinal);

    /// <summary><c>POST /boxes/{name}/service-url</c> under a control-plane prefix.</summary>
    public static void MapIssue(RouteGroupBuilder api) => api.MapPost("/boxes/{name}/service-url", Create);

    /// <summary>The proxy itself, outside the control plane.</summary>
    public static void MapProxy(WebApplication app) =>
        app.Map(ServicePath + "/{id}/{port}/{**rest}", (string id, string port, HttpContext ctx, ServiceProxy proxy, ServiceTokens tokens, SandboxManager manager, TimeProvider clock) =>
            Proxy(id, port, ctx, proxy, tokens, manager, clock));

    public static string ServiceUrl(HttpRequest req, string id, int port) => $"{req.Scheme}://{req.Host}{ServicePath}/{id}/{port}";

    /// <summary>The service URL with the token in its query: opened in a browser, it sets the token cookie.</summary>
    public static string BrowserUrl(HttpRequest req, IssuedServiceToken issued) => $"{ServiceUrl(req, issued.SandboxId, issued.Port)}/?{TokenQuery}={issued.Token}";


    private static async Task<IResult> Create(string name, HttpRequest req, ServiceTokens tokens)
    {
        var body = await JsonInput.ReadAsync(req);
        var port = body.Integer("port", 1, 65535, required: true);
        var expiresIn = body.Integer("expires_in_seconds", 1, MaxExpiresInSeconds) ?? DefaultExpiresInSeconds;
        // Login modes need LangSmith's login; "off" (remove a login grant, mint a token) is token mode here: there are no grants.
        if (body.String("access") is { } access && access != "off")
            body.Fail("access", access is "restricted" or "workspace"
                ? $"access '{access}' (a LangSmith login) is not supported by the local server: it has no LangSmith login; omit access for a token URL"
                : "must be one of: restricted, workspace, off (the local server serves token URLs only: omit access or give off)");
        if (body.Has("embed_origins"))
            body.Fail("embed_origins", "embedding service URLs in other origins' frames is not supported by the local server; omit embed_origins");
        body.ThrowIfInvalidAsValueErrors();
        var issued = await tokens.IssueAsync(name, (int)port!.Value, expiresIn);
        var url = ServiceUrl(req, issued.SandboxId, issued.Port);
        return Results.Json(new
        {
            service_url = url,
            browser_url = BrowserUrl(req, issued),
            token = issued.Token,
            expires_at = issued.ExpiresAt,
        });
    }

    private static async Task Proxy(string id, string portText, HttpContext ctx, ServiceProxy proxy, ServiceTokens tokens, SandboxManager manager, TimeProvider clock)
    {
        if (!int.TryParse(portText, System.Globalization.NumberStyles.None, null, out var port) || port is < 1 or > 65535)
            throw ApiException.NotFound("NotFound", $"no route {ctx.Request.Method} {ctx.Request.Path}");
        var req = ctx.Request;
        var basePath = $"{ServicePath}/{id}/{port}";

        // Header first, then the browser URL's query parameter, then the cookie the browser URL set.
        string? token = req.Headers[TokenHeader];
        var fromQuery = false;
        if (string.IsNullOrEmpty(token) && req.Query.TryGetValue(TokenQuery, out var q) && !string.IsNullOrEmpty(q))
        {
            token = q;
            fromQuery = true;
        }
        if (string.IsNullOrEmpty(token)) token = req.Cookies[TokenCookie];
        if (string.IsNullOrEmpty(token))
            throw new ApiException(401, "Unauthorized", $"missing service token: send the {TokenHeader} header or open the browser URL");
        var (problem, record) = tokens.Check(token, id, port);
        if (problem == ServiceTokenProblem.Invalid)
            throw new ApiException(403, "Forbidden", "invalid service token for this sandbox and port");
        if (problem == ServiceTokenProblem.Expired)
            throw new ApiException(403, "Forbidden", $"the service token expired at {record!.ExpiresAt:O}; ask for a new service URL");
        var now = clock.GetUtcNow().UtcDateTime;

        var sandbox = await manager.RequireReadyAsync(id, wakeStopped: false);
        manager.Touch(id);

        var rawTarget = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (req.PathBase + req.Path + req.QueryString).ToString();
        var rawPath = rawTarget.Split('?', 2)[0];
        var rest = rawPath.Length > basePath.Length && rawPath.StartsWith(basePath, StringComparison.OrdinalIgnoreCase) ? rawPath[basePath.Length..] : "/";
        if (!rest.StartsWith('/')) rest = "/" + rest;
        var query = fromQuery ? WithoutToken(req.QueryString) : req.QueryString.Value ?? "";

        if (fromQuery && !ctx.WebSockets.IsWebSocketRequest && (HttpMethods.IsGet(req.Method) || HttpMethods.IsHead(req.Method)))
        {
            // The browser URL: keep the token in an HttpOnly cookie scoped to this service, and drop it from the address bar.
            ctx.Response.Cookies.Append(TokenCookie, token, new CookieOptions
            {
                Path = basePath + "/",
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = req.IsHttps,
                MaxAge = record!.ExpiresAt - now,
            });
            ctx.Response.Redirect(basePath + rest + query, permanent: false);
            return;
        }

        if (ctx.WebSockets.IsWebSocketRequest) await proxy.ProxyWebSocketAsync(ctx, sandbox, port, rest + query);
        else await proxy.ProxyHttpAsync(ctx, sandbox, port, rest + query, forwardedPrefix: basePath);
    }

    private static string WithoutToken(QueryString qs)
    {
        var kept = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(qs.Value)
            .Where(kv => kv.Key != TokenQuery)
            .SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string?>(kv.Key, v)));
        return QueryString.Create(kept).Value ?? "";
    }
}
