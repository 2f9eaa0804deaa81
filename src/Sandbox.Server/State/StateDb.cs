using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Sandbox.Server.State;

/// <summary>Raised when a unique name is already taken.</summary>
public sealed class NameTakenException(string name) : Exception($"name '{name}' is taken")
{
    public string Name { get; } = name;
}

/// <summary>
/// The one SQL helper under every repository: <c>state.db</c> (SQLite) on one connection, serialised by a lock. Every
/// statement is short, and WAL with synchronous=NORMAL makes each write durable against a killed server before the
/// request that caused it is answered. Opening it brings the schema up to date (<see cref="Migrations"/>).
/// </summary>
public sealed class StateDb : IDisposable
{
    private const int ConstraintViolation = 19; // SQLITE_CONSTRAINT: a UNIQUE name taken
    private readonly SqliteConnection _db;
    private readonly Lock _lock = new();

    public StateDb(ServerOptions options)
    {
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(options.DataDir, "state.db"), Pooling = false }.ToString());
        _db.Open();
        using (var cmd = Command(_db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;", []))
            cmd.ExecuteNonQuery();
        Migrations.Apply(this);
    }

    public void Dispose() => _db.Dispose();

    public static string Time(DateTime t) => t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
    public static DateTime ParseTime(string s) => DateTime.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    /// <summary>One statement; a UNIQUE violation is <see cref="NameTakenException"/> for <paramref name="uniqueName"/> when given.</summary>
    public int Run(string sql, string? uniqueName, params (string Name, object? Value)[] args) =>
        InTransaction(tx => tx.Run(sql, args), uniqueName, transaction: false);

    public List<T> Query<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object? Value)[] args) =>
        InTransaction(tx => tx.Query(sql, map, args), null, transaction: false);

    /// <summary>Runs <paramref name="work"/> in one transaction, committed when it returns (rolled back when it throws).</summary>
    public T InTransaction<T>(Func<Transaction, T> work, string? uniqueName = null) => InTransaction(work, uniqueName, transaction: true);

    private T InTransaction<T>(Func<Transaction, T> work, string? uniqueName, bool transaction)
    {
        lock (_lock)
        {
            using var tx = transaction ? _db.BeginTransaction() : null;
            try
            {
                var result = work(new Transaction(_db));
                tx?.Commit();
                return result;
            }
            catch (SqliteException e) when (e.SqliteErrorCode == ConstraintViolation && uniqueName is not null)
            {
                throw new NameTakenException(uniqueName);
            }
        }
    }

    /// <summary>Statements of one transaction (or of one locked statement).</summary>
    public sealed class Transaction(SqliteConnection db)
    {
        public int Run(string sql, params (string Name, object? Value)[] args)
        {
            using var cmd = Command(db, sql, args);
            return cmd.ExecuteNonQuery();
        }

        public object? Scalar(string sql, params (string Name, object? Value)[] args)
        {
            using var cmd = Command(db, sql, args);
            return cmd.ExecuteScalar();
        }

        public List<T> Query<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object? Value)[] args)
        {
            using var cmd = Command(db, sql, args);
            using var reader = cmd.ExecuteReader();
            var list = new List<T>();
            while (reader.Read()) list.Add(map(reader));
            return list;
        }
    }

    private static SqliteCommand Command(SqliteConnection db, string sql, (string Name, object? Value)[] args)
    {
        var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }
}
