using Microsoft.Data.Sqlite;

namespace Sandbox.Server.State;

/// <summary>A container registry's credentials as stored: the password is not here (see <c>Services/RegistryService</c>).</summary>
public sealed record RegistryRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Url { get; init; }
    public required string Username { get; init; }
    public required DateTime CreatedAt { get; init; }
    public required DateTime UpdatedAt { get; init; }
}

/// <summary>The <c>registries</c> table.</summary>
public sealed class RegistryRepository(StateDb db)
{
    private const string Columns = "id, name, url, username, created_at, updated_at";

    private static RegistryRecord Read(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        Name = r.GetString(1),
        Url = r.GetString(2),
        Username = r.GetString(3),
        CreatedAt = StateDb.ParseTime(r.GetString(4)),
        UpdatedAt = StateDb.ParseTime(r.GetString(5)),
    };

    private static (string, object?)[] Args(RegistryRecord r) =>
        [("$id", r.Id), ("$name", r.Name), ("$url", r.Url), ("$user", r.Username), ("$c", StateDb.Time(r.CreatedAt)), ("$u", StateDb.Time(r.UpdatedAt))];

    /// <exception cref="NameTakenException">A registry has the name.</exception>
    public void InsertRegistry(RegistryRecord r) =>
        db.Run($"INSERT INTO registries ({Columns}) VALUES ($id, $name, $url, $user, $c, $u)", r.Name, Args(r));

    /// <exception cref="NameTakenException">Another registry has the new name.</exception>
    public void UpdateRegistry(RegistryRecord r) =>
        db.Run("UPDATE registries SET name = $name, url = $url, username = $user, updated_at = $u WHERE id = $id", r.Name, Args(r));

    public void DeleteRegistry(string id) => db.Run("DELETE FROM registries WHERE id = $id", null, ("$id", id));

    public RegistryRecord? GetRegistryByName(string name) =>
        db.Query($"SELECT {Columns} FROM registries WHERE name = $name", Read, ("$name", name)).FirstOrDefault();

    public RegistryRecord? GetRegistry(string id) =>
        db.Query($"SELECT {Columns} FROM registries WHERE id = $id", Read, ("$id", id)).FirstOrDefault();

    /// <summary>A page, newest first (ties by id).</summary>
    public List<RegistryRecord> ListRegistries(int limit, int offset, string? nameContains) =>
        db.Query($"""
            SELECT {Columns} FROM registries WHERE ($nc IS NULL OR instr(lower(name), lower($nc)) > 0)
            ORDER BY created_at DESC, id LIMIT $limit OFFSET $offset
            """, Read, ("$nc", nameContains), ("$limit", limit), ("$offset", offset));

    public List<string> AllRegistryIds() => db.Query("SELECT id FROM registries", r => r.GetString(0));
}
