using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Sandbox.Server.State;

/// <summary>A warm pool as stored.</summary>
public sealed record PoolRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string TemplateName { get; init; }
    public required int Replicas { get; init; }
    public required DateTime CreatedAt { get; init; }
    public required DateTime UpdatedAt { get; init; }
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
public sealed partial class StateStore
{
    private const string PoolColumns = "id, name, template_name, replicas, created_at, updated_at";

    private static PoolRecord ReadPool(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        TemplateName = r.GetString(2),
        Replicas = r.GetInt32(3),
        CreatedAt = ParseTime(r.GetString(4)),
        UpdatedAt = ParseTime(r.GetString(5)),
    };

    public void InsertPool(PoolRecord p) =>
        Run($"INSERT INTO pools ({PoolColumns}) VALUES ($id,$name,$template,$replicas,$c,$u)", p.Name,
            ("$id", p.Id), ("$name", p.Name), ("$template", p.TemplateName), ("$replicas", p.Replicas), ("$c", Time(p.CreatedAt)), ("$u", Time(p.UpdatedAt)));

    /// <summary>Writes name, replicas and updated_at (matched by id).</summary>
    public void UpdatePool(PoolRecord p) =>
        Run("UPDATE pools SET name=$name, replicas=$replicas, updated_at=$u WHERE id=$id", p.Name,
            ("$id", p.Id), ("$name", p.Name), ("$replicas", p.Replicas), ("$u", Time(p.UpdatedAt)));

    public bool DeletePool(string id) => Run("DELETE FROM pools WHERE id = $id", null, ("$id", id)) > 0;

    public PoolRecord? GetPool(string name) =>
        Query($"SELECT {PoolColumns} FROM pools WHERE name = $name", ReadPool, ("$name", name)).FirstOrDefault();

    public PoolRecord? GetPoolById(string id) =>
        Query($"SELECT {PoolColumns} FROM pools WHERE id = $id", ReadPool, ("$id", id)).FirstOrDefault();

    public List<PoolRecord> AllPools() => Query($"SELECT {PoolColumns} FROM pools ORDER BY created_at, name", ReadPool);

    public List<PoolRecord> ListPools(int limit, int offset, string? nameContains) =>
        Query($"SELECT {PoolColumns} FROM pools WHERE ($nc IS NULL OR instr(name, $nc) > 0) ORDER BY created_at, name LIMIT $limit OFFSET $offset",
            ReadPool, ("$nc", nameContains), ("$limit", limit), ("$offset", offset));

    public bool TemplateUsedByPool(string templateName) =>
        Query("SELECT 1 FROM pools WHERE template_name = $t LIMIT 1", _ => true, ("$t", templateName)).Count > 0;

    /// <summary>Pools of a template, oldest first (the order in which claims try them).</summary>
    public List<PoolRecord> PoolsOfTemplate(string templateName) =>
        Query($"SELECT {PoolColumns} FROM pools WHERE template_name = $t ORDER BY created_at, name", ReadPool, ("$t", templateName));

    /// <summary>Inserts a replica's sandbox row and marks it as the pool's, in one transaction.</summary>
    public void InsertPoolReplica(SandboxRecord s, string poolId)
    {
        lock (_lock)
        {
            using var tx = _db.BeginTransaction();
            using (var cmd = _db.CreateCommand())
            {
                cmd.CommandText = $"INSERT INTO sandboxes ({SandboxColumns}) VALUES ($id,$name,$template,$lower,$status,$message,$c,$u,$ttl,$idle,$expires,$snapshot,$vcpus,$cpu,$mem,$fs,$env)";
                foreach (var (name, value) in SandboxArgs(s)) cmd.Parameters.AddWithValue(name, Db(value));
                cmd.ExecuteNonQuery();
            }
            using (var cmd = _db.CreateCommand())
            {
                cmd.CommandText = "INSERT INTO pool_replicas (sandbox_id, pool_id) VALUES ($id, $pool)";
                cmd.Parameters.AddWithValue("$id", s.Id);
                cmd.Parameters.AddWithValue("$pool", poolId);
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    /// <summary>Every replica (of any pool, existing or deleted), with its sandbox row.</summary>
    public List<PoolReplica> AllPoolReplicas() =>
        Query($"SELECT {Prefixed("s.", SandboxColumns)}, r.pool_id FROM pool_replicas r JOIN sandboxes s ON s.id = r.sandbox_id",
            r => new PoolReplica(ReadSandbox(r), r.GetString(17)));

    /// <summary>Removes a replica's rows (sandbox and marker).</summary>
    public void DeletePoolReplica(string id)
    {
        lock (_lock)
        {
            using var tx = _db.BeginTransaction();
            foreach (var sql in new[] { "DELETE FROM pool_replicas WHERE sandbox_id = $id", "DELETE FROM sandboxes WHERE id = $id" })
            {
                using var cmd = _db.CreateCommand();
                cmd.CommandText = sql;
                cmd.Parameters.AddWithValue("$id", id);
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    /// <summary>Marker rows whose sandbox row is gone (a sandbox deleted by name while it was a replica).</summary>
    public void DeleteDanglingPoolReplicas() =>
        Run("DELETE FROM pool_replicas WHERE sandbox_id NOT IN (SELECT id FROM sandboxes)", null);

    /// <summary>
    /// Hands replica <paramref name="id"/> over: drops its pool marker and rewrites its row with the claim, in one
    /// transaction. Returns null when it is no longer a ready replica; throws <see cref="NameTakenException"/> when the
    /// name is taken (nothing changes then).
    /// </summary>
    public SandboxRecord? ClaimPoolReplica(string id, ReplicaClaim c)
    {
        lock (_lock)
        {
            using var tx = _db.BeginTransaction();
            try
            {
                using (var cmd = _db.CreateCommand())
                {
                    cmd.CommandText = "DELETE FROM pool_replicas WHERE sandbox_id = $id AND EXISTS (SELECT 1 FROM sandboxes WHERE id = $id AND status = 'ready')";
                    cmd.Parameters.AddWithValue("$id", id);
                    if (cmd.ExecuteNonQuery() == 0)
                    {
                        tx.Rollback();
                        return null;
                    }
                }
                using (var cmd = _db.CreateCommand())
                {
                    cmd.CommandText = """
                        UPDATE sandboxes SET name=$name, created_at=$now, updated_at=$now, ttl_seconds=$ttl, idle_ttl_seconds=$idle, expires_at=$expires,
                            vcpus=$vcpus, cpu_limit=$cpu, mem_bytes=$mem, fs_capacity_bytes=$fs, env=$env, status_message=NULL WHERE id=$id
                        """;
                    cmd.Parameters.AddWithValue("$id", id);
                    cmd.Parameters.AddWithValue("$name", c.Name);
                    cmd.Parameters.AddWithValue("$now", Time(c.Now));
                    cmd.Parameters.AddWithValue("$ttl", Db(c.TtlSeconds));
                    cmd.Parameters.AddWithValue("$idle", Db(c.IdleTtlSeconds));
                    cmd.Parameters.AddWithValue("$expires", Db(c.TtlSeconds is > 0 ? Time(c.Now.AddSeconds(c.TtlSeconds.Value)) : null));
                    cmd.Parameters.AddWithValue("$vcpus", c.Vcpus);
                    cmd.Parameters.AddWithValue("$cpu", c.CpuLimit);
                    cmd.Parameters.AddWithValue("$mem", c.MemBytes);
                    cmd.Parameters.AddWithValue("$fs", Db(c.FsCapacityBytes));
                    cmd.Parameters.AddWithValue("$env", JsonSerializer.Serialize(c.Env));
                    cmd.ExecuteNonQuery();
                }
                tx.Commit();
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19)
            {
                tx.Rollback();
                throw new NameTakenException(c.Name);
            }
        }
        return GetSandboxById(id);
    }

    private static string Prefixed(string prefix, string columns) =>
        string.Join(", ", columns.Split(',').Select(c => prefix + c.Trim()));
}
