using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Sandbox.Server.Runtime;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>
/// Outbound network policy of sandboxes (extension <c>network_policy</c>, or the current generation's
/// <c>proxy_config.access_control</c>): <c>deny-all</c> (default; loopback only), <c>allow-all</c> (a veth pair with
/// NAT), <c>custom</c> (the same, egress limited to <c>allow_cidrs</c> and the addresses <c>allow_domains</c> resolve
/// to), <c>allow-all-except</c> (egress to anything but <c>deny_cidrs</c> and the addresses <c>deny_domains</c> resolve
/// to); domains are re-resolved on a schedule. The listed CIDRs and domains of either list mode are stored in the
/// record's <c>AllowCidrs</c>/<c>AllowDomains</c> (the columns' names predate deny lists). The policy is stored per sandbox and applied
/// whenever the sandbox boots; stop and delete remove what it set up.
/// </summary>
public sealed class NetworkPolicyService(NetworkPolicyRepository policyRows, SandboxRuntime runtime, SandboxNetwork network, ServerOptions options, ILogger<NetworkPolicyService> log)
    : BackgroundService
{
    public const string DenyAll = "deny-all";
    public const string AllowAll = "allow-all";
    public const string Custom = "custom";
    public const string AllowAllExcept = "allow-all-except";
    public const int MaxCidrs = 10;
    public const int MaxDomains = 50;
    public static readonly string[] Modes = [AllowAll, DenyAll, Custom, AllowAllExcept];

    /// <summary>True for the modes whose CIDRs and domains are a list (allowed for custom, denied for allow-all-except).</summary>
    public static bool HasList(string mode) => mode is Custom or AllowAllExcept;

    private readonly ConcurrentDictionary<string, NetworkPolicyRecord> _policies = new(policyRows.AllNetworkPolicies().ToDictionary(p => p.SandboxId));
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();
    /// <summary>Sandboxes whose network is set up now, with the addresses their domains resolved to.</summary>
    private readonly ConcurrentDictionary<string, string[]> _attached = new();

    /// <summary>Resolves allow_domains; replaceable (tests, or a resolver of the operator's choice).</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>> Resolver { get; set; } = Dns.GetHostAddressesAsync;

    private SemaphoreSlim LockFor(string id) => _locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));

    public NetworkPolicyRecord PolicyOf(string id) =>
        _policies.TryGetValue(id, out var p) ? p : new NetworkPolicyRecord { SandboxId = id, Mode = DenyAll };

    /// <summary>The wire shape of a sandbox's policy.</summary>
    /// <remarks><paramref name="allowAllExceptAs"/>: the mode to name <c>allow-all-except</c> by, for a protocol without it (leap0).</remarks>
    public object Describe(string id, string? allowAllExceptAs = null)
    {
        var p = PolicyOf(id);
        return p.Mode == AllowAllExcept
            ? new { mode = allowAllExceptAs ?? p.Mode, allow_cidrs = (IReadOnlyList<string>)[], allow_domains = (IReadOnlyList<string>)[], deny_cidrs = p.AllowCidrs, deny_domains = p.AllowDomains }
            : new { mode = p.Mode, allow_cidrs = p.AllowCidrs, allow_domains = p.AllowDomains, deny_cidrs = (IReadOnlyList<string>)[], deny_domains = (IReadOnlyList<string>)[] };
    }

    /// <summary>
    /// The current generation's <c>proxy_config</c> of a sandbox, as its policy stands: <c>access_control.allow_list</c>
    /// for custom, <c>deny_list</c> for allow-all-except, null for the modes without a list.
    /// </summary>
    public object? DescribeProxyConfig(string id)
    {
        var p = PolicyOf(id);
        var list = p.AllowCidrs.Concat(p.AllowDomains).ToList();
        return p.Mode switch
        {
            Custom => new { access_control = new { allow_list = list } },
            AllowAllExcept => new { access_control = new { deny_list = list } },
            _ => null,
        };
    }

    /// <summary>Stores the policy of a new sandbox (before it boots, which applies it).</summary>
    public void Save(string id, NetworkPolicyRecord? policy)
    {
        if (policy is null || policy.Mode == DenyAll) return;
        var record = policy with { SandboxId = id, Slot = PolicyOf(id).Slot };
        policyRows.SaveNetworkPolicy(record);
        _policies[id] = record;
    }

    /// <summary>Changes the policy; applied at once when the sandbox runs (<paramref name="running"/>), else at its next start.</summary>
    public async Task SetAsync(string id, NetworkPolicyRecord policy, bool running, CancellationToken ct)
    {
        var gate = LockFor(id);
        await gate.WaitAsync(ct);
        try
        {
            var record = policy with { SandboxId = id, Slot = PolicyOf(id).Slot };
            policyRows.SaveNetworkPolicy(record);
            _policies[id] = record;
            if (running) await ApplyLockedAsync(id, ct);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Sets up the sandbox's network as its policy says (after a boot, a start, or a server restart). Idempotent.</summary>
    public async Task ApplyAsync(string id, CancellationToken ct)
    {
        var gate = LockFor(id);
        await gate.WaitAsync(ct);
        try
        {
            await ApplyLockedAsync(id, ct);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task ApplyLockedAsync(string id, CancellationToken ct)
    {
        var policy = PolicyOf(id);
        var pid = SandboxNetwork.FindSandboxProcess(runtime.Cgroups(id));
        if (policy.Mode == DenyAll)
        {
            // The namespace keeps lo only (the veth goes); a table that rejects everything else, IPv4 and IPv6, comes
            // first, so that a switch from another policy closes at once and anything added to the namespace later
            // meets it. The table is a second line: without nft the sandbox still has lo only (a warning is logged).
            if (pid is { } p) await ApplyDenyTableAsync(id, p, ct);
            if (policy.Slot is { } s) await network.DetachAsync(network.Slot(s), pid, ct);
            _attached.TryRemove(id, out _);
            return;
        }
        if (pid is null) throw new InvalidOperationException("the sandbox has no process in its own network namespace");
        if (policy.Slot is null)
        {
            policy = policy with { Slot = AllocateSlot() };
            policyRows.SaveNetworkPolicy(policy);
            _policies[id] = policy;
        }
        var slot = network.Slot(policy.Slot!.Value);
        var resolved = HasList(policy.Mode) ? await ResolveAsync(policy.AllowDomains, ct) : [];
        await network.AttachAsync(pid.Value, slot, Rules(policy, slot, resolved), ct);
        _attached[id] = resolved;
    }

    private static readonly EgressRules Deny = new(false, [], false);
    private int _denyTableWarnings;

    private async Task ApplyDenyTableAsync(string id, int pid, CancellationToken ct)
    {
        try
        {
            await network.ApplyRulesAsync(pid, null, Deny, ct);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            if (Interlocked.Increment(ref _denyTableWarnings) <= 3)
                log.LogWarning("sandbox {Id}: the deny-all rule table could not be set up (the sandbox has loopback only all the same): {Error}", id, e.Message);
        }
    }

    private EgressRules Rules(NetworkPolicyRecord policy, NetworkSlot slot, string[] resolved)
    {
        if (policy.Mode == AllowAll) return new EgressRules(true, [], false);
        if (policy.Mode == AllowAllExcept)
            return new EgressRules(true, [], false, policy.AllowCidrs.Concat(resolved.Select(a => a + "/32")).Distinct().ToList());
        var allowed = policy.AllowCidrs.Concat(resolved.Select(a => a + "/32")).Distinct().ToList();
        // The API port is reachable only when the policy names the gateway (or another host address) explicitly.
        var serverAllowed = policy.AllowCidrs.Any(c => SandboxNetwork.Covers(c, slot.Host));
        return new EgressRules(false, allowed, serverAllowed);
    }

    private int AllocateSlot()
    {
        lock (_policies)
        {
            var used = _policies.Values.Select(p => p.Slot).OfType<int>().ToHashSet();
            for (var i = 0; i < network.SlotCount; i++)
                if (!used.Contains(i)) return i;
        }
        throw new ConflictException("NetworkRangeFull", $"the server's network range {options.NetworkRange} has no free /30 left");
    }

    private async Task<string[]> ResolveAsync(IReadOnlyList<string> domains, CancellationToken ct)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var domain in domains)
        {
            // A wildcard allows what its base name resolves to; a DNS name cannot list its subdomains.
            var name = domain.StartsWith("*.", StringComparison.Ordinal) ? domain[2..] : domain;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                foreach (var a in await Resolver(name, timeout.Token))
                    if (a.AddressFamily == AddressFamily.InterNetwork) result.Add(a.ToString());
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ArgumentException)
            {
                log.LogWarning("allow_domains: could not resolve {Domain}: {Error}", name, e.Message);
            }
        }
        return [.. result];
    }

    /// <summary>Removes the sandbox's veth and rules (stop); it keeps its policy and slot for the next start.</summary>
    public async Task DetachAsync(string id, CancellationToken ct)
    {
        var gate = LockFor(id);
        await gate.WaitAsync(ct);
        try
        {
            _attached.TryRemove(id, out _);
            if (PolicyOf(id).Slot is { } s) await network.DetachAsync(network.Slot(s), SandboxNetwork.FindSandboxProcess(runtime.Cgroups(id)), ct);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Removes everything of the sandbox's network, its policy and slot (delete).</summary>
    public async Task ForgetAsync(string id, CancellationToken ct)
    {
        await DetachAsync(id, ct);
        policyRows.DeleteNetworkPolicy(id);
        _policies.TryRemove(id, out _);
        _locks.TryRemove(id, out _);
        if (!_policies.Values.Any(p => p.Slot is not null)) await network.RemoveHostTableAsync(ct);
    }

    /// <summary>Drops policies of sandboxes the state no longer knows (a crash between the two deletes).</summary>
    public async Task SweepAsync(IReadOnlySet<string> known, CancellationToken ct)
    {
        foreach (var id in _policies.Keys.Where(id => !known.Contains(id)).ToList()) await ForgetAsync(id, ct);
    }

    /// <summary>How often allow_domains are resolved again.</summary>
    public TimeSpan ResolveInterval => TimeSpan.FromSeconds(options.NetworkResolveSeconds);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(ResolveInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var (id, previous) in _attached.ToArray())
            {
                try
                {
                    var policy = PolicyOf(id);
                    if (!HasList(policy.Mode) || policy.AllowDomains.Count == 0 || policy.Slot is not { } s) continue;
                    var resolved = await ResolveAsync(policy.AllowDomains, stoppingToken);
                    if (resolved.SequenceEqual(previous)) continue;
                    var gate = LockFor(id);
                    await gate.WaitAsync(stoppingToken);
                    try
                    {
                        if (!_attached.ContainsKey(id) || SandboxNetwork.FindSandboxProcess(runtime.Cgroups(id)) is not { } pid) continue;
                        var slot = network.Slot(s);
                        await network.ApplyRulesAsync(pid, slot, Rules(PolicyOf(id), slot, resolved), stoppingToken);
                        _attached[id] = resolved;
                        log.LogInformation("sandbox {Id}: the policy's domains now resolve to {Addresses}", id, string.Join(", ", resolved));
                    }
                    finally
                    {
                        gate.Release();
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning("re-resolving allow_domains of sandbox {Id}: {Error}", id, e.Message);
                }
            }
        }
    }
}
