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
            timeout = r.TtlSeconds ?? 0,
            state = State(r.Status),
            auto_pause = services.GetRequiredService<SandboxManager>().AutoPauseOf(r.Id),
            network_policy = services.GetRequiredService<NetworkPolicyService>().Describe(r.Id),
            created_at = r.CreatedAt,
        };
    }

    /// <summary>The local <c>base</c> template is leap0's default <c>system/debian:bookworm</c>.</summary>
    public static string TemplateId(string templateName) => templateName == "base" ? Leap0SandboxInput.DefaultTemplate : templateName;
}
