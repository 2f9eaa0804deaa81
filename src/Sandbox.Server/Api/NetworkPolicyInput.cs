using System.Text.Json;
using System.Text.RegularExpressions;
using Sandbox.Server.Runtime;
using Sandbox.Server.Services;
using Sandbox.Server.State;

namespace Sandbox.Server.Api;

/// <summary>
/// The outbound network policy of a sandbox create or PATCH, read and checked (problems go to the body's 422): the
/// extension <c>network_policy</c>, or the current generation's <c>proxy_config</c>, whose <c>access_control</c> maps
/// onto the same policy (<c>allow_list</c> → custom, <c>deny_list</c> → allow-all-except). At most one of the two.
/// </summary>
public static partial class NetworkPolicyInput
{
    [GeneratedRegex(@"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex DomainPattern();

    /// <summary>Reads <c>network_policy</c> or <c>proxy_config</c>; null when neither is given.</summary>
    public static NetworkPolicyRecord? Read(JsonInput body)
    {
        if (body.Has("network_policy") && body.Has("proxy_config"))
            body.Fail("proxy_config", "give one of network_policy and proxy_config (its access_control sets the same policy)");
        return body.Has("proxy_config") ? ReadProxyConfig(body) : ReadNetworkPolicy(body);
    }

    private static NetworkPolicyRecord? ReadNetworkPolicy(JsonInput body)
    {
        if (!body.Has("network_policy")) return null;
        var input = body.Object("network_policy");
        if (input is null) return null;
        var mode = input.String("mode", required: true);
        if (mode is not null && !NetworkPolicyService.Modes.Contains(mode)) input.Fail("mode", $"must be one of {string.Join(", ", NetworkPolicyService.Modes)}", "enum");
        var deny = mode == NetworkPolicyService.AllowAllExcept;
        var (cidrField, domainField) = deny ? ("deny_cidrs", "deny_domains") : ("allow_cidrs", "allow_domains");
        var (otherCidrs, otherDomains) = deny ? ("allow_cidrs", "allow_domains") : ("deny_cidrs", "deny_domains");
        var cidrs = Strings(input, cidrField, NetworkPolicyService.MaxCidrs);
        var domains = Strings(input, domainField, NetworkPolicyService.MaxDomains);
        for (var i = 0; i < cidrs.Count; i++)
        {
            if (SandboxNetwork.NormalizeCidr(cidrs[i]) is not { } normal) input.Fail(cidrField, $"'{cidrs[i]}' is not an IPv4 address or CIDR (a.b.c.d/n){Ipv6Note(cidrs[i])}");
            else cidrs[i] = normal;
        }
        for (var i = 0; i < domains.Count; i++)
        {
            domains[i] = domains[i].Trim().TrimEnd('.').ToLowerInvariant();
            if (domains[i].Length > 253 || !DomainPattern().IsMatch(domains[i])) input.Fail(domainField, $"'{domains[i]}' is not a domain name (a leading '*.' is allowed)");
        }
        foreach (var field in new[] { otherCidrs, otherDomains })
            if (Strings(input, field, int.MaxValue).Count > 0)
                input.Fail(field, mode is not null && NetworkPolicyService.HasList(mode) ? $"mode '{mode}' takes {cidrField} and {domainField}, not {field}" : $"only mode '{NetworkPolicyService.AllowAllExcept}' takes deny lists");
        if (mode is not null && !NetworkPolicyService.HasList(mode) && (cidrs.Count > 0 || domains.Count > 0))
            input.Fail(cidrs.Count > 0 ? cidrField : domainField, $"only modes '{NetworkPolicyService.Custom}' and '{NetworkPolicyService.AllowAllExcept}' take lists");
        if (mode is null) return null;
        return new NetworkPolicyRecord { SandboxId = "", Mode = mode, AllowCidrs = cidrs.Distinct().ToList(), AllowDomains = domains.Distinct().ToList() };
    }

    private static string Ipv6Note(string entry) => entry.Contains(':') ? "; IPv6 is not supported: sandboxes get no IPv6 connectivity" : "";

    /// <summary>
    /// <c>proxy_config</c>: <c>access_control</c> with <c>allow_list</c> or <c>deny_list</c> (IPv4 addresses, CIDRs, domains,
    /// <c>*.domain</c>), mapped onto the policy; without it, the default (deny-all). <c>no_proxy</c> is accepted (there is no
    /// proxy to bypass); header, AWS and GCP rules, callbacks, <c>~regex</c> patterns and <c>description</c> are refused.
    /// </summary>
    private static NetworkPolicyRecord? ReadProxyConfig(JsonInput body)
    {
        var input = body.Object("proxy_config");
        if (input is null) return null;
        SnapshotInput.RefuseUnsupported(input, "rules", "proxy rules (header injection, AWS SigV4, GCP credentials) need a TLS-intercepting proxy, which");
        SnapshotInput.RefuseUnsupported(input, "callbacks", "proxy callbacks need a TLS-intercepting proxy, which");
        if (input.Has("description")) input.Fail("description", "a description of the proxy configuration is not supported by the local server; omit description");
        if (input.Raw("no_proxy") is { } noProxy && noProxy.ValueKind != JsonValueKind.Array) input.Fail("no_proxy", "must be an array of strings", "list_type");
        var policy = new NetworkPolicyRecord { SandboxId = "", Mode = NetworkPolicyService.DenyAll };
        if (!input.Has("access_control")) return policy;
        var access = input.Object("access_control");
        if (access is null) return policy;
        if (access.Has("allow_list") && access.Has("deny_list"))
        {
            access.Fail("deny_list", "give one of allow_list and deny_list");
            return null;
        }
        var deny = access.Has("deny_list");
        var field = deny ? "deny_list" : "allow_list";
        if (!access.Has(field)) return policy;
        var cidrs = new List<string>();
        var domains = new List<string>();
        foreach (var entry in Strings(access, field, NetworkPolicyService.MaxCidrs + NetworkPolicyService.MaxDomains))
        {
            if (entry.StartsWith('~'))
                access.Fail(field, $"'{entry}': regular-expression patterns are not supported by the local server (its rules match addresses, not host names); give domains, '*.domain', IPv4 addresses or CIDRs");
            else if (SandboxNetwork.NormalizeCidr(entry) is { } cidr) cidrs.Add(cidr);
            else if (entry.Trim().TrimEnd('.').ToLowerInvariant() is { Length: <= 253 } domain && DomainPattern().IsMatch(domain)) domains.Add(domain);
            else access.Fail(field, $"'{entry}' is not a domain, '*.domain', IPv4 address or CIDR{Ipv6Note(entry)}");
        }
        if (cidrs.Count > NetworkPolicyService.MaxCidrs) access.Fail(field, $"at most {NetworkPolicyService.MaxCidrs} addresses and CIDRs", "too_long");
        if (domains.Count > NetworkPolicyService.MaxDomains) access.Fail(field, $"at most {NetworkPolicyService.MaxDomains} domains", "too_long");
        return policy with
        {
            Mode = deny ? NetworkPolicyService.AllowAllExcept : NetworkPolicyService.Custom,
            AllowCidrs = cidrs.Distinct().ToList(),
            AllowDomains = domains.Distinct().ToList(),
        };
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
