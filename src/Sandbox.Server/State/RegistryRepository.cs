using Microsoft.Data.Sqlite;

namespace Sandbox.Server.State;

/// <summary>A container registry's credentials as stored: the password is not here (see <c>Services/RegistryService</c>).</summary>
public sealed record RegistryRecord : NamedRecord
{
    public required string Url { get; init; }
    public required string Username { get; init; }
}

/// <summary>The <c>registries</c> table.</summary>
public sealed class RegistryRepository(StateDb db)
{
    private const string Columns = "id, name, url, username, created_at, updated_at";
    private readonly NamedTable<RegistryRecord> _registries = new(db, "registries", Columns, Read);

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
    public void InsertRegistry(RegistryRecord r) => _registries.Insert(r.Name, Args(r));

    /// <exception cref="NameTakenException">Another registry has the new name.</exception>
    public void UpdateRegistry(RegistryRecord r) =>
        db.Run("UPDATE registries SET name = $name, url = $url, username = $user, updated_at = $u WHERE id = $id", r.Name, Args(r));

    public void DeleteRegistry(string id) => _registries.Delete("id", id);

    public RegistryRecord? GetRegistryByName(string name) => _registries.ByName(name);

    public RegistryRecord? GetRegistry(string id) => _registries.ById(id);

    /// <summary>A page, newest first (ties by id), as the hosted API orders registries.</summary>
    public List<RegistryRecord> ListRegistries(int limit, int offset, string? nameContains) =>
        db.Query($"""
            SELECT {Columns} FROM registries WHERE ($nc IS NULL OR instr(lower(name), lower($nc)) > 0)
            ORDER BY created_at DESC, id LIMIT $limit OFFSET $offset
            """, Read, ("$nc", nameContains), ("$limit", limit), ("$offset", offset));

    public List<string> AllRegistryIds() => _registries.All().Select(r => r.Id).ToList();
}
