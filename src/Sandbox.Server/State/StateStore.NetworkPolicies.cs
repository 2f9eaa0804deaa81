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

/// <summary>The network_policies table: one row per sandbox whose policy is not the default, or that holds a slot.</summary>
public sealed partial class StateStore
{
    private const string NetworkPoliciesTable = """
        CREATE TABLE IF NOT EXISTS network_policies (
            sandbox_id TEXT PRIMARY KEY, mode TEXT NOT NULL, allow_cidrs TEXT NOT NULL, allow_domains TEXT NOT NULL, slot INTEGER UNIQUE);
        """;

    private int _networkTableReady;

    private void EnsureNetworkTable()
    {
        if (Volatile.Read(ref _networkTableReady) == 1) return;
        lock (_lock) Execute(NetworkPoliciesTable);
        Volatile.Write(ref _networkTableReady, 1);
    }

    private static NetworkPolicyRecord ReadNetworkPolicy(SqliteDataReader r) => new()
    {
        SandboxId = r.GetString(0),
        Mode = r.GetString(1),
        AllowCidrs = JsonSerializer.Deserialize<List<string>>(r.GetString(2)) ?? [],
        AllowDomains = JsonSerializer.Deserialize<List<string>>(r.GetString(3)) ?? [],
        Slot = r.IsDBNull(4) ? null : r.GetInt32(4),
    };

    public List<NetworkPolicyRecord> AllNetworkPolicies()
    {
        EnsureNetworkTable();
        return Query("SELECT sandbox_id, mode, allow_cidrs, allow_domains, slot FROM network_policies", ReadNetworkPolicy);
    }

    public void SaveNetworkPolicy(NetworkPolicyRecord p)
    {
        EnsureNetworkTable();
        Run("""
            INSERT INTO network_policies (sandbox_id, mode, allow_cidrs, allow_domains, slot) VALUES ($id, $mode, $cidrs, $domains, $slot)
            ON CONFLICT(sandbox_id) DO UPDATE SET mode = excluded.mode, allow_cidrs = excluded.allow_cidrs, allow_domains = excluded.allow_domains, slot = excluded.slot
            """, null, ("$id", p.SandboxId), ("$mode", p.Mode), ("$cidrs", JsonSerializer.Serialize(p.AllowCidrs)),
            ("$domains", JsonSerializer.Serialize(p.AllowDomains)), ("$slot", p.Slot));
    }

    public void DeleteNetworkPolicy(string sandboxId)
    {
        EnsureNetworkTable();
        Run("DELETE FROM network_policies WHERE sandbox_id = $id", null, ("$id", sandboxId));
    }
}
