using Sandbox.Server.Runtime;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>
/// Claims of pool replicas by <c>POST /boxes</c>: a ready replica of a pool of the template is handed over instead of a
/// boot. Apart from <see cref="PoolService"/> (which boots and ends replicas through <see cref="SandboxManager"/>) so
/// that the sandbox lifecycle can claim without depending on the pools' loop.
/// </summary>
public sealed class PoolClaims(PoolRepository poolRows, SandboxRuntime runtime, TimeProvider clock, ILogger<PoolClaims> log)
{
    /// <summary>Serialises claims against ending replicas (surplus, pool delete), so an ended replica is never handed out.</summary>
    public Lock Lock { get; } = new();

    /// <summary>Called after a replica was handed over (the pools' loop replaces it).</summary>
    public Action? Claimed { get; set; }

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>
    /// The hook of <c>POST /boxes</c>: a claim with the request's values, the template's resources where the request
    /// gives none (as a cold create would); 409 <c>SandboxAlreadyExists</c> when the name is taken.
    /// </summary>
    public SandboxRecord? TryClaim(TemplateRecord template, string name, long? ttl, long? idle, SandboxSpec spec, IReadOnlyDictionary<string, string> env)
    {
        var claim = new ReplicaClaim(name, Now, ttl, idle, spec.Vcpus, spec.CpuLimit, spec.MemBytes, spec.FsCapacityBytes, env);
        try
        {
            return TryClaim(template, claim);
        }
        catch (NameTakenException)
        {
            throw new ConflictException("SandboxAlreadyExists", $"sandbox '{name}' already exists");
        }
    }

    /// <summary>
    /// Hands a ready replica of a pool of <paramref name="template"/> over as <paramref name="claim"/>, or returns null
    /// (no pool, none ready, or limits that could not be applied): the caller then boots a sandbox cold. Throws
    /// <see cref="NameTakenException"/> when the name is taken.
    /// </summary>
    public SandboxRecord? TryClaim(TemplateRecord template, ReplicaClaim claim)
    {
        if (template.VolumeMounts.Count > 0) return null;
        // A replica's filesystem has the template's capacity; another capacity is a cold boot, so that it holds.
        var replicaCapacity = SandboxSpec.FromTemplate(template, ResourceOverrides.None).FsCapacityBytes;
        if ((claim.FsCapacityBytes ?? SandboxRuntime.DefaultFsCapacityBytes) != (replicaCapacity ?? SandboxRuntime.DefaultFsCapacityBytes)) return null;
        var pools = poolRows.PoolsOfTemplate(template.Name);
        if (pools.Count == 0) return null;
        var poolIds = pools.Select(p => p.Id).ToHashSet();
        SandboxRecord? claimed = null;
        lock (Lock)
        {
            foreach (var replica in poolRows.AllPoolReplicas().Where(r => poolIds.Contains(r.PoolId) && r.Sandbox.Status == SandboxStatus.Ready)
                         .OrderBy(r => r.Sandbox.CreatedAt))
            {
                var cgroups = runtime.Cgroups(replica.Sandbox.Id);
                var pid = UtsHostname.FindSandboxProcess(cgroups);
                if (pid is null) continue; // died since the last pass; the loop replaces it
                var limitsChanged = replica.Sandbox.CpuLimit != claim.CpuLimit || replica.Sandbox.MemBytes != claim.MemBytes;
                if (limitsChanged && !TryApplyLimits(replica.Sandbox.Id, claim.CpuLimit, claim.MemBytes)) return null;
                try
                {
                    claimed = poolRows.ClaimPoolReplica(replica.Sandbox.Id, claim);
                }
                catch (NameTakenException)
                {
                    if (limitsChanged) TryApplyLimits(replica.Sandbox.Id, replica.Sandbox.CpuLimit, replica.Sandbox.MemBytes);
                    throw;
                }
                if (claimed is null) continue;
                try
                {
                    UtsHostname.Set(pid.Value, claim.Name);
                }
                catch (Exception e)
                {
                    log.LogWarning("sandbox {Name} ({Id}) from a pool keeps its boot-time hostname: {Error}", claim.Name, claimed.Id, e.Message);
                }
                break;
            }
        }
        if (claimed is not null)
        {
            log.LogDebug("sandbox {Name} handed over from a pool of {Template}", claimed.Name, template.Name);
            Claimed?.Invoke();
        }
        return claimed;
    }

    private bool TryApplyLimits(string id, double cpu, long mem)
    {
        try
        {
            runtime.Cgroups(id).ApplyLimits(new ResourceLimits(cpu, mem, SandboxRuntime.DefaultPidsMax));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogInformation("could not change the limits of pool replica {Id} ({Error}); booting a sandbox instead", id, e.Message);
            return false;
        }
    }
}
