using Microsoft.Net.Http.Headers;
using Sandbox.Server.Services;

namespace Sandbox.Server.Api;

/// <summary>
/// Download links: <c>POST /boxes/{name}/download-url</c> mints <c>{download_url, token, expires_at}</c>, and
/// <c>GET</c>/<c>HEAD /v2/sandboxes/links/{token}</c> serves the one file the token is pinned to (ranges, validators as
/// the dataplane's download) without the API key. Every link answer carries <c>Content-Security-Policy: sandbox</c> and
/// <c>X-Content-Type-Options: nosniff</c>: a served page runs in an opaque origin, never as this server's.
/// </summary>
public static class DownloadLinkEndpoints
{
    public const string LinkPath = "/v2/sandboxes/links";
    public const long MaxExpiresInSeconds = 10L * 365 * 24 * 3600;
    private static readonly string[] Dispositions = ["attachment", "inline"];

    /// <summary>True for requests the API-key check leaves alone: the token authorises them.</summary>
    public static bool IsLinkRequest(PathString path) => path.StartsWithSegments(LinkPath, StringComparison.Ordinal);

    public static void MapIssue(RouteGroupBuilder api) => api.MapPost("/boxes/{name}/download-url", Create);

    public static void MapLink(WebApplication app) =>
        app.MapMethods(LinkPath + "/{token}", [HttpMethods.Get, HttpMethods.Head], Serve);

    private static async Task<IResult> Create(string name, HttpRequest req, DownloadLinks links)
    {
        var body = await JsonInput.ReadAsync(req);
        var path = body.String("path", required: true);
        if (path is not null && (path.Length == 0 || path.Contains('\0') || System.Text.Encoding.UTF8.GetByteCount(CommandLauncher.ResolvePath(path)) >= 4096))
            body.Fail("path", "must be a file's path in the sandbox, shorter than 4096 bytes, without NUL characters");
        var expiresIn = body.Integer("expires_in_seconds", 1, MaxExpiresInSeconds);
        var contentType = body.String("content_type");
        if (contentType is not null && (contentType.Length > 255 || !MediaTypeHeaderValue.TryParse(contentType, out var media) || media.MediaType.Value?.Contains('/') != true))
            body.Fail("content_type", "must be a media type such as text/plain or application/pdf (255 characters at most)");
        var disposition = body.String("content_disposition");
        if (disposition is not null && !Dispositions.Contains(disposition))
            body.Fail("content_disposition", $"must be one of: {string.Join(", ", Dispositions)}");
        foreach (var field in new[] { "csp_sandbox", "csp_sandbox_flags", "csp_source_bundles" })
            if (body.Has(field)) body.Fail(field, "loosening the served file's Content-Security-Policy is not supported by the local server (every link is served sandboxed); omit " + field);
        body.ThrowIfInvalidAsValueErrors();
        var issued = links.Issue(name, new DownloadLinkRequest(path!, expiresIn, contentType ?? "application/octet-stream", disposition ?? "attachment"));
        return Results.Json(new
        {
            download_url = $"{req.Scheme}://{req.Host}{LinkPath}/{issued.Token}",
            token = issued.Token,
            expires_at = issued.ExpiresAt,
        });
    }

    private static async Task Serve(string token, HttpContext ctx, DownloadLinks links, SandboxManager manager, CommandLauncher launcher)
    {
        ctx.Response.Headers.ContentSecurityPolicy = "sandbox";
        ctx.Response.Headers.XContentTypeOptions = "nosniff";
        ctx.Response.Headers.CacheControl = "private, no-store";
        var (problem, record) = links.Check(token);
        if (problem == ServiceTokenProblem.Invalid)
            throw ApiException.NotFound("LinkNotFound", "no download link has this token");
        if (problem == ServiceTokenProblem.Expired)
            throw new ApiException(403, "LinkExpired", $"the download link expired at {record!.ExpiresAt:O}; mint a new one");
        var file = new ContentDispositionHeaderValue(record!.Disposition);
        file.SetHttpFileName(Path.GetFileName(record.Path));
        await FileDownload.ServeFileAsync(record.SandboxId, record.Path, ctx, manager, launcher, new FileDownload.Served(record.ContentType, file.ToString()));
    }
}
