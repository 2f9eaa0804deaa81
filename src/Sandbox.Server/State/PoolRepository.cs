using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Sandbox.Server.State;

/// <summary>A warm pool as stored.</summary>
public sealed record PoolRecord : NamedRecord
{
    public required string TemplateName { get; init; }
    public required int Replicas { get; init; }
}

/// <summary>A pool replica: a sandbox row plus the pool it belongs to (the pool may be gone).</summary>
public sealed record PoolReplica(SandboxRecord Sandbox, string PoolId);

/// <summary>What a claim writes onto the replica's sandbox row.</summary>
public sealed record ReplicaClaim(string Name, DateTime Now, long? TtlSeconds, long? IdleTtlSeconds, int Vcpus, double CpuLimit, long MemBytes,
    long? FsCapacityBytes, IReadOnlyDictionary<string, string> Env);

/// <summary>
/// Pools (<c>pools</c>) and their replicas (<c>pool_replicas</c>: sandbox rows that belong to a pool until claimed).
/// A replica is hidden from <c>GET /boxes</c>; a claim deletes its <c>pool_replicas</c> row and rewrites the sandbox row
/// in one transaction, so a sandbox is either the pool's or the user's, never both.
/// </summary>
public sealed class PoolRepository(StateDb db)
{
    private readonly NamedTable<PoolRecord> _pools = new(db, "pools", "id, name, template_name, replicas, created_at, updated_at", Read);

    private static PoolRecord Read(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        TemplateName = r.GetString(2),
        Replicas = r.GetInt32(3),
        CreatedAt = StateDb.ParseTime(r.GetString(4)),
        UpdatedAt = StateDb.ParseTime(r.GetString(5)),
    };

    public void InsertPool(PoolRecord p) =>
        _pools.Insert(p.Name, ("$id", p.Id), ("$name", p.Name), ("$template", p.TemplateName), ("$replicas", p.Replicas), ("$c", StateDb.Time(p.CreatedAt)), ("$u", StateDb.Time(p.UpdatedAt)));

    /// <summary>Writes name, replicas and updated_at (matched by id).</summary>
    public void UpdatePool(PoolRecord p) =>
        db.Run("UPDATE pools SET name=$name, replicas=$replicas, updated_at=$u WHERE id=$id", p.Name,
            ("$id", p.Id), ("$name", p.Name), ("$replicas", p.Replicas), ("$u", StateDb.Time(p.UpdatedAt)));

    public bool DeletePool(string id) => _pools.Delete("id", id);

    public PoolRecord? GetPool(string name) => _pools.ByName(name);

    public PoolRecord? GetPoolById(string id) => _pools.ById(id);

    public List<PoolRecord> AllPools() => _pools.All();

    public List<PoolRecord> ListPools(int limit, int offset, string? nameContains) => _pools.Page(limit, offset, nameContains);

    public bool TemplateUsedByPool(string templateName) =>
        db.Query("SELECT 1 FROM pools WHERE template_name = $t LIMIT 1", _ => true, ("$t", templateName)).Count > 0;

    /// <summary>Pools of a template, oldest first (the order in which claims try them).</summary>
    public List<PoolRecord> PoolsOfTemplate(string templateName) =>
        _pools.Where("template_name", templateName);

    /// <summary>Inserts a replica's sandbox row and marks it as the pool's, in one transaction.</summary>
    public void InsertPoolReplica(SandboxRecord s, string poolId) =>
        db.InTransaction(tx =>
        {
            tx.Run(SandboxRepository.InsertSql, SandboxRepository.Args(s));
            return tx.Run("INSERT INTO pool_replicas (sandbox_id, pool_id) VALUES ($id, $pool)", ("$id", s.Id), ("$pool", poolId));
        });

    /// <summary>Every replica (of any pool, existing or deleted), with its sandbox row.</summary>
    public List<PoolReplica> AllPoolReplicas() =>
        db.Query($"SELECT {Prefixed("s.", SandboxRepository.Columns)}, r.pool_id FROM pool_replicas r JOIN sandboxes s ON s.id = r.sandbox_id",
            r => new PoolReplica(SandboxRepository.Read(r), r.GetString(SandboxRepository.ColumnCount)));

    /// <summary>Removes a replica's rows (sandbox and marker).</summary>
    public void DeletePoolReplica(string id) =>
        db.InTransaction(tx => tx.Run("DELETE FROM pool_replicas WHERE sandbox_id = $id; DELETE FROM sandboxes WHERE id = $id", ("$id", id)));

    /// <summary>Marker rows whose sandbox row is gone (a sandbox deleted by name while it was a replica).</summary>
    public void DeleteDanglingPoolReplicas() =>
        db.Run("DELETE FROM pool_replicas WHERE sandbox_id NOT IN (SELECT id FROM sandboxes)", null);

    /// <summary>
    /// Hands replica <paramref name="id"/> over: drops its pool marker and rewrites its row with the claim, in one
    /// transaction. Returns null when it is no longer a ready replica; throws <see cref="NameTakenException"/> when the
    /// name is taken (nothing changes then).
    /// </summary>
    public SandboxRecord? ClaimPoolReplica(string id, ReplicaClaim c)
    {
        var claimed = db.InTransaction(tx =>
        {
            if (tx.Run("DELETE FROM pool_replicas WHERE sandbox_id = $id AND EXISTS (SELECT 1 FROM sandboxes WHERE id = $id AND status = 'ready')", ("$id", id)) == 0)
                return false;
            tx.Run("""
                UPDATE sandboxes SET name=$name, created_at=$now, updated_at=$now, ttl_seconds=$ttl, idle_ttl_seconds=$idle, expires_at=$expires,
                    vcpus=$vcpus, cpu_limit=$cpu, mem_bytes=$mem, fs_capacity_bytes=$fs, env=$env, status_message=NULL WHERE id=$id
                """, ("$id", id), ("$name", c.Name), ("$now", StateDb.Time(c.Now)), ("$ttl", c.TtlSeconds), ("$idle", c.IdleTtlSeconds),
                ("$expires", c.TtlSeconds is > 0 ? StateDb.Time(c.Now.AddSeconds(c.TtlSeconds.Value)) : null), ("$vcpus", c.Vcpus), ("$cpu", c.CpuLimit),
                ("$mem", c.MemBytes), ("$fs", c.FsCapacityBytes), ("$env", JsonSerializer.Serialize(c.Env)));
            return true;
        }, c.Name);
        return claimed ? db.Query($"SELECT {SandboxRepository.Columns} FROM sandboxes WHERE id = $id", SandboxRepository.Read, ("$id", id)).FirstOrDefault() : null;
    }

    private static string Prefixed(string prefix, string columns) =>
        string.Join(", ", columns.Split(',').Select(c => prefix + c.Trim()));
}
