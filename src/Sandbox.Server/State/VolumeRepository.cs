using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Sandbox.Server.State;

/// <summary>A volume as stored: its image is <c>volumes/{Id}.img</c> under the data dir, exactly <see cref="SizeBytes"/> long.</summary>
public sealed record VolumeRecord : NamedRecord
{
    public required long SizeBytes { get; init; }
    public required string StorageClass { get; init; }
}

/// <summary>The <c>volumes</c> table and the queries that relate volumes to templates and sandboxes.</summary>
public sealed class VolumeRepository(StateDb db)
{
    private readonly NamedTable<VolumeRecord> _volumes = new(db, "volumes", "id, name, size_bytes, storage_class, created_at, updated_at", Read);

    // Templates keep volume_mounts as JSON: [{"VolumeName": ..., "MountPath": ...}].
    private const string MountsVolume = "EXISTS (SELECT 1 FROM json_each(templates.volume_mounts) WHERE json_extract(json_each.value, '$.VolumeName') = $volume)";

    private static VolumeRecord Read(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        SizeBytes = r.GetInt64(2),
        StorageClass = r.GetString(3),
        CreatedAt = StateDb.ParseTime(r.GetString(4)),
        UpdatedAt = StateDb.ParseTime(r.GetString(5)),
    };

    public void InsertVolume(VolumeRecord v) =>
        _volumes.Insert(v.Name, ("$id", v.Id), ("$name", v.Name), ("$size", v.SizeBytes), ("$class", v.StorageClass), ("$c", StateDb.Time(v.CreatedAt)), ("$u", StateDb.Time(v.UpdatedAt)));

    public VolumeRecord? GetVolume(string name) => _volumes.ByName(name);

    public List<VolumeRecord> AllVolumes() => _volumes.All();

    public List<VolumeRecord> ListVolumes(int limit, int offset, string? nameContains) => _volumes.Page(limit, offset, nameContains);

    public void UpdateVolumeSize(string id, long sizeBytes, DateTime now) =>
        db.Run("UPDATE volumes SET size_bytes = $size, updated_at = $u WHERE id = $id", null, ("$size", sizeBytes), ("$u", StateDb.Time(now)), ("$id", id));

    public bool DeleteVolume(string id) => _volumes.Delete("id", id);

    /// <summary>Names of the templates that mount the volume.</summary>
    public List<string> TemplatesMountingVolume(string volumeName) =>
        db.Query($"SELECT name FROM templates WHERE {MountsVolume} ORDER BY name", r => r.GetString(0), ("$volume", volumeName));

    /// <summary>Sandboxes whose template mounts the volume and whose processes may hold it (provisioning, ready, paused).</summary>
    public List<string> RunningSandboxesUsingVolume(string volumeName) =>
        db.Query($"""
            SELECT s.name FROM sandboxes s JOIN templates ON templates.name = s.template_name
            WHERE {MountsVolume} AND s.status IN ('provisioning', 'ready', 'paused') ORDER BY s.name
            """, r => r.GetString(0), ("$volume", volumeName));

    /// <summary>Renames a volume and rewrites the templates that mount it, in one transaction.</summary>
    public void RenameVolume(string name, string newName, DateTime now) =>
        db.InTransaction(tx =>
        {
            tx.Run("UPDATE volumes SET name = $new, updated_at = $u WHERE name = $name", ("$new", newName), ("$u", StateDb.Time(now)), ("$name", name));
            var rewrites = tx.Query($"SELECT id, volume_mounts FROM templates WHERE {MountsVolume}", r =>
            {
                var mounts = JsonSerializer.Deserialize<List<VolumeMount>>(r.GetString(1)) ?? [];
                return (Id: r.GetString(0), Mounts: JsonSerializer.Serialize(mounts.Select(m => m.VolumeName == name ? m with { VolumeName = newName } : m).ToList()));
            }, ("$volume", name));
            foreach (var (id, mounts) in rewrites)
                tx.Run("UPDATE templates SET volume_mounts = $vm WHERE id = $id", ("$vm", mounts), ("$id", id));
            return rewrites.Count;
        }, newName);
}
