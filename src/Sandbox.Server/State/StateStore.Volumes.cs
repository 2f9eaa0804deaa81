using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Sandbox.Server.State;

/// <summary>A volume as stored: its image is <c>volumes/{Id}.img</c> under the data dir, exactly <see cref="SizeBytes"/> long.</summary>
public sealed record VolumeRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required long SizeBytes { get; init; }
    public required string StorageClass { get; init; }
    public required DateTime CreatedAt { get; init; }
    public required DateTime UpdatedAt { get; init; }
}

/// <summary>The volumes table and the queries that relate volumes to templates and sandboxes.</summary>
public sealed partial class StateStore
{
    private const string VolumesTable = """
        CREATE TABLE IF NOT EXISTS volumes (
            id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, size_bytes INTEGER NOT NULL, storage_class TEXT NOT NULL,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        """;

    private const string VolumeColumns = "id, name, size_bytes, storage_class, created_at, updated_at";

    // Templates keep volume_mounts as JSON: [{"VolumeName": ..., "MountPath": ...}].
    private const string MountsVolume = "EXISTS (SELECT 1 FROM json_each(templates.volume_mounts) WHERE json_extract(json_each.value, '$.VolumeName') = $volume)";

    private static VolumeRecord ReadVolume(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        SizeBytes = r.GetInt64(2),
        StorageClass = r.GetString(3),
        CreatedAt = ParseTime(r.GetString(4)),
        UpdatedAt = ParseTime(r.GetString(5)),
    };

    public void InsertVolume(VolumeRecord v) =>
        Run($"INSERT INTO volumes ({VolumeColumns}) VALUES ($id,$name,$size,$class,$c,$u)", v.Name,
            ("$id", v.Id), ("$name", v.Name), ("$size", v.SizeBytes), ("$class", v.StorageClass), ("$c", Time(v.CreatedAt)), ("$u", Time(v.UpdatedAt)));

    public VolumeRecord? GetVolume(string name) =>
        Query($"SELECT {VolumeColumns} FROM volumes WHERE name = $name", ReadVolume, ("$name", name)).FirstOrDefault();

    public List<VolumeRecord> AllVolumes() => Query($"SELECT {VolumeColumns} FROM volumes", ReadVolume);

    public List<VolumeRecord> ListVolumes(int limit, int offset, string? nameContains) =>
        Query($"SELECT {VolumeColumns} FROM volumes WHERE ($nc IS NULL OR instr(name, $nc) > 0) ORDER BY created_at, name LIMIT $limit OFFSET $offset",
            ReadVolume, ("$nc", nameContains), ("$limit", limit), ("$offset", offset));

    public void UpdateVolumeSize(string id, long sizeBytes, DateTime now) =>
        Run("UPDATE volumes SET size_bytes = $size, updated_at = $u WHERE id = $id", null, ("$size", sizeBytes), ("$u", Time(now)), ("$id", id));

    public bool DeleteVolume(string id) => Run("DELETE FROM volumes WHERE id = $id", null, ("$id", id)) > 0;

    /// <summary>Names of the templates that mount the volume.</summary>
    public List<string> TemplatesMountingVolume(string volumeName) =>
        Query($"SELECT name FROM templates WHERE {MountsVolume} ORDER BY name", r => r.GetString(0), ("$volume", volumeName));

    /// <summary>Sandboxes whose template mounts the volume and whose processes may hold it (provisioning, ready, paused).</summary>
    public List<string> RunningSandboxesUsingVolume(string volumeName) =>
        Query($"""
            SELECT s.name FROM sandboxes s JOIN templates ON templates.name = s.template_name
            WHERE {MountsVolume} AND s.status IN ('provisioning', 'ready', 'paused') ORDER BY s.name
            """, r => r.GetString(0), ("$volume", volumeName));

    /// <summary>Renames a volume and rewrites the templates that mount it, in one transaction.</summary>
    public void RenameVolume(string name, string newName, DateTime now)
    {
        lock (_lock)
        {
            using var tx = _db.BeginTransaction();
            try
            {
                using (var cmd = _db.CreateCommand())
                {
                    cmd.CommandText = "UPDATE volumes SET name = $new, updated_at = $u WHERE name = $name";
                    cmd.Parameters.AddWithValue("$new", newName);
                    cmd.Parameters.AddWithValue("$u", Time(now));
                    cmd.Parameters.AddWithValue("$name", name);
                    cmd.ExecuteNonQuery();
                }
                var rewrites = new List<(string Id, string Mounts)>();
                using (var cmd = _db.CreateCommand())
                {
                    cmd.CommandText = $"SELECT id, volume_mounts FROM templates WHERE {MountsVolume}";
                    cmd.Parameters.AddWithValue("$volume", name);
                    using var reader = cmd.ExecuteReader();
                    while (reader.Read())
                    {
                        var mounts = JsonSerializer.Deserialize<List<VolumeMount>>(reader.GetString(1)) ?? [];
                        rewrites.Add((reader.GetString(0), JsonSerializer.Serialize(mounts.Select(m => m.VolumeName == name ? m with { VolumeName = newName } : m).ToList())));
                    }
                }
                foreach (var (id, mounts) in rewrites)
                {
                    using var cmd = _db.CreateCommand();
                    cmd.CommandText = "UPDATE templates SET volume_mounts = $vm WHERE id = $id";
                    cmd.Parameters.AddWithValue("$vm", mounts);
                    cmd.Parameters.AddWithValue("$id", id);
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
}
