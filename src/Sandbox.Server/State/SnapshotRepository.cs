using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Sandbox.Server.State;

public static class SnapshotStatus
{
    /// <summary>Being captured or imported (the older generation called it <c>provisioning</c>).</summary>
    public const string Building = "building";
    public const string Ready = "ready";
    public const string Failed = "failed";
}

/// <summary>Where a snapshot's files came from.</summary>
public static class SnapshotKind
{
    /// <summary>A sandbox's upper layer; it is used over <see cref="SnapshotRecord.LowerDir"/> (its sandbox's lower).</summary>
    public const string Sandbox = "sandbox";
    /// <summary>A full root filesystem unpacked from an image archive; it is the whole lower layer.</summary>
    public const string Image = "image";
    /// <summary>A built-in (<c>python</c>, <c>base</c>) made a snapshot by <c>POST /snapshots</c>: no files, the host image as lower layer.</summary>
    public const string BuiltIn = "builtin";
}

/// <summary>
/// A snapshot as stored. <see cref="Deleted"/> snapshots are gone for the API but keep their row (and files) while a
/// sandbox's lower layer or another snapshot still lies in their directory.
/// </summary>
public sealed record SnapshotRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Kind { get; init; }
    public required string Status { get; init; }
    public string? StatusMessage { get; init; }
    public long? FsCapacityBytes { get; init; }
    public long? FsUsedBytes { get; init; }
    public string? SourceSandboxId { get; init; }
    public string? DockerImage { get; init; }
    /// <summary>The template the source sandbox came from (for resource defaults), or null.</summary>
    public string? TemplateName { get; init; }
    /// <summary>For <see cref="SnapshotKind.Sandbox"/>: the lower layer the captured upper layer goes over.</summary>
    public string? LowerDir { get; init; }
    public bool Deleted { get; init; }
    public required DateTime CreatedAt { get; init; }
    public required DateTime UpdatedAt { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>The registry the image reference was given with (<c>registry_id</c>), or null.</summary>
    public string? RegistryId { get; init; }
    /// <summary>
    /// The snapshot's layer of run_config, under the sandbox's and each command's: an image's USER/WORKDIR/ENV, a captured
    /// sandbox's resolved run_config, with the request's <c>run_config</c> over either; null when none.
    /// </summary>
    public RunConfigRecord? RunConfig { get; init; }
    /// <summary>The tags under <see cref="Name"/> that resolve to this snapshot now (read only: tags are set by <see cref="SnapshotRepository.InsertSnapshot"/>).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
}

/// <summary>One tag of a snapshot name and the snapshot it resolves to.</summary>
public sealed record SnapshotTag(string Tag, string SnapshotId);

/// <summary>
/// The <c>snapshots</c> table (deleted snapshots keep their row while their files are in use) and <c>snapshot_tags</c>:
/// each (name, tag) resolves to one snapshot of that name; a snapshot whose tags all moved on is addressable by id only.
/// </summary>
public sealed class SnapshotRepository(StateDb db)
{
    private const string Columns = "id, name, kind, status, status_message, fs_capacity_bytes, fs_used_bytes, source_sandbox_id, docker_image, template_name, lower_dir, deleted, created_at, updated_at, labels, registry_id, run_config, "
        + "(SELECT json_group_array(tag) FROM (SELECT tag FROM snapshot_tags t WHERE t.snapshot_id = snapshots.id ORDER BY tag))";

    private static SnapshotRecord Read(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        Kind = r.GetString(2),
        Status = r.GetString(3),
        StatusMessage = r.IsDBNull(4) ? null : r.GetString(4),
        FsCapacityBytes = r.IsDBNull(5) ? null : r.GetInt64(5),
        FsUsedBytes = r.IsDBNull(6) ? null : r.GetInt64(6),
        SourceSandboxId = r.IsDBNull(7) ? null : r.GetString(7),
        DockerImage = r.IsDBNull(8) ? null : r.GetString(8),
        TemplateName = r.IsDBNull(9) ? null : r.GetString(9),
        LowerDir = r.IsDBNull(10) ? null : r.GetString(10),
        Deleted = r.GetInt64(11) != 0,
        CreatedAt = StateDb.ParseTime(r.GetString(12)),
        UpdatedAt = StateDb.ParseTime(r.GetString(13)),
        Labels = JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(14)) ?? [],
        RegistryId = r.IsDBNull(15) ? null : r.GetString(15),
        RunConfig = r.IsDBNull(16) ? null : RunConfigRecord.Deserialize(r.GetString(16)),
        Tags = JsonSerializer.Deserialize<List<string>>(r.GetString(17)) ?? [],
    };

    private static (string, object?)[] Args(SnapshotRecord s) =>
    [
        ("$id", s.Id), ("$name", s.Name), ("$kind", s.Kind), ("$status", s.Status), ("$message", s.StatusMessage),
        ("$cap", s.FsCapacityBytes), ("$used", s.FsUsedBytes), ("$source", s.SourceSandboxId), ("$image", s.DockerImage),
        ("$template", s.TemplateName), ("$lower", s.LowerDir), ("$deleted", s.Deleted ? 1 : 0), ("$c", StateDb.Time(s.CreatedAt)), ("$u", StateDb.Time(s.UpdatedAt)),
        ("$labels", JsonSerializer.Serialize(s.Labels)), ("$registry", s.RegistryId),
        ("$runconfig", RunConfigRecord.Serialize(s.RunConfig)),
    ];

    /// <summary>Stores a new snapshot and points <c>name:tag</c> at it (moving the tag off the snapshot it named before), in one transaction.</summary>
    public SnapshotRecord InsertSnapshot(SnapshotRecord s, string tag)
    {
        db.InTransaction(tx =>
        {
            tx.Run("""
                INSERT INTO snapshots (id, name, kind, status, status_message, fs_capacity_bytes, fs_used_bytes, source_sandbox_id, docker_image, template_name, lower_dir, deleted, created_at, updated_at, labels, registry_id, run_config)
                VALUES ($id,$name,$kind,$status,$message,$cap,$used,$source,$image,$template,$lower,$deleted,$c,$u,$labels,$registry,$runconfig)
                """, Args(s));
            return tx.Run("""
                INSERT INTO snapshot_tags (name, tag, snapshot_id, updated_at) VALUES ($name, $tag, $id, $u)
                ON CONFLICT(name, tag) DO UPDATE SET snapshot_id = excluded.snapshot_id, updated_at = excluded.updated_at
                """, ("$name", s.Name), ("$tag", tag), ("$id", s.Id), ("$u", StateDb.Time(s.UpdatedAt)));
        });
        return GetSnapshot(s.Id)!;
    }

    /// <summary>Writes the mutable fields (status, message, sizes, deleted, run_config once an image's is read) of the snapshot with the record's id; a deleted one loses its tags.</summary>
    public void UpdateSnapshot(SnapshotRecord s) =>
        db.InTransaction(tx =>
        {
            if (s.Deleted) tx.Run("DELETE FROM snapshot_tags WHERE snapshot_id = $id", ("$id", s.Id));
            return tx.Run("UPDATE snapshots SET status=$status, status_message=$message, fs_used_bytes=$used, deleted=$deleted, run_config=$runconfig, updated_at=$u WHERE id=$id", Args(s));
        });

    /// <summary>The live snapshot <c>name:tag</c> resolves to, or null.</summary>
    public SnapshotRecord? FindByTag(string name, string tag) =>
        db.Query($"SELECT {Columns} FROM snapshots WHERE deleted = 0 AND id = (SELECT snapshot_id FROM snapshot_tags WHERE name = $name AND tag = $tag)",
            Read, ("$name", name), ("$tag", tag)).FirstOrDefault();

    /// <summary>The newest ready live snapshot of that name that no tag resolves to (a bare name's fallback when it has no <c>latest</c>), or null.</summary>
    public SnapshotRecord? FindNewestUntagged(string name) =>
        db.Query($"""
            SELECT {Columns} FROM snapshots WHERE deleted = 0 AND name = $name AND status = 'ready'
            AND NOT EXISTS (SELECT 1 FROM snapshot_tags t WHERE t.snapshot_id = snapshots.id) ORDER BY created_at DESC LIMIT 1
            """, Read, ("$name", name)).FirstOrDefault();

    /// <summary>Every tag of a name, in tag order.</summary>
    public List<SnapshotTag> TagsOf(string name) =>
        db.Query("SELECT tag, snapshot_id FROM snapshot_tags WHERE name = $name ORDER BY tag", r => new SnapshotTag(r.GetString(0), r.GetString(1)), ("$name", name));

    /// <summary>True when a live snapshot has that name (tagged or not).</summary>
    public bool NameExists(string name) =>
        db.Query("SELECT 1 FROM snapshots WHERE deleted = 0 AND name = $name LIMIT 1", r => true, ("$name", name)).Count > 0;

    public void DeleteSnapshotRow(string id) => db.Run("DELETE FROM snapshots WHERE id = $id", null, ("$id", id));

    /// <summary>A snapshot by id, deleted ones included.</summary>
    public SnapshotRecord? GetSnapshot(string id) =>
        db.Query($"SELECT {Columns} FROM snapshots WHERE id = $id", Read, ("$id", id)).FirstOrDefault();

    /// <summary>One page of live snapshots.</summary>
    public List<SnapshotRecord> ListSnapshots(SnapshotQuery q)
    {
        // sort_by is validated against a fixed list before it reaches SQL.
        var column = q.SortBy switch
        {
            "name" => "name",
            "status" => "status",
            _ => "created_at",
        };
        var direction = q.Descending ? "DESC" : "ASC";
        var (labelSql, labelArgs) = LabelFilter.Sql(q.Labels);
        return db.Query($"""
            SELECT {Columns} FROM snapshots WHERE deleted = 0 AND ($nc IS NULL OR instr(lower(name), lower($nc)) > 0) AND ($status IS NULL OR status = $status){labelSql}
            ORDER BY {column} {direction}, name {direction}, id LIMIT $limit OFFSET $offset
            """, Read, [("$nc", q.NameContains), ("$status", q.Status), ("$limit", q.Limit), ("$offset", q.Offset), .. labelArgs]);
    }

    /// <summary>Every snapshot row, deleted ones included.</summary>
    public List<SnapshotRecord> AllSnapshots() => db.Query($"SELECT {Columns} FROM snapshots", Read);

    /// <summary>True when a sandbox's lower layer or another snapshot's lower layer lies in <paramref name="dir"/>.</summary>
    public bool DirectoryInUse(string dir, string exceptSnapshotId)
    {
        var prefix = dir.TrimEnd('/') + "/";
        return db.Query("""
            SELECT 1 FROM sandboxes WHERE lower_dir = $dir OR substr(lower_dir, 1, length($prefix)) = $prefix OR instr(lower_dir, ':' || $dir) > 0
            UNION ALL
            SELECT 1 FROM snapshots WHERE id <> $except AND (lower_dir = $dir OR substr(lower_dir, 1, length($prefix)) = $prefix)
            LIMIT 1
            """, r => true, ("$dir", dir.TrimEnd('/')), ("$prefix", prefix), ("$except", exceptSnapshotId)).Count > 0;
    }
}
