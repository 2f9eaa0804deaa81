using Sandbox.Server.Runtime;

namespace Sandbox.Server.Services;

/// <summary>
/// Pool replicas go through the same boot and teardown as any sandbox: <see cref="PoolService"/> inserts a replica's
/// row (with its pool marker) and asks here to boot it, and to end it.
/// </summary>
public sealed partial class SandboxManager
{
    /// <summary>Boots a replica whose row is in the state (provisioning) under its lifecycle lock; it ends ready or failed.</summary>
    public async Task BootReplicaAsync(string id, LaunchSlot slot)
    {
        var gate = LockFor(id);
        await gate.WaitAsync();
        try
        {
            await BootLockedAsync(Current(id), slot);
            // Idle time counts from the claim, not from the boot of a replica that waited in its pool.
            _lastActivity.TryRemove(id, out _);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Ends a replica (surplus, dead, or its pool deleted) as a delete ends any sandbox.</summary>
    public Task EndReplicaAsync(string id, string reason) => DeleteByIdAsync(id, reason);
}
