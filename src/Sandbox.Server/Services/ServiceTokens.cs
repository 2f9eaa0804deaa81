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
        var token = NewToken();
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
        var record = tokenRows.GetServiceToken(Hash(token));
        if (record is null || record.SandboxId != sandboxId || record.Port != port) return (ServiceTokenProblem.Invalid, record);
        if (record.ExpiresAt <= clock.GetUtcNow().UtcDateTime) return (ServiceTokenProblem.Expired, record);
        return (ServiceTokenProblem.None, record);
    }

    /// <summary>What is stored of a token: its SHA-256, hex (service URLs and download links alike).</summary>
    internal static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token))).ToLowerInvariant();

    /// <summary>A new secret: 32 random bytes, base64url.</summary>
    internal static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
