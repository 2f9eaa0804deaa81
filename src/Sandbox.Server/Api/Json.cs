using Sandbox.Server.State;

namespace Sandbox.Server.Api;

/// <summary>The wire shapes of resources (snake_case, as the reference lists them).</summary>
public static class Json
{
    public const string DataplanePath = "/v2/sandboxes/dataplane";

    public static string DataplaneUrl(HttpRequest req, string id) => $"{req.Scheme}://{req.Host}{DataplanePath}/{id}";

    public static object Sandbox(SandboxRecord r, HttpRequest req) => new
    {
        id = r.Id,
        name = r.Name,
        template_name = r.TemplateName is "" ? null : r.TemplateName, // a sandbox of a built-in or image snapshot has none
        dataplane_url = DataplaneUrl(req, r.Id),
        status = r.Status,
        status_message = r.StatusMessage,
        created_at = r.CreatedAt,
        updated_at = r.UpdatedAt,
        ttl_seconds = r.TtlSeconds,
        idle_ttl_seconds = r.IdleTtlSeconds,
        expires_at = r.ExpiresAt,
        delete_after_stop_seconds = r.DeleteAfterStopSeconds,
        stopped_at = r.StoppedAt,
        snapshot_id = r.SnapshotId,
        vcpus = r.Vcpus,
        cpu_millicores = (long)Math.Round(r.CpuLimit * 1000), // the CPU quota (a template's fractional cpu, vcpus, or cpu_millicores)
        mem_bytes = r.MemBytes,
        fs_capacity_bytes = r.FsCapacityBytes,
        run_config = RunConfig(r.RunConfig),
        network_policy = req.HttpContext.RequestServices.GetService<Services.NetworkPolicyService>()?.Describe(r.Id),
        proxy_config = req.HttpContext.RequestServices.GetService<Services.NetworkPolicyService>()?.DescribeProxyConfig(r.Id),
        labels = req.HttpContext.RequestServices.GetService<Services.SandboxManager>()?.LabelsOf(r.Id),
    };

    /// <summary>A run_config layer as the wire shows it (null when there is none).</summary>
    public static object? RunConfig(RunConfigRecord? rc) => rc is null ? null : new { user = rc.User, work_dir = rc.WorkDir, env_vars = rc.EnvVars };

    public static object Template(TemplateRecord t) => new
    {
        id = t.Id,
        name = t.Name,
        image = t.Image,
        resources = new { cpu = t.Cpu, memory = t.Memory, storage = t.Storage },
        volume_mounts = t.VolumeMounts.Select(v => new { volume_name = v.VolumeName, mount_path = v.MountPath }),
        created_at = t.CreatedAt,
        updated_at = t.UpdatedAt,
    };

    public static object Error(string type, string message) => new { detail = new { error = type, message } };
}
