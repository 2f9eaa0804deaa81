using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary><c>POST /boxes/{name}/download-url</c>: the file, the link's lifetime (null: never ends) and how the file is labelled.</summary>
public sealed record DownloadLinkRequest(string Path, long? ExpiresInSeconds, string ContentType, string Disposition);

/// <summary>A download link just minted: the token itself is never stored (only its hash) and shown only now.</summary>
public sealed record IssuedDownloadLink(string Token, DateTime? ExpiresAt);

/// <summary>
/// Download links: a token that opens one file of one sandbox (its id and the absolute path, fixed at minting, with the
/// media type and disposition it is served under) to whoever holds it, without the API key, until it expires (or
/// forever when minted without expiry). Tokens are stored as SHA-256 hashes, like service-URL tokens.
/// </summary>
public sealed class DownloadLinks(SandboxManager manager, DownloadTokenRepository tokenRows, TimeProvider clock)
{
    public IssuedDownloadLink Issue(string sandboxName, DownloadLinkRequest request)
    {
        var sandbox = manager.Get(sandboxName);
        var token = ServiceTokens.NewToken();
        var now = clock.GetUtcNow().UtcDateTime;
        DateTime? expiresAt = request.ExpiresInSeconds is { } s ? now.AddSeconds(s) : null;
        tokenRows.InsertDownloadToken(new DownloadTokenRecord(ServiceTokens.Hash(token), sandbox.Id, CommandLauncher.ResolvePath(request.Path),
            request.ContentType, request.Disposition, expiresAt, now));
        return new IssuedDownloadLink(token, expiresAt);
    }

    /// <summary>The link a token opens: <see cref="ServiceTokenProblem.Invalid"/> when unknown, <see cref="ServiceTokenProblem.Expired"/> past its expiry.</summary>
    public (ServiceTokenProblem Problem, DownloadTokenRecord? Record) Check(string token)
    {
        var record = tokenRows.GetDownloadToken(ServiceTokens.Hash(token));
        if (record is null) return (ServiceTokenProblem.Invalid, null);
        if (record.ExpiresAt is { } e && e <= clock.GetUtcNow().UtcDateTime) return (ServiceTokenProblem.Expired, record);
        return (ServiceTokenProblem.None, record);
    }
}
