using System.Text.Json;
using System.Text.RegularExpressions;
using Sandbox.Server.Runtime;
using Sandbox.Server.Services;
using Sandbox.Server.State;

namespace Sandbox.Server.Api;

/// <summary>The <c>network_policy</c> field of a sandbox create or PATCH, read and checked (problems go to the body's 422).</summary>
public static partial class NetworkPolicyInput
{
    [GeneratedRegex(@"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex DomainPattern();

    /// <summary>Reads and validates <c>network_policy</c> of a create or PATCH body; null when absent. Problems go to the body's 422.</summary>
    public static NetworkPolicyRecord? Read(JsonInput body)
    {
        if (!body.Has("network_policy")) return null;
        var input = body.Object("network_policy");
        if (input is null) return null;
        var mode = input.String("mode", required: true);
        if (mode is not null && !NetworkPolicyService.Modes.Contains(mode)) input.Fail("mode", $"must be one of {string.Join(", ", NetworkPolicyService.Modes)}", "enum");
        var cidrs = Strings(input, "allow_cidrs", NetworkPolicyService.MaxCidrs);
        var domains = Strings(input, "allow_domains", NetworkPolicyService.MaxDomains);
        for (var i = 0; i < cidrs.Count; i++)
        {
            if (SandboxNetwork.NormalizeCidr(cidrs[i]) is not { } normal) input.Fail("allow_cidrs", $"'{cidrs[i]}' is not an IPv4 address or CIDR (a.b.c.d/n){(cidrs[i].Contains(':') ? "; IPv6 is not supported: sandboxes get no IPv6 connectivity" : "")}");
            else cidrs[i] = normal;
        }
        for (var i = 0; i < domains.Count; i++)
        {
            domains[i] = domains[i].Trim().TrimEnd('.').ToLowerInvariant();
            if (domains[i].Length > 253 || !DomainPattern().IsMatch(domains[i])) input.Fail("allow_domains", $"'{domains[i]}' is not a domain name (a leading '*.' is allowed)");
        }
        if (mode is not null && mode != NetworkPolicyService.Custom && (cidrs.Count > 0 || domains.Count > 0))
            input.Fail(cidrs.Count > 0 ? "allow_cidrs" : "allow_domains", $"only mode '{NetworkPolicyService.Custom}' takes allow_cidrs and allow_domains");
        if (mode is null) return null;
        return new NetworkPolicyRecord { SandboxId = "", Mode = mode, AllowCidrs = cidrs.Distinct().ToList(), AllowDomains = domains.Distinct().ToList() };
    }

    private static List<string> Strings(JsonInput input, string field, int max)
    {
        var list = new List<string>();
        if (input.Raw(field) is not { } v) return list;
        if (v.ValueKind != JsonValueKind.Array)
        {
            input.Fail(field, "must be an array of strings", "list_type");
            return list;
        }
        if (v.GetArrayLength() > max) input.Fail(field, $"at most {max} items", "too_long");
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) input.Fail(field, "items must be strings", "string_type");
            else list.Add(item.GetString()!.Trim());
        }
        return list;
    }
}
