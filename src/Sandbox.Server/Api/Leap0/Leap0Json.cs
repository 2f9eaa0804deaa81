using Sandbox.Server.Runtime;
using Sandbox.Server.Services;
using Sandbox.Server.State;

namespace Sandbox.Server.Api.Leap0;

/// <summary>leap0's wire shapes of the server's records.</summary>
public static class Leap0Json
{
    private const long MiB = 1L << 20;

    /// <summary>leap0's state of a sandbox: <c>provisioning</c> is <c>starting</c>, <c>ready</c> is <c>running</c>.</summary>
    public static string State(string status) => status switch
    {
        SandboxStatus.Provisioning => "starting",
        SandboxStatus.Ready => "running",
        SandboxStatus.Paused => "paused",
        SandboxStatus.Deleting => "deleting",
        _ => "stopped", // stopped, and failed (leap0 has no failed state; the LangSmith routes say why)
    };

    /// <summary>A sandbox in both generations' fields (<c>memory</c>/<c>disk</c> and the seed's <c>memory_mib</c>/<c>disk_mib</c>).</summary>
    public static object Sandbox(SandboxRecord r, HttpRequest req)
    {
        var services = req.HttpContext.RequestServices;
        var memory = r.MemBytes / MiB;
        var disk = (r.FsCapacityBytes ?? SandboxRuntime.DefaultFsCapacityBytes) / MiB;
        return new
        {
            id = r.Id,
            template_id = TemplateId(r.TemplateName),
            vcpu = r.Vcpus,
            memory,
            memory_mib = memory,
            disk,
            disk_mib = disk,
            timeout = Timeout(r),
            state = State(r.Status),
            auto_pause = services.GetRequiredService<SandboxManager>().AutoPauseOf(r.Id),
            network_policy = NetworkPolicy(services.GetRequiredService<NetworkPolicyService>(), r.Id),
            created_at = r.CreatedAt,
        };
    }

    /// <summary>
    /// leap0's <c>timeout</c> is 1-28800 s. A sandbox made on the LangSmith routes may have none (or a longer ttl):
    /// it is answered as 28800, leap0's longest, which such a sandbox outlives ("at least the longest leap0 has").
    /// </summary>
    public const long MaxTimeoutSeconds = 28800;

    public static long Timeout(SandboxRecord r) => r.TtlSeconds is > 0 and var t ? Math.Min(t, MaxTimeoutSeconds) : MaxTimeoutSeconds;

    /// <summary>
    /// A policy in leap0's modes (<c>allow-all</c>, <c>deny-all</c>, <c>custom</c>). leap0 has no deny lists: the local
    /// <c>allow-all-except</c> is <c>allow-all</c> (everything but a few destinations is open) with the lists it denies
    /// as <c>deny_cidrs</c>/<c>deny_domains</c> beside (fields leap0's clients ignore).
    /// </summary>
    public static object NetworkPolicy(NetworkPolicyService network, string id) => network.Describe(id, allowAllExceptAs: NetworkPolicyService.AllowAll);

    /// <summary>An item of <c>GET /v1/sandboxes</c>: one local host runs every sandbox, so <c>pod_id</c> is <c>local</c>.</summary>
    public static Dictionary<string, object?> ListItem(SandboxRecord r)
    {
        var item = new Dictionary<string, object?>
        {
            ["id"] = r.Id,
            ["template_id"] = TemplateId(r.TemplateName),
            ["pod_id"] = "local",
            ["state"] = State(r.Status),
            ["state_change_time"] = r.UpdatedAt,
            ["created_at"] = r.CreatedAt,
        };
        // Unix seconds, and absent (not null: the spec's integer is not nullable) for a sandbox without a timeout.
        if (r.ExpiresAt is { } at) item["timeout_at"] = new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)).ToUnixTimeSeconds();
        return item;
    }

    /// <summary>
    /// A local template's leap0 name: the built-ins are system templates, <c>base</c> leap0's default
    /// <c>system/debian:bookworm</c>, the others <c>system/NAME</c> (the inverse of <see cref="Leap0SandboxInput.LocalTemplate"/>).
    /// </summary>
    public static string TemplateId(string templateName) =>
        templateName == "base" ? Leap0SandboxInput.DefaultTemplate
        : TemplateCatalog.BuiltIns.ContainsKey(templateName) ? Leap0SandboxInput.SystemPrefix + templateName
        : templateName;
}
