using Sandbox.Server.State;

namespace Sandbox.Server.Services;

// Typed requests the Api hands to the services, already read and checked field by field (Api/*Input.cs).
// Null means "not given": the service applies the template's or its own default.

/// <summary>
/// <c>POST /boxes</c>: at most one source, <see cref="TemplateName"/> (older generation), <see cref="SnapshotId"/>,
/// <see cref="SnapshotName"/> or <see cref="SnapshotReference"/>; none boots the built-in <c>python</c> snapshot.
/// </summary>
public sealed record CreateSandboxRequest
{
    public string? Name { get; init; }
    public string? TemplateName { get; init; }
    public string? SnapshotId { get; init; }
    /// <summary><c>snapshot_name</c>: the newest ready snapshot of that name, else a built-in of that name.</summary>
    public string? SnapshotName { get; init; }
    /// <summary><c>snapshot</c>: a snapshot id, else <c>name[:tag]</c> (a bare name is <c>name:latest</c>).</summary>
    public string? SnapshotReference { get; init; }
    public long? Vcpus { get; init; }
    /// <summary><c>cpu_millicores</c>: the CPU quota in thousandths of a core; wins over <see cref="Vcpus"/> (as the hosted API).</summary>
    public long? CpuMillicores { get; init; }
    public long? MemBytes { get; init; }
    public long? FsCapacityBytes { get; init; }
    public long? TtlSeconds { get; init; }
    public long? IdleTtlSeconds { get; init; }
    /// <summary>Delete this many seconds after a stop (0: never).</summary>
    public long? DeleteAfterStopSeconds { get; init; }
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    public bool AutoPause { get; init; }
    public NetworkPolicyRecord? NetworkPolicy { get; init; }
    /// <summary>The sandbox's layer of run_config (over the snapshot's, under each command's).</summary>
    public RunConfigRecord? RunConfig { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}

/// <summary><c>PATCH /boxes/{name}</c>: a ttl field present with null or 0 clears it, so presence is told apart from value.</summary>
public sealed record UpdateSandboxRequest
{
    public string? Name { get; init; }
    public bool SetsTtl { get; init; }
    public long? TtlSeconds { get; init; }
    public bool SetsIdleTtl { get; init; }
    public long? IdleTtlSeconds { get; init; }
    public bool SetsDeleteAfterStop { get; init; }
    public long? DeleteAfterStopSeconds { get; init; }
    public NetworkPolicyRecord? NetworkPolicy { get; init; }
    /// <summary>Merged into the sandbox's layer: user and work_dir replace, env_vars merge (later commands; a stopped sandbox at its next start).</summary>
    public RunConfigRecord? RunConfig { get; init; }
}

/// <summary><c>POST /templates</c>: resources as the quantities given (defaults already applied).</summary>
public sealed record CreateTemplateRequest(string Name, string Image, string Cpu, string Memory, string? Storage, IReadOnlyList<VolumeMount> VolumeMounts);

/// <summary><c>POST /pools</c>.</summary>
public sealed record CreatePoolRequest(string Name, string TemplateName, int Replicas);

/// <summary><c>PATCH /pools/{name}</c>.</summary>
public sealed record UpdatePoolRequest(string? Name, int? Replicas);

/// <summary><c>POST /snapshots</c>: a built-in name, a local image to unpack, or a registry reference (which fails: nothing is pulled); <c>name:tag</c> points at it.</summary>
public sealed record ImportSnapshotRequest(string Name, string DockerImage, long? FsCapacityBytes, string Tag, IReadOnlyDictionary<string, string> Labels, string? RegistryId, RunConfigRecord? RunConfig = null);

/// <summary><c>POST /boxes/{name}/snapshot</c>: the snapshot's name, the tag to point at it, its labels.</summary>
public sealed record CaptureSnapshotRequest(string Name, string Tag, IReadOnlyDictionary<string, string> Labels, RunConfigRecord? RunConfig = null);

/// <summary><c>POST /volumes</c>.</summary>
public sealed record CreateVolumeRequest(string Name, long SizeBytes);

/// <summary><c>PATCH /volumes/{name}</c>.</summary>
public sealed record UpdateVolumeRequest(string? Name, long? SizeBytes);
