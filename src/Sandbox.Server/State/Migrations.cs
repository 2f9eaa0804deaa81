namespace Sandbox.Server.State;

/// <summary>
/// The schema of <c>state.db</c>, versioned by <c>PRAGMA user_version</c>: each migration brings the database from the
/// version before it to its own, in one transaction with the version bump, so a server killed midway leaves the old
/// version and redoes it. Migrations are appended, never edited once released; a database newer than this server is
/// refused rather than guessed at.
/// </summary>
public static class Migrations
{
    private static readonly (int Version, string What, Action<StateDb.Transaction> Apply)[] All =
    [
        (1, "baseline: every table and column of the data dirs made before versions (up to cf8ae8e)", Baseline),
        (2, "sandboxes.delete_after_stop_seconds and sandboxes.stopped_at (the current generation's lifetime after a stop)", StopLifetime),
        (3, "sandboxes.run_config (the sandbox's layer of the current generation's run_config, JSON)", SandboxRunConfig),
        (4, "snapshot tags and labels, status building, sandbox labels, registries, download links (the current generation's snapshots)", SnapshotTags),
        (5, "snapshots.run_config (the snapshot's layer of run_config: the image's USER/WORKDIR/ENV, the source sandbox's, the request's)", SnapshotRunConfig),
    ];

    public static int Latest => All[^1].Version;

    public static void Apply(StateDb db)
    {
        var current = Version(db);
        if (current > Latest)
            throw new InvalidOperationException($"state.db has schema version {current}, newer than this server's {Latest}: run a newer server on this data dir");
        foreach (var (version, _, apply) in All.Where(m => m.Version > current))
        {
            db.InTransaction(tx =>
            {
                apply(tx);
                tx.Run($"PRAGMA user_version = {version}"); // PRAGMA takes no parameters; version is a constant of ours
                return 0;
            });
        }
    }

    /// <summary>Two nullable columns: existing sandboxes keep no deletion after a stop and no known stop time.</summary>
    private static void StopLifetime(StateDb.Transaction tx)
    {
        tx.Run("ALTER TABLE sandboxes ADD COLUMN delete_after_stop_seconds INTEGER");
        tx.Run("ALTER TABLE sandboxes ADD COLUMN stopped_at TEXT");
    }

    /// <summary>One nullable column: existing sandboxes have no run_config layer (commands run as before).</summary>
    private static void SandboxRunConfig(StateDb.Transaction tx) => tx.Run("ALTER TABLE sandboxes ADD COLUMN run_config TEXT");

    /// <summary>One nullable column: existing snapshots add no run_config layer (their sandboxes run as before).</summary>
    private static void SnapshotRunConfig(StateDb.Transaction tx) => tx.Run("ALTER TABLE snapshots ADD COLUMN run_config TEXT");

    /// <summary>
    /// One snapshot name may now carry several snapshots, told apart by tags (<c>snapshot_tags</c>: each (name, tag)
    /// names one snapshot; re-tagging moves it), so live names are no longer unique. Every live snapshot gets the tag
    /// <c>latest</c> of its name (names were unique, so no tag is claimed twice). A snapshot being made is now
    /// <c>building</c> (it was <c>provisioning</c>). Labels of snapshots and sandboxes (a JSON object), the registry a
    /// snapshot names, the registries themselves (their passwords live in files, never here) and download-link tokens
    /// (their SHA-256 only) are new.
    /// </summary>
    private static void SnapshotTags(StateDb.Transaction tx)
    {
        tx.Run("""
            DROP INDEX IF EXISTS snapshots_live_name;
            ALTER TABLE snapshots ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
            ALTER TABLE snapshots ADD COLUMN registry_id TEXT;
            UPDATE snapshots SET status = 'building' WHERE status = 'provisioning';
            CREATE TABLE snapshot_tags (
                name TEXT NOT NULL, tag TEXT NOT NULL, snapshot_id TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (name, tag));
            CREATE INDEX snapshot_tags_snapshot ON snapshot_tags(snapshot_id);
            INSERT OR IGNORE INTO snapshot_tags (name, tag, snapshot_id, updated_at) SELECT name, 'latest', id, updated_at FROM snapshots WHERE deleted = 0;
            ALTER TABLE sandboxes ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';
            CREATE TABLE registries (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, url TEXT NOT NULL, username TEXT NOT NULL,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE TABLE download_tokens (
                token_hash TEXT PRIMARY KEY, sandbox_id TEXT NOT NULL, path TEXT NOT NULL, content_type TEXT,
                content_disposition TEXT, expires_at TEXT, created_at TEXT NOT NULL);
            CREATE INDEX download_tokens_sandbox ON download_tokens(sandbox_id);
            """);
    }

    public static int Version(StateDb db) => db.Query("PRAGMA user_version", r => r.GetInt32(0)).Single();

    /// <summary>
    /// Version 0 was whatever the server had made so far: the four tables of its constructor and <c>volumes</c> always,
    /// <c>network_policies</c>, <c>snapshots</c>, <c>snapshot_freezes</c>, <c>service_tokens</c> and the column
    /// <c>sandboxes.auto_pause</c> only once first used. This makes whichever of them are missing, exactly as the
    /// server made them, and leaves every row alone.
    /// </summary>
    private static void Baseline(StateDb.Transaction tx)
    {
        tx.Run("""
            CREATE TABLE IF NOT EXISTS templates (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, image TEXT NOT NULL,
                cpu TEXT NOT NULL, memory TEXT NOT NULL, storage TEXT, volume_mounts TEXT NOT NULL,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS sandboxes (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, template_name TEXT NOT NULL, lower_dir TEXT NOT NULL,
                status TEXT NOT NULL, status_message TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
                ttl_seconds INTEGER, idle_ttl_seconds INTEGER, expires_at TEXT, snapshot_id TEXT,
                vcpus INTEGER NOT NULL, cpu_limit REAL NOT NULL, mem_bytes INTEGER NOT NULL, fs_capacity_bytes INTEGER, env TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS pools (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, template_name TEXT NOT NULL, replicas INTEGER NOT NULL,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS pool_replicas (sandbox_id TEXT PRIMARY KEY, pool_id TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS volumes (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, size_bytes INTEGER NOT NULL, storage_class TEXT NOT NULL,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS network_policies (
                sandbox_id TEXT PRIMARY KEY, mode TEXT NOT NULL, allow_cidrs TEXT NOT NULL, allow_domains TEXT NOT NULL, slot INTEGER UNIQUE);
            CREATE TABLE IF NOT EXISTS snapshot_freezes (sandbox_id TEXT PRIMARY KEY, snapshot_id TEXT NOT NULL, frozen_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS snapshots (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, status_message TEXT,
                fs_capacity_bytes INTEGER, fs_used_bytes INTEGER, source_sandbox_id TEXT, docker_image TEXT,
                template_name TEXT, lower_dir TEXT, deleted INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE UNIQUE INDEX IF NOT EXISTS snapshots_live_name ON snapshots(name) WHERE deleted = 0;
            CREATE TABLE IF NOT EXISTS service_tokens (
                token_hash TEXT PRIMARY KEY, sandbox_id TEXT NOT NULL, port INTEGER NOT NULL,
                expires_at TEXT NOT NULL, created_at TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS service_tokens_expiry ON service_tokens(expires_at);
            """);
        if (tx.Scalar("SELECT 1 FROM pragma_table_info('sandboxes') WHERE name = 'auto_pause'") is null)
            tx.Run("ALTER TABLE sandboxes ADD COLUMN auto_pause INTEGER NOT NULL DEFAULT 0");
    }
}
