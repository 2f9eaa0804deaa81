namespace Sandbox.Server.State;

/// <summary>A service-URL token as stored: only its SHA-256 hash, the sandbox and port it opens, and its expiry.</summary>
public sealed record ServiceTokenRecord(string TokenHash, string SandboxId, int Port, DateTime ExpiresAt, DateTime CreatedAt);

/// <summary>The service_tokens table (created on first use).</summary>
public sealed partial class StateStore
{
    private bool _serviceTokenSchema;

    private void EnsureServiceTokenSchema()
    {
        if (_serviceTokenSchema) return;
        lock (_lock)
        {
            if (_serviceTokenSchema) return;
            Execute("""
                CREATE TABLE IF NOT EXISTS service_tokens (
                    token_hash TEXT PRIMARY KEY, sandbox_id TEXT NOT NULL, port INTEGER NOT NULL,
                    expires_at TEXT NOT NULL, created_at TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS service_tokens_expiry ON service_tokens(expires_at);
                """);
            _serviceTokenSchema = true;
        }
    }

    /// <summary>Stores a token's hash and drops tokens that have expired (they can never open anything again).</summary>
    public void InsertServiceToken(ServiceTokenRecord t)
    {
        EnsureServiceTokenSchema();
        Run("DELETE FROM service_tokens WHERE expires_at < $now", null, ("$now", Time(t.CreatedAt)));
        Run("INSERT INTO service_tokens (token_hash, sandbox_id, port, expires_at, created_at) VALUES ($h,$s,$p,$e,$c)", null,
            ("$h", t.TokenHash), ("$s", t.SandboxId), ("$p", t.Port), ("$e", Time(t.ExpiresAt)), ("$c", Time(t.CreatedAt)));
    }

    public ServiceTokenRecord? GetServiceToken(string tokenHash)
    {
        EnsureServiceTokenSchema();
        return Query("SELECT token_hash, sandbox_id, port, expires_at, created_at FROM service_tokens WHERE token_hash = $h",
            r => new ServiceTokenRecord(r.GetString(0), r.GetString(1), r.GetInt32(2), ParseTime(r.GetString(3)), ParseTime(r.GetString(4))),
            ("$h", tokenHash)).FirstOrDefault();
    }
}
