using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Sandbox.Server.State;

/// <summary>The <c>sandboxes</c> table (pool replicas are sandbox rows too, see <see cref="PoolRepository"/>).</summary>
public sealed class SandboxRepository(StateDb db)
{
    internal const string Columns = "id, name, template_name, lower_dir, status, status_message, created_at, updated_at, ttl_seconds, idle_ttl_seconds, expires_at, snapshot_id, vcpus, cpu_limit, mem_bytes, fs_capacity_bytes, env, delete_after_stop_seconds, stopped_at, run_config";
    /// <summary>How many columns <see cref="Columns"/> names (a query that selects more reads them from this index on).</summary>
    internal const int ColumnCount = 20;
    internal const string InsertSql = $"INSERT INTO sandboxes ({Columns}) VALUES ($id,$name,$template,$lower,$status,$message,$c,$u,$ttl,$idle,$expires,$snapshot,$vcpus,$cpu,$mem,$fs,$env,$das,$stopped,$runconfig)";

    internal static SandboxRecord Read(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        TemplateName = r.GetString(2),
        LowerDir = r.GetString(3),
        Status = r.GetString(4),
        StatusMessage = r.IsDBNull(5) ? null : r.GetString(5),
        CreatedAt = StateDb.ParseTime(r.GetString(6)),
        UpdatedAt = StateDb.ParseTime(r.GetString(7)),
        TtlSeconds = r.IsDBNull(8) ? null : r.GetInt64(8),
        IdleTtlSeconds = r.IsDBNull(9) ? null : r.GetInt64(9),
        ExpiresAt = r.IsDBNull(10) ? null : StateDb.ParseTime(r.GetString(10)),
        SnapshotId = r.IsDBNull(11) ? null : r.GetString(11),
        Vcpus = r.GetInt32(12),
        CpuLimit = r.GetDouble(13),
        MemBytes = r.GetInt64(14),
        FsCapacityBytes = r.IsDBNull(15) ? null : r.GetInt64(15),
        Env = JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(16)) ?? [],
        DeleteAfterStopSeconds = r.IsDBNull(17) ? null : r.GetInt64(17),
        StoppedAt = r.IsDBNull(18) ? null : StateDb.ParseTime(r.GetString(18)),
        RunConfig = r.IsDBNull(19) ? null : RunConfigRecord.Deserialize(r.GetString(19)),
    };

    internal static (string, object?)[] Args(SandboxRecord s) =>
    [
        ("$id", s.Id), ("$name", s.Name), ("$template", s.TemplateName), ("$lower", s.LowerDir), ("$status", s.Status),
        ("$message", s.StatusMessage), ("$c", StateDb.Time(s.CreatedAt)), ("$u", StateDb.Time(s.UpdatedAt)), ("$ttl", s.TtlSeconds),
        ("$idle", s.IdleTtlSeconds), ("$expires", s.ExpiresAt is { } e ? StateDb.Time(e) : null), ("$snapshot", s.SnapshotId),
        ("$vcpus", s.Vcpus), ("$cpu", s.CpuLimit), ("$mem", s.MemBytes), ("$fs", s.FsCapacityBytes), ("$env", JsonSerializer.Serialize(s.Env)),
        ("$das", s.DeleteAfterStopSeconds), ("$stopped", s.StoppedAt is { } stopped ? StateDb.Time(stopped) : null),
        ("$runconfig", RunConfigRecord.Serialize(s.RunConfig)),
    ];

    public void InsertSandbox(SandboxRecord s) => db.Run(InsertSql, s.Name, Args(s));

    /// <summary>Writes every mutable field of the record (matched by id).</summary>
    public void UpdateSandbox(SandboxRecord s) =>
        db.Run("""
            UPDATE sandboxes SET name=$name, template_name=$template, status=$status, status_message=$message, updated_at=$u,
                ttl_seconds=$ttl, idle_ttl_seconds=$idle, expires_at=$expires, delete_after_stop_seconds=$das, stopped_at=$stopped, run_config=$runconfig WHERE id=$id
            """, s.Name, Args(s));

    public void DeleteSandbox(string id) => db.Run("DELETE FROM sandboxes WHERE id = $id", null, ("$id", id));

    public SandboxRecord? GetSandboxByName(string name) =>
        db.Query($"SELECT {Columns} FROM sandboxes WHERE name = $name", Read, ("$name", name)).FirstOrDefault();

    public SandboxRecord? GetSandboxById(string id) =>
        db.Query($"SELECT {Columns} FROM sandboxes WHERE id = $id", Read, ("$id", id)).FirstOrDefault();

    public List<SandboxRecord> AllSandboxes() => db.Query($"SELECT {Columns} FROM sandboxes", Read);

    /// <summary>True while a user's sandbox (not a pool's idle replica) is provisioning or ready: the idle shutdown waits for it.</summary>
    public bool AnyRunning() =>
        db.Query("SELECT 1 FROM sandboxes WHERE status IN ($p, $r) AND id NOT IN (SELECT sandbox_id FROM pool_replicas) LIMIT 1", r => true,
            ("$p", SandboxStatus.Provisioning), ("$r", SandboxStatus.Ready)).Count > 0;

    public bool TemplateInUse(string templateName) =>
        db.Query("SELECT 1 FROM sandboxes WHERE template_name = $t LIMIT 1", r => true, ("$t", templateName)).Count > 0;

    /// <summary>One page of the users' sandboxes (pool replicas are the pools' until claimed).</summary>
    public List<SandboxRecord> ListSandboxes(SandboxQuery q)
    {
        // sort_by is validated against a fixed list before it reaches SQL.
        var column = q.SortBy switch
        {
            "name" => "name",
            "status" => "status",
            "template_name" => "template_name",
            "idle_ttl_seconds" => "idle_ttl_seconds",
            "delete_after_stop_seconds" => "delete_after_stop_seconds",
            "stopped_at" => "stopped_at",
            _ => "created_at",
        };
        var direction = q.Descending ? "DESC" : "ASC";
        var (labelSql, labelArgs) = LabelFilter.Sql(q.Labels);
        return db.Query($"""
            SELECT {Columns} FROM sandboxes
            WHERE ($nc IS NULL OR instr(lower(name), lower($nc)) > 0) AND ($status IS NULL OR status = $status) AND ($template IS NULL OR template_name = $template)
                AND id NOT IN (SELECT sandbox_id FROM pool_replicas){labelSql}
            ORDER BY {column} {direction}, name {direction} LIMIT $limit OFFSET $offset
            """, Read, [("$nc", q.NameContains), ("$status", q.Status), ("$template", q.TemplateName), ("$limit", q.Limit), ("$offset", q.Offset), .. labelArgs]);
    }

    // auto_pause (SandboxManager.Pause.cs): a column of its own, outside the record, written only by create and claim.

    public void SetAutoPause(string id, bool value) =>
        db.Run("UPDATE sandboxes SET auto_pause = $v WHERE id = $id", null, ("$v", value ? 1 : 0), ("$id", id));

    // labels: a column of their own (a JSON object), outside the record, written only by create (after a claim too).

    public void SetLabels(string id, IReadOnlyDictionary<string, string> labels) =>
        db.Run("UPDATE sandboxes SET labels = $l WHERE id = $id", null, ("$l", JsonSerializer.Serialize(labels)), ("$id", id));

    public IReadOnlyDictionary<string, string> GetLabels(string id) =>
        db.Query("SELECT labels FROM sandboxes WHERE id = $id", r => JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(0)) ?? [], ("$id", id)).FirstOrDefault() ?? [];

    public bool GetAutoPause(string id) =>
        db.Query("SELECT auto_pause FROM sandboxes WHERE id = $id", r => r.GetInt64(0) != 0, ("$id", id)).FirstOrDefault();
}
