using System.Security.Cryptography;
using System.Text;
using Sandbox.Server.Api.Leap0;

namespace Sandbox.Server.Api;

/// <summary>
/// The API key on every request but <c>/healthz</c>, service URLs and download links (those are authorised by their own
/// tokens, see <see cref="ServiceUrlEndpoints"/> and <see cref="DownloadLinkEndpoints"/>). LangSmith's routes take
/// <c>X-Api-Key</c> (missing 401, wrong 403); leap0's <c>/v1</c> takes what its SDKs send: <c>authorization: Bearer
/// key</c>, the bare key in <c>authorization</c>, or <c>leap0-authorization</c> (missing or wrong 401, as leap0 answers).
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, string apiKey)
{
    private readonly byte[] _key = Encoding.UTF8.GetBytes(apiKey);

    public async Task InvokeAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path;
        if (path == "/healthz" || ServiceUrlEndpoints.IsServiceRequest(path) || DownloadLinkEndpoints.IsLinkRequest(path))
        {
            await next(ctx);
            return;
        }
        if (Leap0Api.Owns(path)) CheckLeap0(ctx.Request.Headers, _key);
        else CheckLangSmith(ctx.Request.Headers);
        await next(ctx);
    }

    private void CheckLangSmith(IHeaderDictionary headers)
    {
        var given = (string?)headers["X-Api-Key"];
        if (string.IsNullOrEmpty(given))
            throw new ApiException(401, "Unauthorized", "missing X-Api-Key header");
        if (!Matches(given))
            throw new ApiException(403, "Forbidden", "invalid API key");
    }

    /// <summary>leap0's check (also the data plane's, <see cref="Leap0DataPlaneMiddleware"/>); returns the header that carried the key.</summary>
    internal static string CheckLeap0(IHeaderDictionary headers, byte[] key)
    {
        foreach (var name in (ReadOnlySpan<string>)["leap0-authorization", "authorization", "X-Api-Key"])
        {
            var given = BearerOrBare(headers[name]);
            if (given is null) continue;
            if (!Matches(given, key)) throw new ApiException(401, "Unauthorized", "invalid API key");
            return name;
        }
        throw new ApiException(401, "Unauthorized", "missing API key: send 'authorization: Bearer <key>' (or leap0-authorization)");
    }

    private static string? BearerOrBare(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        value = value.Trim();
        return value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim() : value;
    }

    private bool Matches(string given) => Matches(given, _key);

    private static bool Matches(string given, byte[] key) => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), key);
}
