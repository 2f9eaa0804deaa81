namespace Sandbox.Server.State;

/// <summary>A service-URL token as stored: only its SHA-256 hash, the sandbox and port it opens, and its expiry.</summary>
public sealed record ServiceTokenRecord(string TokenHash, string SandboxId, int Port, DateTime ExpiresAt, DateTime CreatedAt);

/// <summary>The <c>service_tokens</c> table.</summary>
public sealed class ServiceTokenRepository(StateDb db)
{
    /// <summary>Stores a token's hash and drops tokens that have expired (they can never open anything again).</summary>
    public void InsertServiceToken(ServiceTokenRecord t)
    {
        db.Run("DELETE FROM service_tokens WHERE expires_at < $now", null, ("$now", StateDb.Time(t.CreatedAt)));
        db.Run("INSERT INTO service_tokens (token_hash, sandbox_id, port, expires_at, created_at) VALUES ($h,$s,$p,$e,$c)", null,
            ("$h", t.TokenHash), ("$s", t.SandboxId), ("$p", t.Port), ("$e", StateDb.Time(t.ExpiresAt)), ("$c", StateDb.Time(t.CreatedAt)));
    }

    public ServiceTokenRecord? GetServiceToken(string tokenHash) =>
        db.Query("SELECT token_hash, sandbox_id, port, expires_at, created_at FROM service_tokens WHERE token_hash = $h",
            r => new ServiceTokenRecord(r.GetString(0), r.GetString(1), r.GetInt32(2), StateDb.ParseTime(r.GetString(3)), StateDb.ParseTime(r.GetString(4))),
            ("$h", tokenHash)).FirstOrDefault();

    /// <summary>Revokes a token of a sandbox by its hash (leap0's presigned-URL delete); false when it has no such token.</summary>
    public bool DeleteServiceToken(string tokenHash, string sandboxId) =>
        db.Run("DELETE FROM service_tokens WHERE token_hash = $h AND sandbox_id = $s", null, ("$h", tokenHash), ("$s", sandboxId)) > 0;
}
