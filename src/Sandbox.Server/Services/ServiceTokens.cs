using System.Security.Cryptography;
using System.Text;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>A service-URL token just issued: the secret itself is never stored (only its hash) and shown only now.</summary>
public sealed record IssuedServiceToken(string Token, string SandboxId, int Port, DateTime ExpiresAt, DateTime CreatedAt)
{
    /// <summary>The token's stored hash: a name for it that is not the secret (leap0's presigned-URL id).</summary>
    public string Id => ServiceTokens.Hash(Token);
}

/// <summary>Why a token opens nothing: unknown or for another sandbox or port, or expired.</summary>
public enum ServiceTokenProblem
{
    None,
    Invalid,
    Expired,
}

/// <summary>Service-URL tokens: each opens one port of one ready sandbox until it expires.</summary>
public sealed class ServiceTokens(SandboxManager manager, ServiceTokenRepository tokenRows, TimeProvider clock)
{
    /// <summary>Issues a token for a port of a ready sandbox (a paused one is resumed first).</summary>
    public async Task<IssuedServiceToken> IssueAsync(string sandboxName, int port, long expiresInSeconds)
    {
        var sandbox = await manager.RequireReadyAsync(manager.Get(sandboxName).Id, wakeStopped: false);
        var token = NewHostToken();
        var now = clock.GetUtcNow().UtcDateTime;
        var expiresAt = now.AddSeconds(expiresInSeconds);
        tokenRows.InsertServiceToken(new ServiceTokenRecord(Hash(token), sandbox.Id, port, expiresAt, now));
        return new IssuedServiceToken(token, sandbox.Id, port, expiresAt, now);
    }

    /// <summary>Revokes a token of a sandbox by its <see cref="IssuedServiceToken.Id"/>; 404 when the sandbox has none such.</summary>
    public void Revoke(string sandboxId, string id)
    {
        if (!tokenRows.DeleteServiceToken(id, sandboxId))
            throw new NotFoundException("PresignedUrlNotFound", $"sandbox '{sandboxId}' has no presigned URL with id '{id}'");
    }

    /// <summary>Checks a presented token against the sandbox and port it is used for; the record is returned when it opens them.</summary>
    public (ServiceTokenProblem Problem, ServiceTokenRecord? Record) Check(string token, string sandboxId, int port)
    {
        var (problem, record) = Open(token);
        return record is null || record.SandboxId != sandboxId || record.Port != port ? (ServiceTokenProblem.Invalid, record) : (problem, record);
    }

    /// <summary>A presented token by itself (a presigned URL's host names no sandbox): its record when it opens anything.</summary>
    public (ServiceTokenProblem Problem, ServiceTokenRecord? Record) Open(string token)
    {
        var record = tokenRows.GetServiceToken(Hash(token));
        if (record is null) return (ServiceTokenProblem.Invalid, null);
        return (record.ExpiresAt <= clock.GetUtcNow().UtcDateTime ? ServiceTokenProblem.Expired : ServiceTokenProblem.None, record);
    }

    /// <summary>What is stored of a token: its SHA-256, hex (service URLs and download links alike).</summary>
    internal static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token))).ToLowerInvariant();

    /// <summary>
    /// A service token: 24 random bytes, lower-case hex, so that it is also a DNS label (leap0's presigned URLs are
    /// <c>https://{token}.{domain}</c>, and hosts are case-insensitive) as well as a query value and a cookie.
    /// </summary>
    internal static string NewHostToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    /// <summary>A new secret: 32 random bytes, base64url.</summary>
    internal static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
