namespace Sandbox.Server.State;

/// <summary>
/// A download-link token as stored: only its SHA-256 hash, the sandbox and file it opens, how the file is labelled, and
/// its expiry (null: never).
/// </summary>
public sealed record DownloadTokenRecord(string TokenHash, string SandboxId, string Path, string ContentType, string Disposition, DateTime? ExpiresAt, DateTime CreatedAt);

/// <summary>The <c>download_tokens</c> table.</summary>
public sealed class DownloadTokenRepository(StateDb db)
{
    /// <summary>Stores a token's hash, and drops tokens that can never open anything again (expired, or of a deleted sandbox).</summary>
    public void InsertDownloadToken(DownloadTokenRecord t) =>
        db.InTransaction(tx =>
        {
            tx.Run("DELETE FROM download_tokens WHERE expires_at < $now OR sandbox_id NOT IN (SELECT id FROM sandboxes)", ("$now", StateDb.Time(t.CreatedAt)));
            return tx.Run("""
                INSERT INTO download_tokens (token_hash, sandbox_id, path, content_type, content_disposition, expires_at, created_at)
                VALUES ($h, $s, $p, $t, $d, $e, $c)
                """, ("$h", t.TokenHash), ("$s", t.SandboxId), ("$p", t.Path), ("$t", t.ContentType), ("$d", t.Disposition),
                ("$e", t.ExpiresAt is { } e ? StateDb.Time(e) : null), ("$c", StateDb.Time(t.CreatedAt)));
        });

    public DownloadTokenRecord? GetDownloadToken(string tokenHash) =>
        db.Query("SELECT token_hash, sandbox_id, path, content_type, content_disposition, expires_at, created_at FROM download_tokens WHERE token_hash = $h",
            r => new DownloadTokenRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
                r.IsDBNull(5) ? null : StateDb.ParseTime(r.GetString(5)), StateDb.ParseTime(r.GetString(6))),
            ("$h", tokenHash)).FirstOrDefault();
}
