using System.Text.Json.Serialization;

namespace Sandbox.Client;

/// <summary>The snapshot statuses of the wire API.</summary>
public static class SandboxSnapshotStatus
{
    /// <summary>Being captured or imported.</summary>
    public const string Provisioning = "provisioning";
    /// <summary>Ready: sandboxes can start from it.</summary>
    public const string Ready = "ready";
    /// <summary>The capture or import failed; see the status message.</summary>
    public const string Failed = "failed";
}

/// <summary>A snapshot: a sandbox's captured filesystem, or a root filesystem imported from an image archive.</summary>
public sealed class SandboxSnapshot : SandboxResource
{
    /// <summary>The same as <see cref="SandboxResource.Id"/>, for pipeline binding to parameters named <c>SnapshotId</c>.</summary>
    [JsonIgnore]
    public string SnapshotId => Id;

    /// <summary>One of <see cref="SandboxSnapshotStatus"/>.</summary>
    public string Status { get; set; } = "";

    /// <summary>Why it is in its status (e.g. the failure), when the server says.</summary>
    public string? StatusMessage { get; set; }

    /// <summary>Filesystem capacity in bytes, when known.</summary>
    public long? FsCapacityBytes { get; set; }

    /// <summary>Bytes its files use.</summary>
    public long? FsUsedBytes { get; set; }

    /// <summary>The sandbox it was captured from, if any.</summary>
    public string? SourceSandboxId { get; set; }

    /// <summary>The image it was imported from, if any.</summary>
    public string? DockerImage { get; set; }

    /// <summary>When it was created (UTC).</summary>
    public DateTimeOffset? CreatedAt { get; set; }

    /// <summary>When it last changed (UTC).</summary>
    public DateTimeOffset? UpdatedAt { get; set; }

    /// <summary><see cref="FsUsedBytes"/> in MiB, for display.</summary>
    [JsonIgnore]
    public double? UsedMB => FsUsedBytes is { } b ? Math.Round(b / 1048576.0, 1) : null;

    /// <summary>True when <see cref="Status"/> is <c>ready</c>.</summary>
    [JsonIgnore]
    public bool IsReady => Status == SandboxSnapshotStatus.Ready;
}

/// <summary>The body of <c>POST /snapshots</c>: a snapshot from an image.</summary>
public sealed class CreateImageSnapshotRequest
{
    /// <summary>The name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The image: on the local server, a path to an OCI image layout or a <c>docker save</c> tarball.</summary>
    public string DockerImage { get; set; } = "";

    /// <summary>Filesystem capacity in bytes.</summary>
    public long? FsCapacityBytes { get; set; }
}
