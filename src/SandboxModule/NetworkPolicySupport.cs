namespace SandboxModule;

/// <summary>The one way New-Sandbox and Set-SandboxNetworkPolicy turn -Mode/-NetworkPolicy, -AllowCidr and -AllowDomain into a policy.</summary>
internal static class NetworkPolicySupport
{
    /// <summary>Values of the mode parameters (tab completion and validation).</summary>
    public static readonly string[] Modes = [NetworkPolicyMode.AllowAll, NetworkPolicyMode.DenyAll, NetworkPolicyMode.Custom];

    /// <summary>
    /// A policy, or null when nothing was given. Allowed CIDRs or domains without a mode mean <c>custom</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A mode other than custom with lists, or lists over the limits.</exception>
    public static SandboxNetworkPolicy? Build(string? mode, string[]? allowCidr, string[]? allowDomain)
    {
        var hasLists = allowCidr is { Length: > 0 } || allowDomain is { Length: > 0 };
        if (string.IsNullOrEmpty(mode) && !hasLists) return null;
        return SandboxNetworkPolicy.Create(string.IsNullOrEmpty(mode) ? NetworkPolicyMode.Custom : mode, allowCidr, allowDomain);
    }
}
