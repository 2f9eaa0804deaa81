namespace Sandbox.Server.State;

/// <summary>
/// Freezes the server made for its own work (a snapshot's copy), as opposed to a user's pause (status <c>paused</c>):
/// written before the freezer is set and removed after the thaw, so that a server killed in between knows at start-up
/// that the sandbox is frozen only because of it and thaws it. Table <c>snapshot_freezes</c>.
/// </summary>
public sealed class SnapshotFreezeRepository(StateDb db)
{
    public void MarkSnapshotFreeze(string sandboxId, string snapshotId, DateTime at) =>
        db.Run("INSERT OR REPLACE INTO snapshot_freezes (sandbox_id, snapshot_id, frozen_at) VALUES ($s, $n, $t)", null,
            ("$s", sandboxId), ("$n", snapshotId), ("$t", StateDb.Time(at)));

    public void ClearSnapshotFreeze(string sandboxId) =>
        db.Run("DELETE FROM snapshot_freezes WHERE sandbox_id = $s", null, ("$s", sandboxId));

    /// <summary>Sandboxes a snapshot froze and that were not thawed (the server stopped in between).</summary>
    public List<(string SandboxId, string SnapshotId)> SnapshotFreezes() =>
        db.Query("SELECT sandbox_id, snapshot_id FROM snapshot_freezes", r => (r.GetString(0), r.GetString(1)));
}
