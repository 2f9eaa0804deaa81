namespace Sandbox.Server.State;

public static class SandboxStatus
{
    public const string Provisioning = "provisioning";
    public const string Ready = "ready";
    public const string Failed = "failed";
    public const string Stopped = "stopped";
    public const string Deleting = "deleting";
    public const string Paused = "paused";
    public static readonly string[] All = [Provisioning, Ready, Failed, Stopped, Deleting, Paused];
}

/// <summary>A sandbox as stored. <see cref="LowerDir"/> is fixed at creation so template edits never break it.</summary>
public sealed record SandboxRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string TemplateName { get; init; }
    public required string LowerDir { get; init; }
    public required string Status { get; init; }
    public string? StatusMessage { get; init; }
    public required DateTime CreatedAt { get; init; }
    public required DateTime UpdatedAt { get; init; }
    public long? TtlSeconds { get; init; }
    public long? IdleTtlSeconds { get; init; }
    public DateTime? ExpiresAt { get; init; }
    public string? SnapshotId { get; init; }
    public required int Vcpus { get; init; }
    /// <summary>CPU quota in cores: <see cref="Vcpus"/> when given, else the template's cpu (which may be fractional).</summary>
    public required double CpuLimit { get; init; }
    public required long MemBytes { get; init; }
    public long? FsCapacityBytes { get; init; }
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    /// <summary>Seconds after a stop at which the sandbox is deleted (null or 0: never).</summary>
    public long? DeleteAfterStopSeconds { get; init; }
    /// <summary>When the sandbox last became <c>stopped</c>; null whenever it is not stopped.</summary>
    public DateTime? StoppedAt { get; init; }
    /// <summary>The sandbox's layer of run_config (create, merged by PATCH); null when never given.</summary>
    public RunConfigRecord? RunConfig { get; init; }
}

public sealed record VolumeMount(string VolumeName, string MountPath);

/// <summary>What every named resource row has: an id that never changes, a name that may, and its times.</summary>
public abstract record NamedRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required DateTime CreatedAt { get; init; }
    public required DateTime UpdatedAt { get; init; }
}

public sealed record TemplateRecord : NamedRecord
{
    public required string Image { get; init; }
    public required string Cpu { get; init; }
    public required string Memory { get; init; }
    public string? Storage { get; init; }
    public IReadOnlyList<VolumeMount> VolumeMounts { get; init; } = [];
}

/// <summary>Filters and ordering for listing sandboxes.</summary>
public sealed record SandboxQuery(int Limit, int Offset, string? NameContains, string? Status, string? TemplateName, string SortBy, bool Descending, IReadOnlyList<LabelMatch>? Labels = null);

/// <summary>
/// A page of live snapshots: <see cref="Status"/> is a stored status (one no row has matches none); <see cref="SortBy"/> is
/// name, status or created_at; every one of <see cref="Labels"/> must match.
/// </summary>
public sealed record SnapshotQuery(int Limit, int Offset, string? NameContains, string? Status, string SortBy, bool Descending, IReadOnlyList<LabelMatch>? Labels = null);

/// <summary>One <c>label</c> filter: <c>key</c> (the key is present) or <c>key=value</c> (<see cref="Value"/> set).</summary>
public sealed record LabelMatch(string Key, string? Value);

/// <summary>The SQL of label filters over a table's <c>labels</c> column (a JSON object), every one to match.</summary>
public static class LabelFilter
{
    public static (string Sql, (string, object?)[] Args) Sql(IReadOnlyList<LabelMatch>? labels)
    {
        if (labels is null || labels.Count == 0) return ("", []);
        var sql = new System.Text.StringBuilder();
        var args = new List<(string, object?)>();
        for (var i = 0; i < labels.Count; i++)
        {
            sql.Append($" AND EXISTS (SELECT 1 FROM json_each(labels) WHERE key = $lk{i} AND ($lv{i} IS NULL OR value = $lv{i}))");
            args.Add(($"$lk{i}", labels[i].Key));
            args.Add(($"$lv{i}", labels[i].Value));
        }
        return (sql.ToString(), [.. args]);
    }
}
