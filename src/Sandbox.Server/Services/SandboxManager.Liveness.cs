using Sandbox.Server.Runtime;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>
/// Liveness: a ready or paused sandbox whose init ends (killed from the host, crashed, out of memory) is reported
/// <c>failed</c> with what ended it, its leftovers are killed and its files kept, and <c>POST /start</c> boots it again.
/// <see cref="SandboxWatcher"/> notices the end; the decision is taken here under the sandbox's lifecycle lock, so a
/// deliberate stop, a delete or a start that happens meanwhile wins.
/// </summary>
public sealed partial class SandboxManager
{
    internal const string InitEndedWhileServerDown = "the sandbox's init ended while the server was not running; start it again (its files are kept)";

    /// <summary>
    /// Called by the watcher when the init it followed has ended (<paramref name="followed"/>) or when a ready or paused
    /// sandbox shows no init at all. True when the sandbox was marked failed.
    /// </summary>
    internal async Task<bool> FailIfInitEndedAsync(string id, bool followed, string? how, CancellationToken ct)
    {
        if (sandboxRows.GetSandboxById(id) is null) return false;
        var gate = LockFor(id);
        await gate.WaitAsync(ct);
        try
        {
            if (sandboxRows.GetSandboxById(id) is not { } record) return false;
            if (record.Status is not (SandboxStatus.Ready or SandboxStatus.Paused)) return false; // stopped, deleted or booting meanwhile
            using (var current = InitProcess.Find(runtime.Cgroups(id)))
                if (current is not null) return false; // a live init: booted again meanwhile (the watcher follows it next)
            if (!followed)
            {
                // No init recognisable by its pid namespace: trust the other signs of life before failing it.
                if (record.Status == SandboxStatus.Paused && runtime.Cgroups(id).HasProcesses) return false; // frozen: cannot answer a ping
                if (record.Status == SandboxStatus.Ready && await runtime.IsAliveAsync(id, ct)) return false;
            }
            var message = $"the sandbox's init ended{(how is null ? "" : $" ({how})")}; its other processes were ended and its files kept: start it again";
            log.LogWarning("sandbox {Name} ({Id}): {Message}", record.Name, id, message);
            try
            {
                await network.DetachAsync(id, CancellationToken.None);
                await runtime.StopProcessesAsync(id);
            }
            catch (Exception e)
            {
                log.LogError(e, "cleaning up sandbox {Id} after its init ended", id);
            }
            Save(record with { Status = SandboxStatus.Failed, StatusMessage = message });
            _runningCommands.TryRemove(id, out _);
            return true;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// At start-up: sandboxes a snapshot froze for its copy when the server was killed are thawed (a user's pause is a
    /// status, <c>paused</c>, and is never recorded here, so it stays frozen).
    /// </summary>
    private async Task ThawSnapshotFreezesAsync(List<SandboxRecord> records)
    {
        foreach (var (sandboxId, snapshotId) in freezeRows.SnapshotFreezes())
        {
            var record = records.FirstOrDefault(r => r.Id == sandboxId);
            try
            {
                if (record is not null && record.Status != SandboxStatus.Paused && runtime.Cgroups(sandboxId).FreezerState() is { } state && state != Freezer.Thawed)
                {
                    await runtime.Cgroups(sandboxId).ThawAsync();
                    log.LogWarning("thawed sandbox {Name}: the server stopped while snapshot {Snapshot} was copying it", record.Name, snapshotId);
                }
                freezeRows.ClearSnapshotFreeze(sandboxId);
            }
            catch (Exception e)
            {
                log.LogError(e, "thawing sandbox {Id} left frozen by snapshot {Snapshot}", sandboxId, snapshotId);
            }
        }
    }
}
