using Sandbox.Server.Runtime;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>
/// Pause and resume (the cgroup freezer: memory kept, no CPU used), auto_pause at ttl expiry, and metrics.
/// Pause and resume take the sandbox's lifecycle lock like stop and start.
/// </summary>
public sealed partial class SandboxManager
{
    private static DomainException NotPausable(SandboxRecord r, string action) =>
        new RejectedException("NotReady", $"sandbox '{r.Name}' is {r.Status}; only a ready or paused sandbox can be {action}");

    /// <summary>Freezes every process of a ready sandbox (idempotent on a paused one).</summary>
    public async Task<SandboxRecord> PauseAsync(string name)
    {
        var id = Get(name).Id;
        return await WithLockAsync(id, async record =>
        {
            if (record.Status == SandboxStatus.Paused) return record;
            if (record.Status != SandboxStatus.Ready) throw NotPausable(record, "paused");
            return await PauseLockedAsync(record, null);
        });
    }

    /// <summary>Thaws a paused sandbox (idempotent on a ready one).</summary>
    public async Task<SandboxRecord> ResumeAsync(string name)
    {
        var id = Get(name).Id;
        return await WithLockAsync(id, async record =>
        {
            if (record.Status == SandboxStatus.Ready) return record;
            if (record.Status != SandboxStatus.Paused) throw NotPausable(record, "resumed");
            return await ResumeLockedAsync(record);
        });
    }

    private async Task<SandboxRecord> PauseLockedAsync(SandboxRecord record, string? message, bool clearExpiry = false)
    {
        await runtime.Cgroups(record.Id).FreezeAsync();
        var paused = record with { Status = SandboxStatus.Paused, StatusMessage = message };
        if (clearExpiry) paused = paused with { ExpiresAt = null };
        return Save(paused);
    }

    private async Task<SandboxRecord> ResumeLockedAsync(SandboxRecord record)
    {
        await runtime.Cgroups(record.Id).ThawAsync();
        // Idle time counts from the resume, not from before the pause.
        _lastActivity[record.Id] = Now;
        return Save(record with { Status = SandboxStatus.Ready, StatusMessage = null });
    }

    /// <summary>For <see cref="RequireReadyAsync"/>: a dataplane request resumes a paused sandbox before it runs.</summary>
    private Task<SandboxRecord> ResumeForDataplaneAsync(string id) =>
        WithLockAsync(id, record => record.Status == SandboxStatus.Paused ? ResumeLockedAsync(record) : Task.FromResult(record));

    /// <summary>At ttl expiry with auto_pause: pause instead of delete, and clear expires_at.</summary>
    private async Task AutoPauseByIdAsync(string id)
    {
        await WithLockAsync(id, async record =>
        {
            if (record.ExpiresAt is null) return record;
            return record.Status switch
            {
                SandboxStatus.Ready => await PauseLockedAsync(record, "paused when its ttl expired (auto_pause)", clearExpiry: true),
                // Nothing runs to freeze: the ttl is spent all the same, and the sandbox stays.
                _ => Save(record with { ExpiresAt = null }),
            };
        });
    }

    /// <summary>After a restart: a paused sandbox whose processes live stays paused (and frozen); otherwise it is failed.</summary>
    private async Task ReconcilePausedAsync(SandboxRecord record)
    {
        var cgroups = runtime.Cgroups(record.Id);
        // A frozen init cannot answer a ping: processes and the control socket are the sign of life here.
        if (cgroups.HasProcesses && File.Exists(runtime.SocketPath(record.Id)))
        {
            await cgroups.FreezeAsync();
            log.LogInformation("re-attached to paused sandbox {Name}", record.Name);
        }
        else
        {
            await runtime.StopProcessesAsync(record.Id);
            Save(record with { Status = SandboxStatus.Failed, StatusMessage = InitEndedWhileServerDown });
        }
    }

    /// <summary>CPU seconds, memory, pids (cgroup counters) and bytes written to the sandbox's own layer.</summary>
    public SandboxUsage Metrics(string name)
    {
        var record = Get(name);
        // A stopped or failed sandbox has no processes: its cgroup may still count a dying one for a moment.
        var running = record.Status is SandboxStatus.Ready or SandboxStatus.Paused or SandboxStatus.Provisioning;
        var (cpu, memory, pids) = running ? runtime.Cgroups(record.Id).Counters() : (0, 0, 0);
        return new SandboxUsage(cpu, memory, pids, runtime.DiskBytesUsed(record.Id));
    }
}
