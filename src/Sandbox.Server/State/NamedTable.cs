using Microsoft.Data.Sqlite;

namespace Sandbox.Server.State;

/// <summary>
/// The queries every table of named resources (templates, pools, volumes) shares: insert, one row by name or id, all
/// rows, a page filtered by a name substring, delete. Table and column names are the repository's constants, never input.
/// </summary>
/// <typeparam name="T">The stored record.</typeparam>
internal sealed class NamedTable<T>(StateDb db, string table, string columns, Func<SqliteDataReader, T> read) where T : NamedRecord
{
    /// <summary>Inserts a row; <paramref name="values"/> come in the order of the columns. A taken name throws <see cref="NameTakenException"/>.</summary>
    public void Insert(string name, params (string Name, object? Value)[] values) =>
        db.Run($"INSERT INTO {table} ({columns}) VALUES ({string.Join(",", values.Select(v => v.Name))})", name, values);

    public T? ByName(string name) => db.Query($"SELECT {columns} FROM {table} WHERE name = $name", read, ("$name", name)).FirstOrDefault();

    public T? ById(string id) => db.Query($"SELECT {columns} FROM {table} WHERE id = $id", read, ("$id", id)).FirstOrDefault();

    /// <summary>Every row, oldest first.</summary>
    public List<T> All() => db.Query($"SELECT {columns} FROM {table} ORDER BY created_at, name", read);

    /// <summary>The rows whose <paramref name="column"/> is <paramref name="value"/>, oldest first.</summary>
    public List<T> Where(string column, object value) =>
        db.Query($"SELECT {columns} FROM {table} WHERE {column} = $v ORDER BY created_at, name", read, ("$v", value));

    /// <summary>One page, oldest first, of the rows whose name contains <paramref name="nameContains"/> (null: all).</summary>
    public List<T> Page(int limit, int offset, string? nameContains) =>
        db.Query($"SELECT {columns} FROM {table} WHERE ($nc IS NULL OR instr(name, $nc) > 0) ORDER BY created_at, name LIMIT $limit OFFSET $offset",
            read, ("$nc", nameContains), ("$limit", limit), ("$offset", offset));

    /// <summary>Deletes the row whose <paramref name="column"/> (id or name) is <paramref name="value"/>; false when there was none.</summary>
    public bool Delete(string column, string value) => db.Run($"DELETE FROM {table} WHERE {column} = $v", null, ("$v", value)) > 0;
}
