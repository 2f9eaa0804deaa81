using System.Collections.Concurrent;
using Sandbox.Server.Runtime;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>
/// Warm pools: each keeps <c>replicas</c> ready sandboxes of a stateless template. A background loop boots missing
/// replicas, ends surplus ones and replaces replicas that failed or whose processes died; <see cref="PoolClaims"/> hands a
/// ready replica to <c>POST /boxes</c>. Replicas are ordinary sandbox rows marked in <c>pool_replicas</c>, booted and
/// ended through <see cref="SandboxManager"/>'s one boot and teardown path, so they survive a server restart like any
/// sandbox (see <see cref="SandboxManager.ReconcileAsync"/>).
/// </summary>
public sealed class PoolService : BackgroundService
{
    /// <summary>Replica boots in flight at once over all pools (2 cores: more only queues on the same CPUs).</summary>
    private const int MaxConcurrentBoots = 4;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly SandboxRepository sandboxRows;
    private readonly TemplateRepository templateRows;
    private readonly PoolRepository poolRows;
    private readonly SandboxRuntime runtime;
    private readonly SandboxManager manager;
    private readonly PoolClaims claims;
    private readonly TimeProvider clock;
    private readonly ILogger<PoolService> log;
    private readonly ConcurrentDictionary<string, string> _booting = new(); // sandbox id -> pool id
    private readonly SemaphoreSlim _bootSlots = new(MaxConcurrentBoots, MaxConcurrentBoots);
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly SemaphoreSlim _passGate = new(1, 1);

    public PoolService(SandboxRepository sandboxRows, TemplateRepository templateRows, PoolRepository poolRows, SandboxRuntime runtime, SandboxManager manager,
        PoolClaims claims, TimeProvider clock, ILogger<PoolService> log)
    {
        (this.sandboxRows, this.templateRows, this.poolRows, this.runtime, this.manager, this.claims, this.clock, this.log) =
            (sandboxRows, templateRows, poolRows, runtime, manager, claims, clock, log);
        claims.Claimed = Wake;
    }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private static DomainException NotFound(string name) => new NotFoundException("PoolNotFound", $"pool '{name}' not found");

    // ---------------------------------------------------------------- API

    public PoolRecord Get(string name) => poolRows.GetPool(name) ?? throw NotFound(name);

    public PoolRecord? GetById(string id) => poolRows.GetPoolById(id);

    public List<PoolRecord> List(int limit, int offset, string? nameContains) => poolRows.ListPools(limit, offset, nameContains);

    /// <summary>Ready and booting replica counts of a pool.</summary>
    public (int Ready, int Provisioning) Counts(PoolRecord pool)
    {
        var replicas = poolRows.AllPoolReplicas().Where(r => r.PoolId == pool.Id).ToList();
        return (replicas.Count(r => r.Sandbox.Status == SandboxStatus.Ready), replicas.Count(r => r.Sandbox.Status == SandboxStatus.Provisioning));
    }

    public PoolRecord Create(CreatePoolRequest request)
    {
        var (name, templateName, replicas) = request;
        var template = templateRows.GetTemplate(templateName) ?? throw new RejectedException("TemplateNotFound", $"template '{templateName}' not found");
        CheckStateless(template);
        if (TemplateCatalog.LowerDir(template.Image) is null)
            throw new RejectedException("InvalidTemplate", $"template '{template.Name}' has an image this server cannot run: {template.Image}");
        var now = Now;
        var pool = new PoolRecord { Id = Guid.NewGuid().ToString(), Name = name, TemplateName = template.Name, Replicas = replicas, CreatedAt = now, UpdatedAt = now };
        try
        {
            poolRows.InsertPool(pool);
        }
        catch (NameTakenException)
        {
            throw new ConflictException("PoolAlreadyExists", $"pool '{name}' already exists");
        }
        Wake();
        return pool;
    }

    private static void CheckStateless(TemplateRecord template)
    {
        if (template.VolumeMounts.Count > 0)
            throw new RejectedException("ValidationError", "Pools only support stateless templates");
    }

    /// <summary>Waits until the pool has as many ready replicas as it wants; false at the deadline.</summary>
    public async Task<bool> WaitForReadyAsync(string poolId, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var pool = poolRows.GetPoolById(poolId);
            if (pool is null) return false;
            if (Counts(pool).Ready >= pool.Replicas) return true;
            if (DateTime.UtcNow >= deadline) return false;
            await Task.Delay(20, ct);
        }
    }

    public PoolRecord Update(string name, UpdatePoolRequest request)
    {
        var (newName, replicas) = request;
        var pool = Get(name);
        if (newName is not null) pool = pool with { Name = newName };
        if (replicas is not null) pool = pool with { Replicas = replicas.Value };
        pool = pool with { UpdatedAt = Now };
        try
        {
            poolRows.UpdatePool(pool);
        }
        catch (NameTakenException)
        {
            throw new ConflictException("PoolAlreadyExists", $"pool '{newName}' already exists");
        }
        Wake();
        return pool;
    }

    /// <summary>Deletes the pool and ends its idle replicas (handed-out sandboxes are the users' and stay).</summary>
    public async Task DeleteAsync(string name)
    {
        var pool = Get(name);
        // Excludes the refill pass: one that read the pool list before this delete must not start a replica after it.
        await _passGate.WaitAsync();
        try
        {
            lock (claims.Lock) poolRows.DeletePool(pool.Id);
            // Boots in flight finish first (a boot takes milliseconds; bounded), so that nothing of the pool is left when
            // this answers and its template can be deleted at once.
            for (var waited = 0; waited < 3000 && _booting.Values.Contains(pool.Id); waited++) await Task.Delay(10);
            List<PoolReplica> ending;
            lock (claims.Lock)
            {
                ending = poolRows.AllPoolReplicas().Where(r => r.PoolId == pool.Id && !_booting.ContainsKey(r.Sandbox.Id)).ToList();
                // Not ready any more: a claim that raced with this delete cannot take them.
                foreach (var r in ending) sandboxRows.UpdateSandbox(r.Sandbox with { Status = SandboxStatus.Deleting, StatusMessage = "pool deleted", UpdatedAt = Now });
            }
            foreach (var r in ending) await EndReplicaAsync(r.Sandbox.Id, "pool deleted");
        }
        finally
        {
            _passGate.Release();
        }
    }

    // ---------------------------------------------------------------- background

    public void Wake() => _wake.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunPassAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogError(e, "pool pass failed");
            }
            try
            {
                await _wake.WaitAsync(Interval, stoppingToken);
                while (_wake.CurrentCount > 0) _wake.Wait(0, CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>One pass: drop dead and orphaned replicas, end surplus ones, start boots for missing ones.</summary>
    private async Task RunPassAsync(CancellationToken ct)
    {
        await _passGate.WaitAsync(ct);
        try
        {
            poolRows.DeleteDanglingPoolReplicas();
            var pools = poolRows.AllPools().ToDictionary(p => p.Id);
            // Boots in flight are read BEFORE the store (see below): read after, a boot that finished in between would show
            // here with its stale Provisioning status and no longer be in _booting, and be ended as "replica is Provisioning"
            // although it is ready.
            var bootingNow = _booting.Keys.ToHashSet();
            var replicas = poolRows.AllPoolReplicas().Where(r => !bootingNow.Contains(r.Sandbox.Id)).ToList();

            // Replicas that will not serve: of a deleted pool, failed, stopped, or whose processes died.
            foreach (var r in replicas)
            {
                var reason = !pools.ContainsKey(r.PoolId) ? "pool deleted"
                    : r.Sandbox.Status != SandboxStatus.Ready ? $"replica is {r.Sandbox.Status}"
                    : !runtime.Cgroups(r.Sandbox.Id).HasProcesses ? "replica's processes died"
                    : null;
                if (reason is null) continue;
                log.LogInformation("ending pool replica {Id}: {Reason}", r.Sandbox.Id, reason);
                await EndReplicaAsync(r.Sandbox.Id, reason);
            }

            foreach (var pool in pools.Values)
            {
                // One snapshot of the boots in flight, taken BEFORE the store is read, decides both counts. A boot marks its
                // replica Ready in the store and only then leaves _booting: reading the store first and _booting second could
                // see it in neither (store read while still booting, _booting read after it left), start an extra replica, and
                // then end a ready one as surplus, so that a pool that had answered "2 ready" briefly had one.
                var inFlight = _booting.Where(b => b.Value == pool.Id).Select(b => b.Key).ToHashSet();
                var ready = poolRows.AllPoolReplicas().Where(r => r.PoolId == pool.Id && r.Sandbox.Status == SandboxStatus.Ready && !inFlight.Contains(r.Sandbox.Id))
                    .OrderByDescending(r => r.Sandbox.CreatedAt).ToList();
                var booting = inFlight.Count;
                var surplus = ready.Count + booting - pool.Replicas;
                // Surplus: end ready replicas (newest first); boots in flight finish and are ended by a later pass.
                for (var i = 0; i < surplus && i < ready.Count; i++)
                {
                    bool stillReplica;
                    lock (claims.Lock)
                    {
                        stillReplica = poolRows.AllPoolReplicas().Any(r => r.Sandbox.Id == ready[i].Sandbox.Id);
                        if (stillReplica) sandboxRows.UpdateSandbox(ready[i].Sandbox with { Status = SandboxStatus.Deleting, StatusMessage = "pool shrank", UpdatedAt = Now });
                    }
                    if (stillReplica) await EndReplicaAsync(ready[i].Sandbox.Id, "pool shrank");
                }
                for (var missing = pool.Replicas - ready.Count - booting; missing > 0; missing--)
                {
                    if (!_bootSlots.Wait(0)) break;
                    StartReplica(pool);
                }
            }
        }
        finally
        {
            _passGate.Release();
        }
    }

    private void StartReplica(PoolRecord pool)
    {
        string? id = null;
        try
        {
            var template = templateRows.GetTemplate(pool.TemplateName);
            if (template is null || template.VolumeMounts.Count > 0 || TemplateCatalog.LowerDir(template.Image) is not { } lower)
            {
                _bootSlots.Release();
                return;
            }
            var spec = SandboxSpec.FromTemplate(template, ResourceOverrides.None);
            var slot = runtime.TakeSlot();
            id = slot.Id;
            var now = Now;
            var record = new SandboxRecord
            {
                Id = slot.Id,
                // Not a valid user name ('.'), so a replica's name never collides with one a user asks for.
                Name = "pool." + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 6)),
                TemplateName = template.Name,
                LowerDir = lower,
                Status = SandboxStatus.Provisioning,
                CreatedAt = now,
                UpdatedAt = now,
                Vcpus = spec.Vcpus,
                CpuLimit = spec.CpuLimit,
                MemBytes = spec.MemBytes,
                FsCapacityBytes = spec.FsCapacityBytes,
            };
            _booting[record.Id] = pool.Id;
            poolRows.InsertPoolReplica(record, pool.Id);
            _ = Task.Run(async () =>
            {
                try
                {
                    await manager.BootReplicaAsync(record.Id, slot);
                }
                finally
                {
                    _booting.TryRemove(record.Id, out _);
                    _bootSlots.Release();
                    Wake();
                }
            });
        }
        catch (Exception e)
        {
            if (id is not null) _booting.TryRemove(id, out _);
            _bootSlots.Release();
            log.LogWarning("pool {Pool}: could not start a replica: {Error}", pool.Name, e.Message);
        }
    }

    private async Task EndReplicaAsync(string id, string reason)
    {
        try
        {
            await manager.EndReplicaAsync(id, reason);
            poolRows.DeletePoolReplica(id); // its marker
        }
        catch (Exception e)
        {
            log.LogWarning("could not end pool replica {Id} ({Reason}): {Error}", id, reason, e.Message);
        }
    }
}
