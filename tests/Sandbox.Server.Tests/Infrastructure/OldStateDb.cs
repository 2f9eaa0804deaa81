using Microsoft.Data.Sqlite;

namespace Sandbox.Server.Tests.Infrastructure;

/// <summary>
/// Rewrites a stopped server's <c>state.db</c> into the shape an older server wrote (a schema from Fixtures/, user_version
/// 0), keeping every row of every table that shape has and every column it has. The server's files on disk stay as they
/// are, so the server started next finds a data dir of that older version.
/// </summary>
public static class OldStateDb
{
    public static void Rewrite(string dataDir, string fixture)
    {
        var current = Path.Combine(dataDir, "state.db");
        var old = current + ".old";
        File.Delete(old);
        using (var db = Open(old))
        {
            Run(db, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", fixture)));
            Run(db, $"ATTACH DATABASE '{current}' AS current");
            foreach (var table in Strings(db, "SELECT name FROM main.sqlite_master WHERE type = 'table'"))
            {
                var oldColumns = Strings(db, $"SELECT name FROM pragma_table_info('{table}')");
                var newColumns = Strings(db, $"SELECT name FROM current.pragma_table_info('{table}')").ToHashSet();
                var columns = string.Join(", ", oldColumns.Where(newColumns.Contains));
                Run(db, $"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM current.{table}");
            }
            Run(db, "DETACH DATABASE current");
            Assert.Equal(0L, Scalar(db, "PRAGMA user_version"));
        }
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" }) File.Delete(current + suffix);
        File.Move(old, current);
    }

    /// <summary>Runs SQL on a stopped server's state.db (to take it back to an older schema version).</summary>
    public static void Execute(string dataDir, string sql)
    {
        using (var db = Open(Path.Combine(dataDir, "state.db"))) Run(db, sql);
        SqliteConnection.ClearAllPools();
    }

    /// <summary>The rows of one table (first column), for comparing before and after.</summary>
    public static long Count(string dataDir, string table)
    {
        using var db = Open(Path.Combine(dataDir, "state.db"));
        return (long)Scalar(db, $"SELECT COUNT(*) FROM {table}")!;
    }

    public static long UserVersion(string dataDir)
    {
        using var db = Open(Path.Combine(dataDir, "state.db"));
        return (long)Scalar(db, "PRAGMA user_version")!;
    }

    private static SqliteConnection Open(string path)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        db.Open();
        return db;
    }

    private static void Run(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    private static List<string> Strings(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var list = new List<string>();
        while (reader.Read()) list.Add(reader.GetString(0));
        return list;
    }
}
