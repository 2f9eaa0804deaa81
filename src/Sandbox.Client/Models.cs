using System.Text.Json.Serialization;

namespace Sandbox.Client;

/// <summary>The sandbox statuses of the wire API (strings, so that a newer server's statuses still parse).</summary>
public static class SandboxStatus
{
    /// <summary>Being created or started.</summary>
    public const string Provisioning = "provisioning";
    /// <summary>Running and accepting commands.</summary>
    public const string Ready = "ready";
    /// <summary>Failed to start; see the status message.</summary>
    public const string Failed = "failed";
    /// <summary>Stopped; the filesystem is kept.</summary>
    public const string Stopped = "stopped";
    /// <summary>Being deleted.</summary>
    public const string Deleting = "deleting";
    /// <summary>Frozen with its memory kept (local server extension).</summary>
    public const string Paused = "paused";

    /// <summary>Every status the wire API names.</summary>
    public static IReadOnlyList<string> All { get; } = [Provisioning, Ready, Failed, Stopped, Deleting, Paused];

    /// <summary>A status, or leap0's name of one (<c>starting</c>, <c>running</c>, <c>stopping</c>, ...), as the SDK's status.</summary>
    public static string Normalize(string statusOrState) => Protocol.Leap0Dialect.ToStatus(statusOrState.ToLowerInvariant());
}

/// <summary>
/// What names the template a new sandbox can be made from (a template, a sandbox, a pool). PowerShell binds a pipeline
/// object to a parameter of this type only when the object is one (it cannot make an interface out of a table row),
/// which is what lets the module tell a piped resource, whose own name is not the new sandbox's, from an Import-Csv row.
/// </summary>
public interface ISandboxTemplateReference
{
    /// <summary>The template's name (null when the resource has none).</summary>
    string? TemplateName { get; }
}

/// <summary>A sandbox as the control plane reports it.</summary>
public sealed class Sandbox : SandboxResource, ISandboxTemplateReference
{
    /// <summary>The same as <see cref="SandboxResource.Name"/>, for pipeline binding to parameters named <c>SandboxName</c>.</summary>
    [JsonIgnore]
    public string SandboxName => Name;

    /// <summary>The template it was created from.</summary>
    public string? TemplateName { get; set; }

    /// <summary>The base URL of its dataplane (execute, upload, download).</summary>
    public string? DataplaneUrl { get; set; }

    /// <summary>One of <see cref="SandboxStatus"/>.</summary>
    public string Status { get; set; } = "";

    /// <summary>Why it is in its status (e.g. the failure), when the server says.</summary>
    public string? StatusMessage { get; set; }

    /// <summary>When it was created (UTC).</summary>
    public DateTimeOffset? CreatedAt { get; set; }

    /// <summary>When it last changed (UTC).</summary>
    public DateTimeOffset? UpdatedAt { get; set; }

    /// <summary>Its time to live in seconds; null or 0 when it lives until deleted.</summary>
    public long? TtlSeconds { get; set; }

    /// <summary>How long it may be idle, in seconds; null or 0 disables.</summary>
    public long? IdleTtlSeconds { get; set; }

    /// <summary>When it expires (UTC), if it has a time to live.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>The snapshot it was created from, if any.</summary>
    public string? SnapshotId { get; set; }

    /// <summary>Seconds after a stop when the sandbox is deleted; null or 0 keeps a stopped sandbox.</summary>
    public long? DeleteAfterStopSeconds { get; set; }

    /// <summary>When it was last stopped (UTC); null unless it is stopped.</summary>
    public DateTimeOffset? StoppedAt { get; set; }

    /// <summary>The user, working directory and environment its commands run with (null when it has none of its own).</summary>
    public SandboxRunConfig? RunConfig { get; set; }

    /// <summary>Its labels (empty when none, or when the server does not report them).</summary>
    public IDictionary<string, string>? Labels { get; set; }

    /// <summary>Virtual CPUs.</summary>
    public int? Vcpus { get; set; }

    /// <summary>Memory limit in bytes.</summary>
    public long? MemBytes { get; set; }

    /// <summary>Filesystem capacity in bytes.</summary>
    public long? FsCapacityBytes { get; set; }

    /// <summary>Extension: the outbound network policy (local server; null when the server does not report one).</summary>
    public SandboxNetworkPolicy? NetworkPolicy { get; set; }

    /// <summary>Whether the sandbox pauses instead of ending when its time-out passes (leap0's <c>auto_pause</c>), when the server says.</summary>
    public bool? AutoPause { get; set; }

    /// <summary>Memory limit in MiB (<see cref="MemBytes"/> / 1 MiB), for display.</summary>
    [JsonIgnore]
    public long? MemoryMB => MemBytes / (1024 * 1024);

    /// <summary>True when <see cref="Status"/> is <c>ready</c>.</summary>
    [JsonIgnore]
    public bool IsReady => Status == SandboxStatus.Ready;

    /// <summary>The endpoint of the connection that returned it (set by the client; not on the wire).</summary>
    [JsonIgnore]
    public string? Endpoint { get; set; }
}

/// <summary>The answer of <c>GET /boxes/{name}/status</c>.</summary>
public sealed class SandboxStatusInfo
{
    /// <summary>One of <see cref="SandboxStatus"/>.</summary>
    public string Status { get; set; } = "";

    /// <summary>Why, when the server says.</summary>
    public string? StatusMessage { get; set; }
}

/// <summary>
/// How commands run (<c>run_config</c> on the wire): their user, working directory and extra environment. On a sandbox it
/// applies to every command; on a command it is layered over the sandbox's (user and directory replace, variables merge).
/// </summary>
public sealed class SandboxRunConfig
{
    /// <summary>The user: a name, a uid, <c>name:group</c> or <c>uid:gid</c>, resolved in the sandbox's own <c>/etc/passwd</c>; root when null.</summary>
    public string? User { get; set; }

    /// <summary>The working directory, an absolute path (<c>work_dir</c> on the wire); <c>/home/user</c> when null.</summary>
    [JsonPropertyName("work_dir")]
    public string? WorkingDirectory { get; set; }

    /// <summary>Environment variables (<c>env_vars</c> on the wire).</summary>
    [JsonPropertyName("env_vars")]
    public IDictionary<string, string>? Environment { get; set; }

    /// <summary>True when nothing is set.</summary>
    [JsonIgnore]
    public bool IsEmpty => User is null && WorkingDirectory is null && Environment is not { Count: > 0 };

    /// <summary><c>user=… dir=… env=A,B</c> with what is set (variables by name only: their values may be secrets).</summary>
    public override string ToString() => string.Join(" ", new[]
    {
        User is null ? null : "user=" + User,
        WorkingDirectory is null ? null : "dir=" + WorkingDirectory,
        Environment is { Count: > 0 } env ? "env=" + string.Join(",", env.Keys.Order(StringComparer.Ordinal)) : null,
    }.Where(p => p is not null));
}

/// <summary>
/// The body of <c>POST /boxes</c>. Null fields are not sent; the <c>env</c> extension only when it has entries. At most
/// one source (<see cref="TemplateName"/>, <see cref="SnapshotId"/>, <see cref="SnapshotReference"/>); with none the
/// server boots its default (the local server: the built-in <c>python</c> snapshot).
/// </summary>
public sealed class CreateSandboxRequest
{
    /// <summary>The template (older generation; at most one source).</summary>
    public string? TemplateName { get; set; }

    /// <summary>The name; the server generates one when null.</summary>
    public string? Name { get; set; }

    /// <summary>Whether the server answers only once the sandbox is ready (default true).</summary>
    public bool WaitForReady { get; set; } = true;

    /// <summary>Seconds the server waits for readiness (1-600; server default 30).</summary>
    public double? Timeout { get; set; }

    /// <summary>Time to live in seconds (a multiple of the server's granularity, 0 disables).</summary>
    public long? TtlSeconds { get; set; }

    /// <summary>Idle time to live in seconds (a multiple of the server's granularity, 0 disables).</summary>
    public long? IdleTtlSeconds { get; set; }

    /// <summary>Virtual CPUs.</summary>
    public int? Vcpus { get; set; }

    /// <summary>Memory limit in bytes.</summary>
    public long? MemBytes { get; set; }

    /// <summary>Filesystem capacity in bytes.</summary>
    public long? FsCapacityBytes { get; set; }

    /// <summary>The id of a snapshot to start from (at most one source).</summary>
    public string? SnapshotId { get; set; }

    /// <summary>A snapshot to start from by id or <c>name[:tag]</c> (<c>snapshot</c> on the wire, current generation; at most one source).</summary>
    [JsonPropertyName("snapshot")]
    public string? SnapshotReference { get; set; }

    /// <summary>Seconds after a stop when the sandbox is deleted (a multiple of the server's granularity, 0 disables).</summary>
    public long? DeleteAfterStopSeconds { get; set; }

    /// <summary>The user, working directory and environment of every command (<c>run_config</c>). Sent only when something is set.</summary>
    public SandboxRunConfig? RunConfig { get; set; }

    /// <summary>Labels (string values). Sent only when it has entries.</summary>
    public IDictionary<string, string>? Labels { get; set; }

    /// <summary>Extension: environment variables for every command in the sandbox. Sent only when it has entries.</summary>
    [JsonPropertyName("env")]
    public IDictionary<string, string>? Environment { get; set; }

    /// <summary>Extension: at <see cref="TtlSeconds"/> expiry pause the sandbox instead of deleting it. Sent only when set.</summary>
    public bool? AutoPause { get; set; }

    /// <summary>Extension: the outbound network policy. Sent only when set (the local server's default is deny-all).</summary>
    public SandboxNetworkPolicy? NetworkPolicy { get; set; }
}

/// <summary>The body of <c>PATCH /boxes/{name}</c>: only the fields that are set are sent.</summary>
public sealed class UpdateSandboxRequest
{
    /// <summary>A new name.</summary>
    public string? Name { get; set; }

    /// <summary>A new time to live in seconds (expiry is recomputed from now; 0 disables).</summary>
    public long? TtlSeconds { get; set; }

    /// <summary>A new idle time to live in seconds (0 disables).</summary>
    public long? IdleTtlSeconds { get; set; }

    /// <summary>New seconds after a stop when the sandbox is deleted (0 disables; counted from a stop already made).</summary>
    public long? DeleteAfterStopSeconds { get; set; }

    /// <summary>Changes to the sandbox's run_config for later commands: user and directory replace, variables merge.</summary>
    public SandboxRunConfig? RunConfig { get; set; }

    /// <summary>Extension: a new outbound network policy (see <see cref="SandboxesClient.SetNetworkPolicyAsync"/>).</summary>
    public SandboxNetworkPolicy? NetworkPolicy { get; set; }
}

/// <summary>Sort keys of <c>GET /boxes</c>.</summary>
public enum SandboxSortBy
{
    /// <summary><c>created_at</c> (the server's default).</summary>
    CreatedAt,
    /// <summary><c>name</c>.</summary>
    Name,
    /// <summary><c>status</c>.</summary>
    Status,
    /// <summary><c>template_name</c>.</summary>
    TemplateName,
}

/// <summary>One page of a list of any resource: its size, start and name filter.</summary>
public class SandboxPageQuery
{
    /// <summary>Page size (1-1000); the server's default (100) when null.</summary>
    public int? Limit { get; set; }

    /// <summary>Where the page starts.</summary>
    public int? Offset { get; set; }

    /// <summary>Only names containing this text.</summary>
    public string? NameContains { get; set; }

    /// <summary>
    /// Only resources with these labels (sandboxes and snapshots; wire <c>label=key</c> or <c>label=key=value</c>, all must
    /// match): a key whose value is null must be present with any value, else it must have that value.
    /// </summary>
    public IDictionary<string, string?>? Labels { get; set; }

    /// <summary>Whether <paramref name="labels"/> (a resource's) satisfy <see cref="Labels"/>; true when there are no label filters.</summary>
    public bool MatchesLabels(IDictionary<string, string>? labels) =>
        Labels is null || Labels.All(f => labels is not null && labels.TryGetValue(f.Key, out var v) && (f.Value is null || f.Value == v));

    /// <summary>A copy (of the same type).</summary>
    public SandboxPageQuery Clone() => (SandboxPageQuery)MemberwiseClone();
}

/// <summary>The query of a sandbox list: filters and sorting (sandboxes only) besides the page.</summary>
public sealed class SandboxListQuery : SandboxPageQuery
{
    /// <summary>Only this status (one of <see cref="SandboxStatus"/>).</summary>
    public string? Status { get; set; }

    /// <summary>Only sandboxes of this template.</summary>
    public string? TemplateName { get; set; }

    /// <summary>The sort key; the server's default (created_at) when null.</summary>
    public SandboxSortBy? SortBy { get; set; }

    /// <summary>Ascending when true, descending when false; the server's default (descending) when null.</summary>
    public bool? Ascending { get; set; }

    internal bool HasSandboxFilters => Status is not null || TemplateName is not null || SortBy is not null || Ascending is not null;
}

/// <summary>What every named resource has (sandbox, template, snapshot, pool, volume): its UUID and its name.</summary>
public abstract class SandboxResource
{
    /// <summary>The UUID (the key in a snapshot's URLs, and what creating a sandbox from a snapshot takes).</summary>
    public string Id { get; set; } = "";

    /// <summary>The name: the key in URLs of all but snapshots (and the property callers bind on).</summary>
    public string Name { get; set; } = "";

    /// <summary>The name.</summary>
    public override string ToString() => Name;
}

/// <summary>One page of a list.</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Items">The items of this page.</param>
/// <param name="NextOffset">The offset of the next page, as the server reports it.</param>
public sealed record SandboxPage<T>(IReadOnlyList<T> Items, int NextOffset);

/// <summary>A template's resources, as Kubernetes quantities.</summary>
public sealed class TemplateResources
{
    /// <summary>CPU, e.g. <c>500m</c>, <c>1</c>, <c>2</c>.</summary>
    public string? Cpu { get; set; }

    /// <summary>Memory, e.g. <c>512Mi</c>, <c>1Gi</c>.</summary>
    public string? Memory { get; set; }

    /// <summary>Storage, e.g. <c>2Gi</c> (optional).</summary>
    public string? Storage { get; set; }

    /// <summary>A compact form: <c>cpu=1 memory=512Mi</c>.</summary>
    public override string ToString() => $"cpu={Cpu} memory={Memory}" + (Storage is null ? "" : $" storage={Storage}");
}

/// <summary>A volume mounted into a template's sandboxes.</summary>
public sealed class VolumeMount
{
    /// <summary>The volume's name.</summary>
    public string VolumeName { get; set; } = "";

    /// <summary>Where it is mounted inside the sandbox.</summary>
    public string MountPath { get; set; } = "";
}

/// <summary>A sandbox template.</summary>
public sealed class SandboxTemplate : SandboxResource, ISandboxTemplateReference
{
    /// <summary>The same as <see cref="SandboxResource.Name"/>, for pipeline binding to a <c>-Template</c> parameter aliased <c>TemplateName</c>.</summary>
    [JsonIgnore]
    public string TemplateName => Name;

    /// <summary>The image: <c>host</c>, <c>rootfs:/absolute/path</c>, or an image reference on hosted servers.</summary>
    public string Image { get; set; } = "";

    /// <summary>CPU, memory and storage.</summary>
    public TemplateResources Resources { get; set; } = new();

    /// <summary>Volumes mounted into its sandboxes.</summary>
    public IReadOnlyList<VolumeMount> VolumeMounts { get; set; } = [];

    /// <summary>When it was created (UTC).</summary>
    public DateTimeOffset? CreatedAt { get; set; }

    /// <summary>When it last changed (UTC).</summary>
    public DateTimeOffset? UpdatedAt { get; set; }
}

/// <summary>The body of <c>POST /templates</c>.</summary>
public sealed class CreateTemplateRequest
{
    /// <summary>The name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The image.</summary>
    public string Image { get; set; } = "";

    /// <summary>CPU and memory (required by the API).</summary>
    public TemplateResources Resources { get; set; } = new();

    /// <summary>Volumes to mount; not sent when null or empty.</summary>
    public IList<VolumeMount>? VolumeMounts { get; set; }
}

/// <summary>A command to run in a sandbox, for <c>POST /execute</c> and the WebSocket.</summary>
public sealed class CommandRequest
{
    /// <summary>Creates a request.</summary>
    public CommandRequest()
    {
    }

    /// <summary>Creates a request for <paramref name="command"/>.</summary>
    public CommandRequest(string command) => Command = command;

    /// <summary>The command line, run as <c>{Shell} -c {Command}</c>.</summary>
    public string Command { get; set; } = "";

    /// <summary>Seconds before the command is killed; <see cref="SandboxDefaults.CommandTimeoutSeconds"/> when null.</summary>
    public double? TimeoutSeconds { get; set; }

    /// <summary>The shell; <c>/bin/bash</c> (the server's default) when null.</summary>
    public string? Shell { get; set; }

    /// <summary>Extra environment variables for this command.</summary>
    public IDictionary<string, string>? Environment { get; set; }

    /// <summary>The working directory (relative paths are relative to <c>/home/user</c>).</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>
    /// The user, working directory and environment of this command (<c>run_config</c>), layered over the sandbox's. Not
    /// together with <see cref="Environment"/> or <see cref="WorkingDirectory"/> (the older forms): put them in here.
    /// </summary>
    public SandboxRunConfig? RunConfig { get; set; }

    /// <summary>
    /// Streamed commands: the command's stdin is empty from the start (<c>close_stdin</c>), so a read sees end-of-file at
    /// once; nothing can be written to it. Not together with <see cref="Stdin"/>.
    /// </summary>
    public bool CloseStdin { get; set; }

    /// <summary>Text written to the command's standard input, which is then closed. Null leaves stdin to the session's writer.</summary>
    public string? Stdin { get; set; }

    /// <summary>The WebSocket command id; the client generates one when null (so that it can reconnect at any time).</summary>
    public string? CommandId { get; set; }

    /// <summary>
    /// Runs the command on a pseudo-terminal of this size (<c>"pty": true</c>) instead of pipes: all output arrives as
    /// stdout (what the terminal shows), input is typed (<c>"\u0003"</c> is Ctrl+C) and
    /// <see cref="SandboxCommandSession.ResizeAsync"/> changes the size. Needs the WebSocket. Not together with
    /// <see cref="Stdin"/> or <see cref="CloseStdin"/>.
    /// </summary>
    public TerminalSize? Terminal { get; set; }

    /// <summary>Refuses a request the server would (400): <see cref="RunConfig"/> with the older environment or directory, or input with <see cref="CloseStdin"/>.</summary>
    internal void Validate()
    {
        if (RunConfig is not null && (Environment is { Count: > 0 } || !string.IsNullOrEmpty(WorkingDirectory)))
            throw new ArgumentException("a command takes either RunConfig or Environment/WorkingDirectory, not both: put the environment and directory into RunConfig", nameof(RunConfig));
        if (CloseStdin && Stdin is not null)
            throw new ArgumentException("CloseStdin and Stdin exclude each other", nameof(CloseStdin));
        if (Terminal is not null && (CloseStdin || Stdin is not null))
            throw new ArgumentException("a terminal (Terminal) takes typed input: not together with Stdin or CloseStdin", nameof(Terminal));
    }

    /// <summary>A copy with other standard input (and no command id).</summary>
    internal CommandRequest WithStdin(string? stdin)
    {
        var copy = (CommandRequest)MemberwiseClone();
        copy.Stdin = stdin;
        copy.CommandId = null;
        return copy;
    }
}

/// <summary>A terminal's size in character cells, each 1 to <see cref="Max"/>.</summary>
public sealed record TerminalSize
{
    /// <summary>The largest width or height a server accepts.</summary>
    public const int Max = 1000;

    /// <summary>Creates a size.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value outside 1 to <see cref="Max"/>.</exception>
    public TerminalSize(int columns, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(columns, Max);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, Max);
        (Columns, Rows) = (columns, rows);
    }

    /// <summary>Width in characters.</summary>
    public int Columns { get; }

    /// <summary>Height in lines.</summary>
    public int Rows { get; }
}

/// <summary>The buffered result of a command. A non-zero exit code is a result, not an error.</summary>
public sealed class CommandResult
{
    /// <summary>The sandbox the command ran in.</summary>
    public string Sandbox { get; init; } = "";

    /// <summary>The command line.</summary>
    public string Command { get; init; } = "";

    /// <summary>The exit code (128 + signal when killed by a signal).</summary>
    public int ExitCode { get; init; }

    /// <summary>Everything written to standard output.</summary>
    public string Stdout { get; init; } = "";

    /// <summary>Everything written to standard error.</summary>
    public string Stderr { get; init; } = "";

    /// <summary>
    /// True when <see cref="Stdout"/> holds only the first part of what the command wrote: a buffered
    /// <c>POST /execute</c> answer is cut at the server's per-stream limit (the local server: 4 MiB by default,
    /// <c>stdout_truncated</c> on the wire). Stream the command (<see cref="SandboxHandle.StartCommandAsync(CommandRequest, System.Threading.CancellationToken)"/>) to get all of it.
    /// False when the server does not say (hosted endpoints).
    /// </summary>
    public bool StdoutTruncated { get; init; }

    /// <summary>True when <see cref="Stderr"/> holds only the first part of what the command wrote (see <see cref="StdoutTruncated"/>).</summary>
    public bool StderrTruncated { get; init; }

    /// <summary>Bytes the command wrote to standard output, kept or not; null when the server does not say.</summary>
    public long? StdoutBytes { get; init; }

    /// <summary>Bytes the command wrote to standard error, kept or not; null when the server does not say.</summary>
    public long? StderrBytes { get; init; }

    /// <summary>How long the call took, as the client measured it.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>True when <see cref="ExitCode"/> is 0.</summary>
    public bool Succeeded => ExitCode == 0;

    /// <summary>The standard output without its trailing line breaks (<c>.Output -eq 'Python 3.11.2'</c>); <see cref="Stdout"/> keeps them.</summary>
    public string Output => Stdout.TrimEnd('\n', '\r');

    /// <summary>The standard output.</summary>
    public override string ToString() => Stdout;
}

/// <summary>Which output stream a chunk came from.</summary>
public enum CommandStream
{
    /// <summary>Standard output.</summary>
    Stdout,
    /// <summary>Standard error.</summary>
    Stderr,
}

/// <summary>A piece of a command's output as it arrived.</summary>
/// <param name="Stream">Standard output or standard error.</param>
/// <param name="Data">The text.</param>
/// <param name="Offset">The byte offset of <paramref name="Data"/> in its stream.</param>
public sealed record CommandOutputChunk(CommandStream Stream, string Data, long Offset);

/// <summary>One line of a command's output (without its line ending).</summary>
/// <param name="Stream">Standard output or standard error.</param>
/// <param name="Text">The line, without <c>\n</c> or <c>\r\n</c>.</param>
public sealed record CommandOutputLine(CommandStream Stream, string Text);

/// <summary>The answer to an upload.</summary>
public sealed class UploadResult
{
    /// <summary>The absolute path written inside the sandbox.</summary>
    public string Path { get; set; } = "";

    /// <summary>Bytes written.</summary>
    public long Written { get; set; }
}
