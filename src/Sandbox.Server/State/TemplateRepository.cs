using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Sandbox.Server.State;

/// <summary>The <c>templates</c> table.</summary>
public sealed class TemplateRepository(StateDb db)
{
    private readonly NamedTable<TemplateRecord> _templates = new(db, "templates", "id, name, image, cpu, memory, storage, volume_mounts, created_at, updated_at", Read);

    private static TemplateRecord Read(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        Image = r.GetString(2),
        Cpu = r.GetString(3),
        Memory = r.GetString(4),
        Storage = r.IsDBNull(5) ? null : r.GetString(5),
        VolumeMounts = JsonSerializer.Deserialize<List<VolumeMount>>(r.GetString(6)) ?? [],
        CreatedAt = StateDb.ParseTime(r.GetString(7)),
        UpdatedAt = StateDb.ParseTime(r.GetString(8)),
    };

    public void InsertTemplate(TemplateRecord t) =>
        _templates.Insert(t.Name, ("$id", t.Id), ("$name", t.Name), ("$image", t.Image), ("$cpu", t.Cpu), ("$memory", t.Memory), ("$storage", t.Storage),
            ("$vm", JsonSerializer.Serialize(t.VolumeMounts)), ("$c", StateDb.Time(t.CreatedAt)), ("$u", StateDb.Time(t.UpdatedAt)));

    public TemplateRecord? GetTemplate(string name) => _templates.ByName(name);

    public List<TemplateRecord> ListTemplates(int limit, int offset, string? nameContains) => _templates.Page(limit, offset, nameContains);

    public int CountTemplates() => db.Query("SELECT COUNT(*) FROM templates", r => r.GetInt32(0)).Single();

    /// <summary>Renames a template and the sandboxes and pools that refer to it, in one transaction.</summary>
    public void RenameTemplate(string name, string newName, DateTime now) =>
        db.InTransaction(tx =>
        {
            tx.Run("UPDATE templates SET name = $new, updated_at = $u WHERE name = $name", ("$new", newName), ("$u", StateDb.Time(now)), ("$name", name));
            return tx.Run("UPDATE sandboxes SET template_name = $new WHERE template_name = $name; UPDATE pools SET template_name = $new WHERE template_name = $name",
                ("$new", newName), ("$name", name));
        }, newName);

    public bool DeleteTemplate(string name) => _templates.Delete("name", name);
}
