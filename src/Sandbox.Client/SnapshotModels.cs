using System.Text.Json.Serialization;

namespace Sandbox.Client;

/// <summary>The snapshot statuses of the wire API.</summary>
public static class SandboxSnapshotStatus
{
    /// <summary>Being captured or imported (the seed generation's name; the current generation says <see cref="Building"/>).</summary>
    public const string Provisioning = "provisioning";
    /// <summary>Being captured or imported (the current generation).</summary>
    public const string Building = "building";
    /// <summary>Ready: sandboxes can start from it.</summary>
    public const string Ready = "ready";
    /// <summary>The capture or import failed; see the status message.</summary>
    public const string Failed = "failed";
}

/// <summary>
/// What names one snapshot by its id. PowerShell can bind a pipeline object to a parameter of this type only when the
/// object is one (it cannot make an interface out of a table row), which is what lets the module tell a piped snapshot
/// from an Import-Csv row.
/// </summary>
public interface ISandboxSnapshotReference
{
    /// <summary>The snapshot's id.</summary>
    string SnapshotId { get; }
}

/// <summary>A snapshot: a sandbox's captured filesystem, or a root filesystem imported from an image archive.</summary>
public sealed class SandboxSnapshot : SandboxResource, ISandboxSnapshotReference
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

    /// <summary>The registry whose credentials its image was to be pulled with, if any.</summary>
    public string? RegistryId { get; set; }

    /// <summary>The tags under its name that resolve to it now (<c>name:tag</c>); empty when they all moved on, or on servers without tags.</summary>
    public IList<string> Tags { get; set; } = [];

    /// <summary>Its labels (string values); empty when none.</summary>
    public IDictionary<string, string> Labels { get; set; } = new Dictionary<string, string>();

    /// <summary>How its sandboxes' commands run unless they say otherwise (<c>run_config</c>: the image's USER/WORKDIR/ENV, the captured sandbox's, the one given at creation); null when none.</summary>
    public SandboxRunConfig? RunConfig { get; set; }

    /// <summary>When it was created (UTC).</summary>
    public DateTimeOffset? CreatedAt { get; set; }

    /// <summary>When it last changed (UTC).</summary>
    public DateTimeOffset? UpdatedAt { get; set; }

    /// <summary>Its references <c>name:tag</c>, one per tag, for display and for <c>-Snapshot</c>.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> References => Tags.Select(t => Name + ":" + t).ToList();

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

    /// <summary>The tag that <c>name:tag</c> points at the new snapshot (the server's default, <c>latest</c>, when null).</summary>
    public string? Tag { get; set; }

    /// <summary>Labels (string values). Sent only when it has entries.</summary>
    public IDictionary<string, string>? Labels { get; set; }

    /// <summary>The id of the registry whose credentials pull the image (see <see cref="SandboxClient.Registries"/>).</summary>
    public string? RegistryId { get; set; }

    /// <summary>How its sandboxes' commands run, over the image's USER/WORKDIR/ENV. Sent only when something is set.</summary>
    public SandboxRunConfig? RunConfig { get; set; }
}

/// <summary>The body of <c>POST /boxes/{name}/snapshot</c>: a snapshot of a sandbox's filesystem.</summary>
public sealed class CaptureSnapshotRequest
{
    /// <summary>The snapshot's name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The tag that <c>name:tag</c> points at the new snapshot (the server's default, <c>latest</c>, when null).</summary>
    public string? Tag { get; set; }

    /// <summary>Labels (string values). Sent only when it has entries.</summary>
    public IDictionary<string, string>? Labels { get; set; }

    /// <summary>How its sandboxes' commands run, over the sandbox's own run configuration. Sent only when something is set.</summary>
    public SandboxRunConfig? RunConfig { get; set; }
}

/// <summary>A snapshot name and its tags (<c>GET /snapshots-by-name/{name}</c>).</summary>
public sealed class SandboxSnapshotName
{
    /// <summary>The name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Its tags in tag order; empty when live snapshots of the name exist without tags.</summary>
    public IList<SandboxSnapshotTag> Tags { get; set; } = [];
}

/// <summary>One tag of a snapshot name: <c>name:tag</c> resolves to <see cref="SnapshotId"/>.</summary>
public sealed class SandboxSnapshotTag
{
    /// <summary>The tag.</summary>
    public string Tag { get; set; } = "";

    /// <summary>The snapshot it points at.</summary>
    public string SnapshotId { get; set; } = "";
}

/// <summary>A container registry's address under a name; its credentials stay on the server.</summary>
public sealed class SandboxRegistry : SandboxResource
{
    /// <summary>The address: <c>host[:port][/path]</c>, optionally with a scheme.</summary>
    public string Url { get; set; } = "";

    /// <summary>How the server authenticates (<c>DOCKER_CONFIG</c>: username and password).</summary>
    public string? AuthType { get; set; }

    /// <summary>When it was created (UTC).</summary>
    public DateTimeOffset? CreatedAt { get; set; }

    /// <summary>When it last changed (UTC).</summary>
    public DateTimeOffset? UpdatedAt { get; set; }
}

/// <summary>The body of <c>POST /registries</c>. The password is sent once and never answered.</summary>
public sealed class CreateRegistryRequest
{
    /// <summary>The name (lowercase letters, digits and hyphens).</summary>
    public string Name { get; set; } = "";

    /// <summary>The address: <c>ghcr.io</c>, <c>https://registry.example.com:5000/team</c>.</summary>
    public string Url { get; set; } = "";

    /// <summary>The user name.</summary>
    public string Username { get; set; } = "";

    /// <summary>The password or token.</summary>
    public string Password { get; set; } = "";

    /// <summary>The password is never shown.</summary>
    public override string ToString() => $"{Name} ({Url}, user {Username})";
}

/// <summary>The body of <c>PATCH /registries/{name}</c>: what is not null changes. The password is sent once and never answered.</summary>
public sealed class UpdateRegistryRequest
{
    /// <summary>The new address, or null to keep it.</summary>
    public string? Url { get; set; }

    /// <summary>The new user name, or null to keep it (the server needs it with a new password).</summary>
    public string? Username { get; set; }

    /// <summary>The new password or token, or null to keep it.</summary>
    public string? Password { get; set; }

    /// <summary>True when nothing would change.</summary>
    [JsonIgnore]
    public bool IsEmpty => Url is null && Username is null && Password is null;

    /// <summary>The password is never shown.</summary>
    public override string ToString() => string.Join(", ", new[] { Url is null ? null : "url " + Url, Username is null ? null : "user " + Username, Password is null ? null : "password" }.Where(s => s is not null));
}
