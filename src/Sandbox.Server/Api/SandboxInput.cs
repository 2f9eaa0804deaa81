using Sandbox.Server.Services;

namespace Sandbox.Server.Api;

/// <summary>Reads the bodies of <c>POST /boxes</c> and <c>PATCH /boxes/{name}</c> into typed requests (422 on a bad field).</summary>
public static class SandboxInput
{
    /// <summary>Reads every field, then throws the 422 of all problems at once (the fields read before by the caller included).</summary>
    public static CreateSandboxRequest Create(JsonInput body, ServerOptions options)
    {
        var name = body.Name("name");
        var templateName = body.String("template_name");
        var snapshotId = body.String("snapshot_id");
        var vcpus = body.Integer("vcpus", 1, Limits.MaxVcpus);
        var mem = body.Integer("mem_bytes", Limits.MinMemoryBytes, Limits.HostMemoryBytes);
        var fs = body.Integer("fs_capacity_bytes", Limits.MinMemoryBytes, long.MaxValue);
        var ttl = Ttl(body, "ttl_seconds", options);
        var idle = Ttl(body, "idle_ttl_seconds", options);
        var env = body.Environment("env") ?? [];
        var autoPause = body.Bool("auto_pause") ?? false;
        var networkPolicy = NetworkPolicyInput.Read(body);
        if (templateName is null && snapshotId is null) body.Fail("template_name", "field required (exactly one of template_name and snapshot_id)", "missing");
        if (templateName is not null && snapshotId is not null) body.Fail("snapshot_id", "give exactly one of template_name and snapshot_id");
        body.ThrowIfInvalid();
        return new CreateSandboxRequest
        {
            Name = name,
            TemplateName = templateName,
            SnapshotId = snapshotId,
            Vcpus = vcpus,
            MemBytes = mem,
            FsCapacityBytes = fs,
            TtlSeconds = ttl,
            IdleTtlSeconds = idle,
            Env = env,
            AutoPause = autoPause,
            NetworkPolicy = networkPolicy,
        };
    }

    public static UpdateSandboxRequest Update(JsonInput body, ServerOptions options)
    {
        var newName = body.Name("name");
        var ttl = Ttl(body, "ttl_seconds", options);
        var idle = Ttl(body, "idle_ttl_seconds", options);
        var networkPolicy = NetworkPolicyInput.Read(body);
        body.ThrowIfInvalid();
        return new UpdateSandboxRequest
        {
            Name = newName,
            SetsTtl = body.Has("ttl_seconds"),
            TtlSeconds = ttl,
            SetsIdleTtl = body.Has("idle_ttl_seconds"),
            IdleTtlSeconds = idle,
            NetworkPolicy = networkPolicy,
        };
    }

    private static long? Ttl(JsonInput body, string field, ServerOptions options)
    {
        var value = body.Integer(field, 0, 10L * 365 * 24 * 3600);
        if (value is > 0 && value % options.TtlGranularity != 0)
        {
            body.Fail(field, $"must be a multiple of {options.TtlGranularity} seconds (0 disables)");
            return null;
        }
        return value;
    }
}
