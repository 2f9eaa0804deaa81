using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Sandbox.Server.State;

/// <summary>Raised when a unique name is already taken.</summary>
public sealed class NameTakenException(string name) : Exception($"name '{name}' is taken")
{
    public string Name { get; } = name;
}

/// <summary>
/// SQLite state (<c>state.db</c>). One connection, serialised by a lock: every statement is
/// short, and WAL with synchronous=NORMAL makes each write durable against a killed server
/// before the request that caused it is answered.
/// </summary>
public sealed partial class StateStore : IDisposable
{
    private readonly SqliteConnection _db;
    private readonly Lock _lock = new();

    public StateStore(ServerOptions options)
    {
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(options.DataDir, "state.db"), Pooling = false }.ToString());
        _db.Open();
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;");
        Execute("""
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
            """);
        Execute(VolumesTable); // StateStore.Volumes.cs
    }

    public void Dispose() => _db.Dispose();

    private void Execute(string sql)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static string Time(DateTime t) => t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
    private static DateTime ParseTime(string s) => DateTime.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
    private static object Db(object? v) => v ?? DBNull.Value;

    private int Run(string sql, string? uniqueName, params (string Name, object? Value)[] args)
    {
        lock (_lock)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = sql;
            foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, Db(value));
            try
            {
                return cmd.ExecuteNonQuery();
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19 && uniqueName is not null)
            {
                throw new NameTakenException(uniqueName);
            }
        }
    }

    private List<T> Query<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object? Value)[] args)
    {
        lock (_lock)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = sql;
            foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, Db(value));
            using var reader = cmd.ExecuteReader();
            var list = new List<T>();
            while (reader.Read()) list.Add(map(reader));
            return list;
        }
    }

    // ---- templates ----

    private static TemplateRecord ReadTemplate(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        Image = r.GetString(2),
        Cpu = r.GetString(3),
        Memory = r.GetString(4),
        Storage = r.IsDBNull(5) ? null : r.GetString(5),
        VolumeMounts = JsonSerializer.Deserialize<List<VolumeMount>>(r.GetString(6)) ?? [],
        CreatedAt = ParseTime(r.GetString(7)),
        UpdatedAt = ParseTime(r.GetString(8)),
    };

    private const string TemplateColumns = "id, name, image, cpu, memory, storage, volume_mounts, created_at, updated_at";

    public void InsertTemplate(TemplateRecord t) =>
        Run($"INSERT INTO templates ({TemplateColumns}) VALUES ($id,$name,$image,$cpu,$memory,$storage,$vm,$c,$u)", t.Name,
            ("$id", t.Id), ("$name", t.Name), ("$image", t.Image), ("$cpu", t.Cpu), ("$memory", t.Memory), ("$storage", t.Storage),
            ("$vm", JsonSerializer.Serialize(t.VolumeMounts)), ("$c", Time(t.CreatedAt)), ("$u", Time(t.UpdatedAt)));

    public TemplateRecord? GetTemplate(string name) =>
        Query($"SELECT {TemplateColumns} FROM templates WHERE name = $name", ReadTemplate, ("$name", name)).FirstOrDefault();

    public List<TemplateRecord> ListTemplates(int limit, int offset, string? nameContains) =>
        Query($"SELECT {TemplateColumns} FROM templates WHERE ($nc IS NULL OR instr(name, $nc) > 0) ORDER BY created_at, name LIMIT $limit OFFSET $offset",
            ReadTemplate, ("$nc", nameContains), ("$limit", limit), ("$offset", offset));

    public int CountTemplates() => Query("SELECT COUNT(*) FROM templates", r => r.GetInt32(0)).Single();

    /// <summary>Renames a template and the sandboxes that refer to it, in one transaction.</summary>
    public void RenameTemplate(string name, string newName, DateTime now)
    {
        lock (_lock)
        {
            using var tx = _db.BeginTransaction();
            try
            {
                using (var cmd = _db.CreateCommand())
                {
                    cmd.CommandText = "UPDATE templates SET name = $new, updated_at = $u WHERE name = $name";
                    cmd.Parameters.AddWithValue("$new", newName);
                    cmd.Parameters.AddWithValue("$u", Time(now));
                    cmd.Parameters.AddWithValue("$name", name);
                    cmd.ExecuteNonQuery();
                }
                using (var cmd = _db.CreateCommand())
                {
                    // Pools follow their template's name too.
                    cmd.CommandText = "UPDATE sandboxes SET template_name = $new WHERE template_name = $name; UPDATE pools SET template_name = $new WHERE template_name = $name";
                    cmd.Parameters.AddWithValue("$new", newName);
                    cmd.Parameters.AddWithValue("$name", name);
                    cmd.ExecuteNonQuery();
                }
                tx.Commit();
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19)
            {
                throw new NameTakenException(newName);
            }
        }
    }

    public bool DeleteTemplate(string name) => Run("DELETE FROM templates WHERE name = $name", null, ("$name", name)) > 0;

    // ---- sandboxes ----

    private const string SandboxColumns = "id, name, template_name, lower_dir, status, status_message, created_at, updated_at, ttl_seconds, idle_ttl_seconds, expires_at, snapshot_id, vcpus, cpu_limit, mem_bytes, fs_capacity_bytes, env";

    private static SandboxRecord ReadSandbox(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        TemplateName = r.GetString(2),
        LowerDir = r.GetString(3),
        Status = r.GetString(4),
        StatusMessage = r.IsDBNull(5) ? null : r.GetString(5),
        CreatedAt = ParseTime(r.GetString(6)),
        UpdatedAt = ParseTime(r.GetString(7)),
        TtlSeconds = r.IsDBNull(8) ? null : r.GetInt64(8),
        IdleTtlSeconds = r.IsDBNull(9) ? null : r.GetInt64(9),
        ExpiresAt = r.IsDBNull(10) ? null : ParseTime(r.GetString(10)),
        SnapshotId = r.IsDBNull(11) ? null : r.GetString(11),
        Vcpus = r.GetInt32(12),
        CpuLimit = r.GetDouble(13),
        MemBytes = r.GetInt64(14),
        FsCapacityBytes = r.IsDBNull(15) ? null : r.GetInt64(15),
        Env = JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(16)) ?? [],
    };

    private static (string, object?)[] SandboxArgs(SandboxRecord s) =>
    [
        ("$id", s.Id), ("$name", s.Name), ("$template", s.TemplateName), ("$lower", s.LowerDir), ("$status", s.Status),
        ("$message", s.StatusMessage), ("$c", Time(s.CreatedAt)), ("$u", Time(s.UpdatedAt)), ("$ttl", s.TtlSeconds),
        ("$idle", s.IdleTtlSeconds), ("$expires", s.ExpiresAt is { } e ? Time(e) : null), ("$snapshot", s.SnapshotId),
        ("$vcpus", s.Vcpus), ("$cpu", s.CpuLimit), ("$mem", s.MemBytes), ("$fs", s.FsCapacityBytes), ("$env", JsonSerializer.Serialize(s.Env)),
    ];

    public void InsertSandbox(SandboxRecord s) =>
        Run($"INSERT INTO sandboxes ({SandboxColumns}) VALUES ($id,$name,$template,$lower,$status,$message,$c,$u,$ttl,$idle,$expires,$snapshot,$vcpus,$cpu,$mem,$fs,$env)",
            s.Name, SandboxArgs(s));

    /// <summary>Writes every mutable field of the record (matched by id).</summary>
    public void UpdateSandbox(SandboxRecord s) =>
        Run("""
            UPDATE sandboxes SET name=$name, template_name=$template, status=$status, status_message=$message, updated_at=$u,
                ttl_seconds=$ttl, idle_ttl_seconds=$idle, expires_at=$expires WHERE id=$id
            """, s.Name, SandboxArgs(s));

    public void DeleteSandbox(string id) => Run("DELETE FROM sandboxes WHERE id = $id", null, ("$id", id));

    public SandboxRecord? GetSandboxByName(string name) =>
        Query($"SELECT {SandboxColumns} FROM sandboxes WHERE name = $name", ReadSandbox, ("$name", name)).FirstOrDefault();

    public SandboxRecord? GetSandboxById(string id) =>
        Query($"SELECT {SandboxColumns} FROM sandboxes WHERE id = $id", ReadSandbox, ("$id", id)).FirstOrDefault();

    public List<SandboxRecord> AllSandboxes() => Query($"SELECT {SandboxColumns} FROM sandboxes", ReadSandbox);

    public bool TemplateInUse(string templateName) =>
        Query("SELECT 1 FROM sandboxes WHERE template_name = $t LIMIT 1", r => true, ("$t", templateName)).Count > 0;

    public List<SandboxRecord> ListSandboxes(SandboxQuery q)
    {
        // sort_by is validated against a fixed list before it reaches SQL.
        var column = q.SortBy switch
        {
            "name" => "name",
            "status" => "status",
            "template_name" => "template_name",
            _ => "created_at",
        };
        var direction = q.Descending ? "DESC" : "ASC";
        return Query($"""
            SELECT {SandboxColumns} FROM sandboxes
            WHERE ($nc IS NULL OR instr(name, $nc) > 0) AND ($status IS NULL OR status = $status) AND ($template IS NULL OR template_name = $template)
                AND id NOT IN (SELECT sandbox_id FROM pool_replicas)

            ORDER BY {column} {direction}, name {direction} LIMIT $limit OFFSET $offset
            """, ReadSandbox, ("$nc", q.NameContains), ("$status", q.Status), ("$template", q.TemplateName), ("$limit", q.Limit), ("$offset", q.Offset));
    }
}
