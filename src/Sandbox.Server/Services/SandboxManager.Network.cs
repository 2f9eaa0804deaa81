using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>The sandbox lifecycle's side of network policies (NetworkPolicyService does the work).</summary>
public sealed partial class SandboxManager
{
    /// <summary>A pool replica handed over with a policy: it runs already, so the policy is applied at once.</summary>
    private async Task ApplyClaimedNetworkAsync(string id, NetworkPolicyRecord policy)
    {
        var gate = LockFor(id);
        await gate.WaitAsync();
        try
        {
            await network.SetAsync(id, policy, running: true, CancellationToken.None);
        }
        catch (Exception e)
        {
            log.LogError(e, "applying the network policy of sandbox {Id}", id);
            Save(Current(id) with { Status = SandboxStatus.Failed, StatusMessage = $"network policy could not be applied: {e.Message}" });
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>PATCH network_policy under the sandbox's lock: stored, and applied now when its processes run.</summary>
    private async Task SetNetworkPolicyLockedAsync(SandboxRecord record, NetworkPolicyRecord policy)
    {
        var running = record.Status is SandboxStatus.Ready or SandboxStatus.Paused;
        await network.SetAsync(record.Id, policy, running, CancellationToken.None);
    }

    /// <summary>After a restart: a live sandbox gets its veth and rules back (the same ones, replaced, not added); others none.</summary>
    private async Task ReconcileNetworkAsync(string id, CancellationToken ct)
    {
        if (sandboxRows.GetSandboxById(id) is not { } record) return;
        if (record.Status is SandboxStatus.Ready or SandboxStatus.Paused && runtime.Cgroups(id).HasProcesses)
            await network.ApplyAsync(id, ct);
        else
            await network.DetachAsync(id, ct);
    }
}
