using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Sandbox.Server.State;

/// <summary>A sandbox's outbound network policy as stored; <see cref="Slot"/> is its /30 in the server's range, once it had one.</summary>
public sealed record NetworkPolicyRecord
{
    public required string SandboxId { get; init; }
    public required string Mode { get; init; }
    public IReadOnlyList<string> AllowCidrs { get; init; } = [];
    public IReadOnlyList<string> AllowDomains { get; init; } = [];
    public int? Slot { get; init; }
}

/// <summary>The <c>network_policies</c> table: one row per sandbox whose policy is not the default, or that holds a slot.</summary>
public sealed class NetworkPolicyRepository(StateDb db)
{
    private static NetworkPolicyRecord Read(SqliteDataReader r) => new()
    {
        SandboxId = r.GetString(0),
        Mode = r.GetString(1),
        AllowCidrs = JsonSerializer.Deserialize<List<string>>(r.GetString(2)) ?? [],
        AllowDomains = JsonSerializer.Deserialize<List<string>>(r.GetString(3)) ?? [],
        Slot = r.IsDBNull(4) ? null : r.GetInt32(4),
    };

    public List<NetworkPolicyRecord> AllNetworkPolicies() =>
        db.Query("SELECT sandbox_id, mode, allow_cidrs, allow_domains, slot FROM network_policies", Read);

    public void SaveNetworkPolicy(NetworkPolicyRecord p) =>
        db.Run("""
            INSERT INTO network_policies (sandbox_id, mode, allow_cidrs, allow_domains, slot) VALUES ($id, $mode, $cidrs, $domains, $slot)
            ON CONFLICT(sandbox_id) DO UPDATE SET mode = excluded.mode, allow_cidrs = excluded.allow_cidrs, allow_domains = excluded.allow_domains, slot = excluded.slot
            """, null, ("$id", p.SandboxId), ("$mode", p.Mode), ("$cidrs", JsonSerializer.Serialize(p.AllowCidrs)),
            ("$domains", JsonSerializer.Serialize(p.AllowDomains)), ("$slot", p.Slot));

    public void DeleteNetworkPolicy(string sandboxId) =>
        db.Run("DELETE FROM network_policies WHERE sandbox_id = $id", null, ("$id", sandboxId));
}
