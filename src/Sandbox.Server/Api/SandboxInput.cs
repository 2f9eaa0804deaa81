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
        var snapshotName = body.String("snapshot_name");
        var snapshotReference = SnapshotReference(body);
        var vcpus = body.Integer("vcpus", 1, Limits.MaxVcpus);
        var mem = body.Integer("mem_bytes", Limits.MinMemoryBytes, Limits.HostMemoryBytes);
        var fs = body.Integer("fs_capacity_bytes", Limits.MinMemoryBytes, long.MaxValue);
        var ttl = Ttl(body, "ttl_seconds", options);
        var idle = Ttl(body, "idle_ttl_seconds", options);
        var deleteAfterStop = Ttl(body, "delete_after_stop_seconds", options);
        var env = body.Environment("env");
        var envVars = body.Environment("env_vars"); // the current generation's name for env
        if (env is not null && envVars is not null) body.Fail("env_vars", "give one of env and env_vars (env_vars is the current name of env)");
        var autoPause = body.Bool("auto_pause") ?? false;
        var networkPolicy = NetworkPolicyInput.Read(body);
        var runConfig = RunConfigInput.Read(body);
        // At most one source; each one after the first is named. None: the built-in python snapshot.
        var sources = new (string Field, string? Value)[] { ("template_name", templateName), ("snapshot_id", snapshotId), ("snapshot_name", snapshotName), ("snapshot", snapshotReference) };
        foreach (var (field, _) in sources.Where(s => s.Value is not null).Skip(1))
            body.Fail(field, "give at most one of template_name, snapshot_id, snapshot_name and snapshot (none boots the default snapshot, python)");
        body.ThrowIfInvalidAsValueErrors();
        return new CreateSandboxRequest
        {
            Name = name,
            TemplateName = templateName,
            SnapshotId = snapshotId,
            SnapshotName = snapshotName,
            SnapshotReference = snapshotReference,
            Vcpus = vcpus,
            MemBytes = mem,
            FsCapacityBytes = fs,
            TtlSeconds = ttl,
            IdleTtlSeconds = idle,
            DeleteAfterStopSeconds = deleteAfterStop,
            Env = env ?? envVars ?? [],
            AutoPause = autoPause,
            NetworkPolicy = networkPolicy,
            RunConfig = runConfig,
        };
    }

    public static UpdateSandboxRequest Update(JsonInput body, ServerOptions options)
    {
        var newName = body.Name("name");
        var ttl = Ttl(body, "ttl_seconds", options);
        var idle = Ttl(body, "idle_ttl_seconds", options);
        var deleteAfterStop = Ttl(body, "delete_after_stop_seconds", options);
        var networkPolicy = NetworkPolicyInput.Read(body);
        var runConfig = RunConfigInput.Read(body);
        body.ThrowIfInvalid();
        return new UpdateSandboxRequest
        {
            Name = newName,
            SetsTtl = body.Has("ttl_seconds"),
            TtlSeconds = ttl,
            SetsIdleTtl = body.Has("idle_ttl_seconds"),
            IdleTtlSeconds = idle,
            SetsDeleteAfterStop = body.Has("delete_after_stop_seconds"),
            DeleteAfterStopSeconds = deleteAfterStop,
            NetworkPolicy = networkPolicy,
            RunConfig = runConfig,
        };
    }

    /// <summary>
    /// <c>snapshot</c>: a snapshot id or <c>name[:tag]</c>. There are no tags yet, so only the default tag
    /// <c>latest</c> (the same as a bare name) is accepted; another tag is a 422 saying so.
    /// </summary>
    private static string? SnapshotReference(JsonInput body)
    {
        var reference = body.String("snapshot");
        if (reference is null) return null;
        var colon = reference.IndexOf(':');
        if (colon < 0) return reference;
        var (name, tag) = (reference[..colon], reference[(colon + 1)..]);
        if (name.Length == 0 || tag != "latest")
        {
            body.Fail("snapshot", $"'{reference}': snapshot tags are not supported by the local server yet; give a snapshot id, a name, or name:latest");
            return null;
        }
        return name;
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
