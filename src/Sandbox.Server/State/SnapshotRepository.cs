using Microsoft.Data.Sqlite;

namespace Sandbox.Server.State;

public static class SnapshotStatus
{
    public const string Provisioning = "provisioning";
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
}

/// <summary>The <c>snapshots</c> table (deleted snapshots keep their row while their files are in use).</summary>
public sealed class SnapshotRepository(StateDb db)
{
    private const string Columns = "id, name, kind, status, status_message, fs_capacity_bytes, fs_used_bytes, source_sandbox_id, docker_image, template_name, lower_dir, deleted, created_at, updated_at";

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
    };

    private static (string, object?)[] Args(SnapshotRecord s) =>
    [
        ("$id", s.Id), ("$name", s.Name), ("$kind", s.Kind), ("$status", s.Status), ("$message", s.StatusMessage),
        ("$cap", s.FsCapacityBytes), ("$used", s.FsUsedBytes), ("$source", s.SourceSandboxId), ("$image", s.DockerImage),
        ("$template", s.TemplateName), ("$lower", s.LowerDir), ("$deleted", s.Deleted ? 1 : 0), ("$c", StateDb.Time(s.CreatedAt)), ("$u", StateDb.Time(s.UpdatedAt)),
    ];

    /// <exception cref="NameTakenException">A live snapshot has the name.</exception>
    public void InsertSnapshot(SnapshotRecord s) =>
        db.Run($"INSERT INTO snapshots ({Columns}) VALUES ($id,$name,$kind,$status,$message,$cap,$used,$source,$image,$template,$lower,$deleted,$c,$u)", s.Name, Args(s));

    /// <summary>Writes the mutable fields (status, message, sizes, deleted) of the snapshot with the record's id.</summary>
    public void UpdateSnapshot(SnapshotRecord s) =>
        db.Run("UPDATE snapshots SET status=$status, status_message=$message, fs_used_bytes=$used, deleted=$deleted, updated_at=$u WHERE id=$id", null, Args(s));

    public void DeleteSnapshotRow(string id) => db.Run("DELETE FROM snapshots WHERE id = $id", null, ("$id", id));

    /// <summary>A snapshot by id, deleted ones included.</summary>
    public SnapshotRecord? GetSnapshot(string id) =>
        db.Query($"SELECT {Columns} FROM snapshots WHERE id = $id", Read, ("$id", id)).FirstOrDefault();

    /// <summary>The live snapshot of that name, the newest ready one first (names are unique among live snapshots today).</summary>
    public SnapshotRecord? FindLiveByName(string name) =>
        db.Query($"SELECT {Columns} FROM snapshots WHERE deleted = 0 AND name = $name ORDER BY status = 'ready' DESC, created_at DESC LIMIT 1",
            Read, ("$name", name)).FirstOrDefault();

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
        return db.Query($"""
            SELECT {Columns} FROM snapshots WHERE deleted = 0 AND ($nc IS NULL OR instr(lower(name), lower($nc)) > 0) AND ($status IS NULL OR status = $status)
            ORDER BY {column} {direction}, name {direction}, id LIMIT $limit OFFSET $offset
            """, Read, ("$nc", q.NameContains), ("$status", q.Status), ("$limit", q.Limit), ("$offset", q.Offset));
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
