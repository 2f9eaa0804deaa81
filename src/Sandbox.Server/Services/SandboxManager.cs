using System.Collections.Concurrent;
using Sandbox.Server.Runtime;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>
/// The sandbox lifecycle: the state in SQLite and the processes on the host kept in step.
/// Lifecycle changes of one sandbox are serialised by a per-sandbox lock; state is written
/// before the request that caused it is answered.
/// </summary>
public sealed partial class SandboxManager(SandboxRepository sandboxRows, TemplateRepository templateRows, SnapshotFreezeRepository freezeRows, SandboxRuntime runtime, TimeProvider clock, ILogger<SandboxManager> log, PoolClaims pools, SnapshotService snapshots, VolumeService volumes, NetworkPolicyService network)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();
    private readonly ConcurrentDictionary<string, DateTime> _lastActivity = new();
    private readonly ConcurrentDictionary<string, int> _runningCommands = new();

    private DateTime Now => clock.GetUtcNow().UtcDateTime;
    private SemaphoreSlim LockFor(string id) => _locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));

    private static DomainException NotFound(string name) => new NotFoundException("SandboxNotFound", $"sandbox '{name}' not found");

    public SandboxRecord Get(string name) => sandboxRows.GetSandboxByName(name) ?? throw NotFound(name);

    /// <summary>A sandbox by its id (leap0's <c>/v1</c> names sandboxes by id only).</summary>
    public SandboxRecord GetById(string id) => sandboxRows.GetSandboxById(id) ?? throw new NotFoundException("SandboxNotFound", $"no sandbox with id '{id}'");

    public bool AutoPauseOf(string id) => sandboxRows.GetAutoPause(id);

    public List<SandboxRecord> List(SandboxQuery query) => sandboxRows.ListSandboxes(query);

    /// <summary>A sandbox's labels (set at create).</summary>
    public IReadOnlyDictionary<string, string> LabelsOf(string id) => sandboxRows.GetLabels(id);

    /// <summary>
    /// The sandbox's run_config: its snapshot's layer with the request's over it, stored merged (merging is associative,
    /// so a later PATCH layers the same way). The request's older <c>env</c> sits between the two, as it sits under the
    /// sandbox's own run_config when commands start (<see cref="CommandLauncher"/>), so it still wins over the snapshot.
    /// </summary>
    private static RunConfigRecord? RunConfigOver(RunConfigRecord? snapshotLayer, CreateSandboxRequest request) =>
        snapshotLayer is null ? request.RunConfig
            : snapshotLayer.Merge(request.Env.Count > 0 ? new RunConfigRecord { EnvVars = request.Env } : null).Merge(request.RunConfig);

    /// <summary>Creates a sandbox from a checked request: a pool's replica when one fits, else a boot (the returned task).</summary>
    public async Task<(SandboxRecord Record, Task Boot)> CreateAsync(CreateSandboxRequest request)
    {
        // From a snapshot: its lower layer, and its template's resources when the template still exists (see SnapshotService).
        var source = ResolveSource(request);
        var (launch, template, lower) = (source.Launch, source.Template, source.LowerDir);
        var spec = SandboxSpec.FromTemplate(template, new ResourceOverrides(request.Vcpus, request.MemBytes, request.FsCapacityBytes, request.CpuMillicores));
        var (ttl, idle) = (request.TtlSeconds, request.IdleTtlSeconds ?? DefaultIdleTtl(request));

        // A warm pool of this template hands over a ready replica instead of a boot (see PoolClaims).
        if (source.FromTemplate && pools.TryClaim(template, request.Name ?? GenerateName(), ttl, idle, spec, request.Env) is { } claimed)
        {
            if (request.AutoPause) sandboxRows.SetAutoPause(claimed.Id, true);
            if (request.Labels.Count > 0) sandboxRows.SetLabels(claimed.Id, request.Labels);
            if (request.DeleteAfterStopSeconds is not null) claimed = Save(claimed with { DeleteAfterStopSeconds = request.DeleteAfterStopSeconds });
            if (request.RunConfig is not null) claimed = Save(claimed with { RunConfig = request.RunConfig });
            if (request.NetworkPolicy is not null) return (claimed, ApplyClaimedNetworkAsync(claimed.Id, request.NetworkPolicy));
            return (claimed, Task.CompletedTask);
        }

        var now = Now;
        var slot = runtime.TakeSlot();
        var record = new SandboxRecord
        {
            Id = slot.Id,
            Name = request.Name ?? GenerateName(),
            TemplateName = source.TemplateName,
            LowerDir = lower,
            Status = SandboxStatus.Provisioning,
            CreatedAt = now,
            UpdatedAt = now,
            TtlSeconds = ttl,
            IdleTtlSeconds = idle,
            ExpiresAt = ttl is > 0 ? now.AddSeconds(ttl.Value) : null,
            DeleteAfterStopSeconds = request.DeleteAfterStopSeconds,
            Vcpus = spec.Vcpus,
            CpuLimit = spec.CpuLimit,
            MemBytes = spec.MemBytes,
            FsCapacityBytes = spec.FsCapacityBytes,
            Env = request.Env,
            RunConfig = RunConfigOver(launch?.RunConfig, request),
            SnapshotId = launch?.SnapshotId,
        };
        try
        {
            sandboxRows.InsertSandbox(record);
            if (request.AutoPause) sandboxRows.SetAutoPause(record.Id, true);
            if (request.Labels.Count > 0) sandboxRows.SetLabels(record.Id, request.Labels);
            network.Save(record.Id, request.NetworkPolicy);
        }
        catch (NameTakenException)
        {
            runtime.ReturnSlot(slot);
            if (launch is not null) snapshots.Release(launch.SnapshotId);
            throw new ConflictException("SandboxAlreadyExists", $"sandbox '{record.Name}' already exists");
        }
        var gate = LockFor(record.Id);
        await gate.WaitAsync();
        var boot = Task.Run(async () =>
        {
            try
            {
                await BootLockedAsync(record, slot, launch is null ? null : () => snapshots.PrepareAsync(launch, record.Id));
            }
            finally
            {
                gate.Release();
                if (launch is not null) snapshots.Release(launch.SnapshotId);
            }
        });
        return (record, boot);
    }

    private static string GenerateName() => "sb-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 4));

    private async Task BootLockedAsync(SandboxRecord record, LaunchSlot? slot = null, Func<Task>? prepare = null)
    {
        try
        {
            if (prepare is not null)
            {
                try
                {
                    // The writable filesystem first: a snapshot's files are copied onto it.
                    await runtime.PrepareStorageAsync(record.Id, record.FsCapacityBytes, CancellationToken.None);
                    await prepare();
                }
                catch
                {
                    slot?.Discard();
                    throw;
                }
            }
            var limits = new ResourceLimits(record.CpuLimit, record.MemBytes, SandboxRuntime.DefaultPidsMax);
            var binds = await volumes.PrepareBindsAsync(record.TemplateName, CancellationToken.None);
            await runtime.BootAsync(new BootSpec(record.Id, record.Name, record.LowerDir, limits, binds, record.FsCapacityBytes), slot, CancellationToken.None);
            await network.ApplyAsync(record.Id, CancellationToken.None); // veth and rules of a policy other than deny-all
            _lastActivity[record.Id] = Now;
            Save(Current(record.Id) with { Status = SandboxStatus.Ready, StatusMessage = null });
        }
        catch (Exception e)
        {
            log.LogError(e, "sandbox {Name} ({Id}) failed to boot", record.Name, record.Id);
            try
            {
                await network.DetachAsync(record.Id, CancellationToken.None);
                await runtime.StopProcessesAsync(record.Id);
            }
            catch (Exception cleanup)
            {
                log.LogError(cleanup, "cleaning up sandbox {Id} after a failed boot", record.Id);
            }
            Save(Current(record.Id) with { Status = SandboxStatus.Failed, StatusMessage = $"boot failed: {e.Message}" });
        }
    }

    private SandboxRecord Current(string id) => sandboxRows.GetSandboxById(id) ?? throw new InvalidOperationException($"sandbox {id} vanished");

    /// <summary>Writes the record; <see cref="SandboxRecord.StoppedAt"/> is set when it becomes stopped and cleared when it is not.</summary>
    private SandboxRecord Save(SandboxRecord record)
    {
        var now = Now;
        var stoppedAt = record.Status == SandboxStatus.Stopped ? record.StoppedAt ?? now : (DateTime?)null;
        var updated = record with { UpdatedAt = now, StoppedAt = stoppedAt };
        sandboxRows.UpdateSandbox(updated);
        return updated;
    }

    public async Task<SandboxRecord> UpdateAsync(string name, UpdateSandboxRequest request)
    {
        var (newName, ttl, idle, networkPolicy) = (request.Name, request.TtlSeconds, request.IdleTtlSeconds, request.NetworkPolicy);
        var gate = LockFor(Get(name).Id);
        await gate.WaitAsync();
        try
        {
            // Re-read under the lock so a concurrent boot's status is not overwritten.
            var record = Get(name);
            if (newName is not null) record = record with { Name = newName };
            if (request.SetsTtl) record = record with { TtlSeconds = ttl, ExpiresAt = ttl is > 0 ? Now.AddSeconds(ttl.Value) : null };
            if (request.SetsIdleTtl) record = record with { IdleTtlSeconds = idle };
            if (request.SetsDeleteAfterStop) record = record with { DeleteAfterStopSeconds = request.DeleteAfterStopSeconds };
            if (request.RunConfig is { } runConfig) record = record with { RunConfig = (record.RunConfig ?? new RunConfigRecord()).Merge(runConfig) };
            if (networkPolicy is not null) await SetNetworkPolicyLockedAsync(record, networkPolicy);
            return Save(record);
        }
        catch (NameTakenException)
        {
            throw new ConflictException("SandboxAlreadyExists", $"sandbox '{newName}' already exists");
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> on a sandbox under its lifecycle lock (a snapshot copies its upper layer so).</summary>
    public async Task<T> WithLockAsync<T>(string id, Func<SandboxRecord, Task<T>> work)
    {
        var gate = LockFor(id);
        await gate.WaitAsync();
        try
        {
            return await work(sandboxRows.GetSandboxById(id) ?? throw NotFound(id));
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task DeleteAsync(string name)
    {
        var record = Get(name);
        await DeleteByIdAsync(record.Id);
    }

    private async Task DeleteByIdAsync(string id, string? reason = null)
    {
        var gate = LockFor(id);
        await gate.WaitAsync();
        try
        {
            if (sandboxRows.GetSandboxById(id) is not { } record) return;
            Save(record with { Status = SandboxStatus.Deleting, StatusMessage = reason });
            await runtime.DestroyAsync(id);
            await network.ForgetAsync(id, CancellationToken.None);
            sandboxRows.DeleteSandbox(id);
            freezeRows.ClearSnapshotFreeze(id);
            _lastActivity.TryRemove(id, out _);
            _runningCommands.TryRemove(id, out _);
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task<SandboxRecord> StopAsync(string name, string? reason = null)
    {
        var id = Get(name).Id;
        return await StopByIdAsync(id, reason);
    }

    private async Task<SandboxRecord> StopByIdAsync(string id, string? reason)
    {
        var gate = LockFor(id);
        await gate.WaitAsync();
        try
        {
            var record = sandboxRows.GetSandboxById(id) ?? throw NotFound(id);
            if (record.Status == SandboxStatus.Stopped) return record;
            await network.DetachAsync(id, CancellationToken.None);
            await runtime.StopProcessesAsync(id);
            return Save(record with { Status = SandboxStatus.Stopped, StatusMessage = reason });
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task<SandboxRecord> StartAsync(string name)
    {
        var id = Get(name).Id;
        var gate = LockFor(id);
        await gate.WaitAsync();
        try
        {
            return await StartLockedAsync(sandboxRows.GetSandboxById(id) ?? throw NotFound(name));
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The one way up, for <c>POST /start</c> and for a dataplane request that wakes a stopped sandbox.</summary>
    private async Task<SandboxRecord> StartLockedAsync(SandboxRecord record)
    {
        if (record.Status == SandboxStatus.Ready) return record;
        if (record.Status == SandboxStatus.Paused) return await ResumeLockedAsync(record);
        Save(record with { Status = SandboxStatus.Provisioning, StatusMessage = null });
        await BootLockedAsync(record);
        return Current(record.Id);
    }

    // ---- dataplane bookkeeping ----

    /// <summary>
    /// The sandbox behind a dataplane URL, made ready: a paused one resumed, a stopped one started (unless
    /// <paramref name="wakeStopped"/> is false: service URLs, which the current generation does not make wake).
    /// </summary>
    public async Task<SandboxRecord> RequireReadyAsync(string id, bool wakeStopped = true)
    {
        var record = sandboxRows.GetSandboxById(id) ?? throw new NotFoundException("SandboxNotFound", $"no sandbox with id '{id}'");
        // A dataplane request wakes a paused sandbox first (SandboxManager.Pause.cs), and starts a stopped one (the
        // current generation: "a request to a stopped sandbox wakes it"); a boot that fails leaves it failed, said below.
        // A sandbox still booting: its boot holds the lifecycle lock, so taking it waits for the boot's end (leap0's create
        // answers `starting` and its SDKs send requests at once; a boot is bounded by the runtime's own timeouts).
        if (record.Status == SandboxStatus.Provisioning) record = await WithLockAsync(id, Task.FromResult);
        if (record.Status == SandboxStatus.Paused) record = await ResumeForDataplaneAsync(id);
        if (record.Status == SandboxStatus.Stopped && wakeStopped)
            record = await WithLockAsync(id, r => r.Status == SandboxStatus.Stopped ? StartLockedAsync(r) : Task.FromResult(r));
        if (record.Status == SandboxStatus.Failed)
            throw new RejectedException("NotReady", $"sandbox '{record.Name}' is failed{(record.StatusMessage is { } why ? $" ({why})" : "")}; start it again (POST /boxes/{record.Name}/start)");
        if (record.Status != SandboxStatus.Ready)
            throw new RejectedException("NotReady", $"sandbox '{record.Name}' is {record.Status}; start it first");
        return record;
    }

    /// <summary>Marks a command as running until the returned scope is disposed (idle ttl counts from its end).</summary>
    public IDisposable BeginActivity(string id)
    {
        _lastActivity[id] = Now;
        _runningCommands.AddOrUpdate(id, 1, (_, n) => n + 1);
        return new ActivityScope(this, id);
    }

    private sealed class ActivityScope(SandboxManager owner, string id) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            owner._lastActivity[id] = owner.Now;
            owner._runningCommands.AddOrUpdate(id, 0, (_, n) => Math.Max(0, n - 1));
        }
    }

    public void Touch(string id) => _lastActivity[id] = Now;

    /// <summary>True while a command runs in any sandbox (<see cref="BeginActivity"/>); the idle shutdown waits for it.</summary>
    public bool AnyCommandRunning => _runningCommands.Values.Any(n => n > 0);

    // ---- start-up and background work ----

    /// <summary>After a restart: re-attach to live sandboxes, report the rest truthfully, remove leftovers.</summary>
    public async Task ReconcileAsync(CancellationToken ct)
    {
        var records = sandboxRows.AllSandboxes();
        await runtime.SweepOrphansAsync(records.Select(r => r.Id).ToHashSet());
        await network.SweepAsync(records.Select(r => r.Id).ToHashSet(), ct);
        await ThawSnapshotFreezesAsync(records); // SandboxManager.Liveness.cs: before the pings, which a frozen init cannot answer
        foreach (var record in records)
        {
            try
            {
                switch (record.Status)
                {
                    case SandboxStatus.Paused:
                        await ReconcilePausedAsync(record);
                        break;
                    case SandboxStatus.Ready:
                        if (await runtime.IsAliveAsync(record.Id, ct))
                        {
                            _lastActivity[record.Id] = Now;
                            log.LogInformation("re-attached to sandbox {Name}", record.Name);
                        }
                        else
                        {
                            // Nobody stopped it: failed, as when its init dies while the server runs (SandboxManager.Liveness.cs).
                            await runtime.StopProcessesAsync(record.Id);
                            Save(record with { Status = SandboxStatus.Failed, StatusMessage = InitEndedWhileServerDown });
                        }
                        break;
                    case SandboxStatus.Provisioning:
                        await runtime.StopProcessesAsync(record.Id);
                        Save(record with { Status = SandboxStatus.Failed, StatusMessage = "the server stopped while the sandbox was provisioning; start it again" });
                        break;
                    case SandboxStatus.Deleting:
                        await DeleteByIdAsync(record.Id);
                        break;
                    default:
                        if (runtime.Cgroups(record.Id).HasProcesses) await runtime.StopProcessesAsync(record.Id);
                        break;
                }
                await ReconcileNetworkAsync(record.Id, ct); // SandboxManager.Network.cs
            }
            catch (Exception e)
            {
                log.LogError(e, "reconciling sandbox {Name}", record.Name);
            }
        }
    }

    /// <summary>
    /// Deletes sandboxes past their ttl, stops those idle past their idle ttl, and deletes stopped ones
    /// <c>delete_after_stop_seconds</c> after their stop.
    /// </summary>
    public async Task EnforceExpiryAsync()
    {
        var now = Now;
        foreach (var record in sandboxRows.AllSandboxes())
        {
            try
            {
                if (record.ExpiresAt is { } pauseAt && pauseAt <= now && record.Status != SandboxStatus.Deleting && sandboxRows.GetAutoPause(record.Id))
                {
                    log.LogInformation("sandbox {Name} reached its ttl; pausing (auto_pause)", record.Name);
                    await AutoPauseByIdAsync(record.Id);
                }
                else if (record.ExpiresAt is { } expires && expires <= now && record.Status != SandboxStatus.Deleting)
                {
                    log.LogInformation("sandbox {Name} reached its ttl; deleting", record.Name);
                    await DeleteByIdAsync(record.Id, "ttl expired");
                }
                else if (record.Status == SandboxStatus.Ready && record.IdleTtlSeconds is > 0 && _runningCommands.GetValueOrDefault(record.Id) == 0
                         && now - _lastActivity.GetOrAdd(record.Id, now) >= TimeSpan.FromSeconds(record.IdleTtlSeconds.Value))
                {
                    log.LogInformation("sandbox {Name} idle for {Seconds} s; stopping", record.Name, record.IdleTtlSeconds);
                    await StopByIdAsync(record.Id, $"stopped after {record.IdleTtlSeconds} s without a command");
                }
                else if (record.Status == SandboxStatus.Stopped && record.DeleteAfterStopSeconds is > 0 && record.StoppedAt is { } stoppedAt
                         && now - stoppedAt >= TimeSpan.FromSeconds(record.DeleteAfterStopSeconds.Value))
                {
                    log.LogInformation("sandbox {Name} stopped {Seconds} s ago; deleting (delete_after_stop_seconds)", record.Name, record.DeleteAfterStopSeconds);
                    await DeleteByIdAsync(record.Id, $"deleted {record.DeleteAfterStopSeconds} s after it stopped (delete_after_stop_seconds)");
                }
            }
            catch (Exception e)
            {
                log.LogError(e, "expiring sandbox {Name}", record.Name);
            }
        }
    }
}
