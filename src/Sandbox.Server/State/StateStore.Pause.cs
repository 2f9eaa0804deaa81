namespace Sandbox.Server.State;

/// <summary>The <c>auto_pause</c> flag of a sandbox: a column added to <c>sandboxes</c> by a guarded migration.</summary>
public sealed partial class StateStore
{
    private int _autoPauseMigrated;

    /// <summary>Adds <c>sandboxes.auto_pause</c> when a database made before it lacks the column (idempotent).</summary>
    private void EnsureAutoPauseColumn()
    {
        if (Volatile.Read(ref _autoPauseMigrated) == 1) return;
        lock (_lock)
        {
            if (_autoPauseMigrated == 1) return;
            var has = false;
            using (var cmd = _db.CreateCommand())
            {
                cmd.CommandText = "SELECT 1 FROM pragma_table_info('sandboxes') WHERE name = 'auto_pause'";
                has = cmd.ExecuteScalar() is not null;
            }
            if (!has) Execute("ALTER TABLE sandboxes ADD COLUMN auto_pause INTEGER NOT NULL DEFAULT 0");
            Volatile.Write(ref _autoPauseMigrated, 1);
        }
    }

    public void SetAutoPause(string id, bool value)
    {
        EnsureAutoPauseColumn();
        Run("UPDATE sandboxes SET auto_pause = $v WHERE id = $id", null, ("$v", value ? 1 : 0), ("$id", id));
    }

    public bool GetAutoPause(string id)
    {
        EnsureAutoPauseColumn();
        return Query("SELECT auto_pause FROM sandboxes WHERE id = $id", r => r.GetInt64(0) != 0, ("$id", id)).FirstOrDefault();
    }
}
