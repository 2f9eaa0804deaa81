namespace Sandbox.Client;

/// <summary>Modes of a <see cref="SandboxNetworkPolicy"/>.</summary>
public static class NetworkPolicyMode
{
    /// <summary>No outbound network: loopback only (the local server's default).</summary>
    public const string DenyAll = "deny-all";

    /// <summary>Outbound network through the server's NAT (never the server's own API port).</summary>
    public const string AllowAll = "allow-all";

    /// <summary>Outbound only to <see cref="SandboxNetworkPolicy.AllowCidrs"/> and what <see cref="SandboxNetworkPolicy.AllowDomains"/> resolve to.</summary>
    public const string Custom = "custom";

    /// <summary>Every mode, in the order the reference lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [AllowAll, DenyAll, Custom];
}

/// <summary>
/// A sandbox's outbound network policy (extension <c>network_policy</c>, leap0 shape):
/// <c>{mode, allow_cidrs?, allow_domains?}</c>.
/// </summary>
public sealed class SandboxNetworkPolicy
{
    /// <summary>Maximum number of <see cref="AllowCidrs"/>.</summary>
    public const int MaxCidrs = 10;

    /// <summary>Maximum number of <see cref="AllowDomains"/>.</summary>
    public const int MaxDomains = 50;

    /// <summary>One of <see cref="NetworkPolicyMode"/>.</summary>
    public string Mode { get; set; } = NetworkPolicyMode.DenyAll;

    /// <summary>IPv4 addresses or CIDRs the sandbox may reach (mode <c>custom</c>; at most 10).</summary>
    public IList<string>? AllowCidrs { get; set; }

    /// <summary>Domains (a leading <c>*.</c> allowed) whose addresses the sandbox may reach (mode <c>custom</c>; at most 50).</summary>
    public IList<string>? AllowDomains { get; set; }

    /// <summary>
    /// A policy from a mode and lists, checked on the client side (mode known, counts within the limits, lists only with
    /// <c>custom</c>). Empty lists are not sent.
    /// </summary>
    /// <exception cref="ArgumentException">The mode or the lists are not valid.</exception>
    public static SandboxNetworkPolicy Create(string mode, IEnumerable<string>? allowCidrs = null, IEnumerable<string>? allowDomains = null)
    {
        ArgumentNullException.ThrowIfNull(mode);
        var normal = mode.Trim().ToLowerInvariant();
        if (!NetworkPolicyMode.All.Contains(normal))
            throw new ArgumentException($"network policy mode must be one of {string.Join(", ", NetworkPolicyMode.All)} (got '{mode}')", nameof(mode));
        var cidrs = allowCidrs?.Where(c => !string.IsNullOrWhiteSpace(c)).Select(c => c.Trim()).ToList() ?? [];
        var domains = allowDomains?.Where(d => !string.IsNullOrWhiteSpace(d)).Select(d => d.Trim()).ToList() ?? [];
        if (cidrs.Count > MaxCidrs) throw new ArgumentException($"at most {MaxCidrs} allowed CIDRs", nameof(allowCidrs));
        if (domains.Count > MaxDomains) throw new ArgumentException($"at most {MaxDomains} allowed domains", nameof(allowDomains));
        if (normal != NetworkPolicyMode.Custom && (cidrs.Count > 0 || domains.Count > 0))
            throw new ArgumentException($"allowed CIDRs and domains need mode '{NetworkPolicyMode.Custom}'", nameof(mode));
        return new SandboxNetworkPolicy { Mode = normal, AllowCidrs = cidrs.Count > 0 ? cidrs : null, AllowDomains = domains.Count > 0 ? domains : null };
    }

    /// <summary>The mode, and the lists when there are any.</summary>
    public override string ToString()
    {
        var parts = new List<string> { Mode };
        if (AllowCidrs is { Count: > 0 }) parts.Add(string.Join(",", AllowCidrs));
        if (AllowDomains is { Count: > 0 }) parts.Add(string.Join(",", AllowDomains));
        return string.Join(" ", parts);
    }
}
