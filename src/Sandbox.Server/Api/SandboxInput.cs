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
        var millicores = body.Integer("cpu_millicores", 10, Limits.MaxVcpus * 1000L);
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
        var labels = SnapshotInput.Labels(body);
        RefuseRemoteFeatures(body);
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
            CpuMillicores = millicores,
            MemBytes = mem,
            FsCapacityBytes = fs,
            TtlSeconds = ttl,
            IdleTtlSeconds = idle,
            DeleteAfterStopSeconds = deleteAfterStop,
            Env = env ?? envVars ?? [],
            AutoPause = autoPause,
            NetworkPolicy = networkPolicy,
            RunConfig = runConfig,
            Labels = labels,
        };
    }

    /// <summary>
    /// Fields of the hosted API that need something the local server does not have: each one given is a 422
    /// <c>value_error</c> saying so, never ignored. <c>mount_config</c> (S3, GCS, git and Context Hub mounts need remote
    /// storage and credentials; volumes mount through templates), <c>access_delegation</c> (there is no LangSmith API to
    /// call as the creator).
    /// </summary>
    private static void RefuseRemoteFeatures(JsonInput body)
    {
        if (body.Has("mount_config"))
            body.Fail("mount_config", "remote mounts (s3, gcs, git, contexthub) are not supported by the local server; omit mount_config (volumes mount through a template's volume_mounts)");
        foreach (var field in new[] { "preserve_memory_on_stop", "restore_memory" })
            if (body.Bool(field) == true)
                body.Fail(field, $"memory snapshots are not supported by the local server (a stop ends the sandbox's processes, its files stay); omit {field} or give false");
        if (body.Bool("persistent") == false)
            body.Fail("persistent", "disposable sandboxes (writes discarded at every stop) are not supported by the local server: every sandbox keeps its files across stops; omit persistent or give true");
        if (body.Has("tag_value_ids"))
            body.Fail("tag_value_ids", "LangSmith resource tags are not supported by the local server (use labels); omit tag_value_ids");
        if (body.Has("volumes"))
            body.Fail("volumes", "attaching volumes at create is not supported by the local server yet; mount volumes through a template's volume_mounts and create from template_name");
        if (body.Has("access_delegation"))
            body.Fail("access_delegation", "access delegation is not supported by the local server: there is no LangSmith API for code in the sandbox to call as its creator; omit access_delegation");
    }

    public static UpdateSandboxRequest Update(JsonInput body, ServerOptions options)
    {
        var newName = body.Name("name");
        var ttl = Ttl(body, "ttl_seconds", options);
        var idle = Ttl(body, "idle_ttl_seconds", options);
        var deleteAfterStop = Ttl(body, "delete_after_stop_seconds", options);
        var networkPolicy = NetworkPolicyInput.Read(body);
        var runConfig = RunConfigInput.Read(body);
        RefuseRemoteFeatures(body);
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

    /// <summary><c>snapshot</c>: a snapshot id or <c>name[:tag]</c> (a bare name is <c>name:latest</c>), resolved by the service.</summary>
    private static string? SnapshotReference(JsonInput body)
    {
        var reference = body.String("snapshot");
        if (reference is null) return null;
        var (name, tag) = SnapshotService.SplitReference(reference);
        if (name.Length == 0 || tag is { Length: 0 } || reference.Contains('\0'))
        {
            body.Fail("snapshot", $"'{reference}' is not a snapshot id or name[:tag]");
            return null;
        }
        return reference;
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
