using System.Security.Cryptography;
using System.Text;

namespace Sandbox.Server.Api;

/// <summary>
/// <c>X-Api-Key</c> on every request but <c>/healthz</c>, service URLs and download links (those are authorised by
/// their own tokens, see <see cref="ServiceUrlEndpoints"/> and <see cref="DownloadLinkEndpoints"/>): missing is 401,
/// wrong is 403.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, string apiKey)
{
    private readonly byte[] _key = Encoding.UTF8.GetBytes(apiKey);

    public async Task InvokeAsync(HttpContext ctx)
    {
        if (ctx.Request.Path == "/healthz" || ServiceUrlEndpoints.IsServiceRequest(ctx.Request.Path) || DownloadLinkEndpoints.IsLinkRequest(ctx.Request.Path))
        {
            await next(ctx);
            return;
        }
        var given = (string?)ctx.Request.Headers["X-Api-Key"];
        if (string.IsNullOrEmpty(given))
            throw new ApiException(401, "Unauthorized", "missing X-Api-Key header");
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _key))
            throw new ApiException(403, "Forbidden", "invalid API key");
        await next(ctx);
    }
}
