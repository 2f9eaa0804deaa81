using System.Text.Json;

namespace Sandbox.Client.Protocol;

/// <summary>The kinds of resource the control plane keeps, as a dialect routes them.</summary>
internal enum SandboxResourceKind
{
    Sandbox,
    Template,
    Snapshot,
    Pool,
    Volume,
    Registry,
}

/// <summary>The lifecycle actions on one sandbox.</summary>
internal enum SandboxAction
{
    Stop,
    Start,
    Pause,
    Resume,
}

/// <summary>
/// One HTTP request as a dialect describes it: method, absolute URL, JSON body (serialized with the dialect's
/// <see cref="SandboxDialect.Json"/>), and whether it is safe to repeat (then <see cref="SandboxRetryHandler"/> retries it).
/// </summary>
internal readonly record struct WireRequest(HttpMethod Method, string Url, object? Body = null, bool Retryable = false)
{
    /// <summary>"GET /boxes/x", for messages.</summary>
    public string Describe() => $"{Method} {new Uri(Url).AbsolutePath}";
}

/// <summary>One frame of the command WebSocket, as a dialect reads it (<see cref="Type"/>: started, stdout, stderr, exit, error, ...).</summary>
internal sealed record CommandFrame(string Type, string? Data, long? Offset, int? ExitCode, int? Pid, string? ErrorType, string? Error);

/// <summary>
/// The wire knowledge of one protocol generation: paths, query strings, JSON bodies and answers, WebSocket frames.
/// The resource clients ask it what to send and how to read what comes back, and own everything else (time-outs,
/// retries through the pipeline, paging, wildcard lookup, polling, errors), so a new generation (the LangSmith current
/// generation, leap0 /v1) is a new dialect rather than a branch in every method. <see cref="SeedDialect"/> is the first.
/// </summary>
internal abstract class SandboxDialect
{
    /// <summary>The one place a connection's protocol is chosen (LangSmith's generations differ per resource, see <see cref="SandboxApiGeneration"/>).</summary>
    public static SandboxDialect For(SandboxConnectionSettings settings, SandboxClientOptions options) => options.Provider switch
    {
        SandboxProvider.Leap0 => new Leap0Dialect(settings.Endpoint, options.SandboxDomain),
        _ => new SeedDialect(settings.ControlPlaneBaseUrl),
    };

    /// <summary>The serializer settings of bodies and answers.</summary>
    public abstract JsonSerializerOptions Json { get; }

    /// <summary>The protocol's name in "not supported by this endpoint (...)" messages.</summary>
    public virtual string Protocol => "LangSmith";

    /// <summary>Whether create waits for the sandbox itself (LangSmith's <c>wait_for_ready</c>); otherwise the client polls.</summary>
    public virtual bool CreateWaitsForReady => true;

    /// <summary>Whether commands can stream over a WebSocket; otherwise they run buffered (<see cref="Execute"/>).</summary>
    public virtual bool HasCommandSocket => true;

    /// <summary>The header that carries the API key (LangSmith's <c>X-Api-Key</c>).</summary>
    public virtual (string Name, string Value) AuthHeader(string apiKey) => ("X-Api-Key", apiKey);

    /// <summary>The URL of a port of the sandbox, without a token (leap0's <c>invoke_url</c>, <c>websocket_url</c>).</summary>
    public virtual Uri InvokeUrl(string sandboxName, int? port, bool webSocket, string path) => throw NotSupported("invoke URLs without a token (use a service URL)");

    /// <summary>A cheap request that proves the endpoint and the key, answered 404 when they are good; null: list one template.</summary>
    public virtual WireRequest? Probe() => null;

    /// <summary>A request that wakes a paused sandbox when the protocol has no resume call of its own; null: use <see cref="Act"/>.</summary>
    public virtual WireRequest? Wake(string sandboxName) => null;

    // ---------------------------------------------------------------- every named resource

    /// <summary>Gets one resource by its key (a name; a snapshot's id).</summary>
    public abstract WireRequest Get(SandboxResourceKind kind, string key);

    /// <summary>Whether <see cref="Get"/> serves <paramref name="kind"/>; if not, a name without wildcards is found in the list.</summary>
    public virtual bool GetsByKey(SandboxResourceKind kind) => true;

    /// <summary>Whether a rename answers the renamed resource; if not (leap0's 204), the client finds it under its new name.</summary>
    public virtual bool RenameAnswersResource => true;

    /// <summary>Deletes one resource by its key.</summary>
    public abstract WireRequest Delete(SandboxResourceKind kind, string key);

    /// <summary>Changes one resource (<see cref="UpdateSandboxRequest"/>, <see cref="UpdatePoolRequest"/>); not retried.</summary>
    public abstract WireRequest Update(SandboxResourceKind kind, string key, object changes);

    /// <summary>Renames one resource.</summary>
    public abstract WireRequest Rename(SandboxResourceKind kind, string key, string newName);

    /// <summary>One page of a list; a <see cref="SandboxListQuery"/>'s filters apply to sandboxes only.</summary>
    public abstract WireRequest List(SandboxResourceKind kind, SandboxPageQuery query);

    /// <summary>The items of a list answer and the offset of the next page.</summary>
    public abstract SandboxPage<T> ReadPage<T>(SandboxResourceKind kind, JsonElement answer, SandboxPageQuery query);

    // ---------------------------------------------------------------- creation and changes

    public abstract WireRequest CreateSandbox(CreateSandboxRequest request);
    public abstract WireRequest Act(string sandboxName, SandboxAction action);
    public abstract WireRequest GetStatus(string sandboxName);
    public abstract WireRequest GetMetrics(string sandboxName);
    public abstract WireRequest IssueServiceUrl(string sandboxName, int port, long? expiresInSeconds);
    public abstract WireRequest IssueDownloadLink(string sandboxName, string path, long? expiresInSeconds);
    public abstract WireRequest CreateTemplate(CreateTemplateRequest request);
    public abstract WireRequest CreatePool(CreatePoolRequest request);
    public abstract WireRequest CreateVolume(string name, string size);
    public abstract WireRequest ResizeVolume(string name, string size);
    public abstract WireRequest SnapshotSandbox(string sandboxName, CaptureSnapshotRequest request);
    public abstract WireRequest ImportSnapshot(CreateImageSnapshotRequest request);

    /// <summary>Stores a registry's credentials (the current generation's <c>POST /registries</c>); not retried.</summary>
    public virtual WireRequest CreateRegistry(CreateRegistryRequest request) => throw NotSupported("registries");

    /// <summary>True when terminals are sessions of their own (leap0's <c>/pty</c>), false when they are commands on the exec WebSocket's <c>pty</c> mode.</summary>
    public virtual bool HasTerminalSessions => false;

    /// <summary>Creates a terminal session running the sandbox's shell with the request's size, directory and variables.</summary>
    public virtual WireRequest CreateTerminalSession(Sandbox sandbox, CommandRequest request) => throw NotSupported("terminal sessions");

    /// <summary>The WebSocket of a terminal session.</summary>
    public virtual Uri TerminalSessionSocket(Sandbox sandbox, string sessionId) => throw NotSupported("terminal sessions");

    /// <summary>Resizes a terminal session.</summary>
    public virtual WireRequest ResizeTerminalSession(Sandbox sandbox, string sessionId, TerminalSize size) => throw NotSupported("terminal sessions");

    /// <summary>Deletes a terminal session (its shell ends).</summary>
    public virtual WireRequest DeleteTerminalSession(Sandbox sandbox, string sessionId) => throw NotSupported("terminal sessions");

    /// <summary>The tags of a snapshot name (the current generation's <c>/snapshots-by-name/{name}</c>).</summary>
    public virtual WireRequest SnapshotTags(string name) => throw NotSupported("snapshot tags");

    /// <summary>What a dialect answers for an operation its protocol does not have.</summary>
    private protected SandboxNotSupportedException NotSupported(string what) =>
        new($"{what} are not supported by this endpoint ({Protocol})", null, "NotSupported");

    // ---------------------------------------------------------------- dataplane

    /// <summary>Runs a command to its end and answers its buffered output (read with <see cref="ReadExecuteResult"/>).</summary>
    public abstract WireRequest Execute(Sandbox sandbox, CommandRequest request, string commandLine);

    /// <summary>The buffered result of <see cref="Execute"/>.</summary>
    public abstract ExecuteResult ReadExecuteResult(JsonElement answer);

    /// <summary>Where an upload goes and the multipart field that carries the bytes (null: the bytes are the raw body).</summary>
    public abstract (string Url, string? Field) Upload(Sandbox sandbox, string path);

    /// <summary>Reads a file; safe to repeat.</summary>
    public abstract WireRequest Download(Sandbox sandbox, string path);

    /// <summary>A file's length and validators without its bytes (the current generation's <c>HEAD</c> of the download).</summary>
    public virtual WireRequest Stat(Sandbox sandbox, string path) => Download(sandbox, path) with { Method = HttpMethod.Head };

    /// <summary>Finds entries by a glob pattern (the current generation's <c>POST /glob</c>; read-only, so retried).</summary>
    public virtual WireRequest Glob(Sandbox sandbox, SandboxGlobRequest request) => throw NotSupported("glob searches");

    /// <summary>Finds lines holding literal text (the current generation's <c>POST /grep</c>; read-only, so retried).</summary>
    public virtual WireRequest Grep(Sandbox sandbox, SandboxGrepRequest request) => throw NotSupported("grep searches");

    /// <summary>The command WebSocket's address.</summary>
    public abstract Uri CommandSocket(Sandbox sandbox);

    public abstract object ExecuteFrame(CommandRequest request, string commandId);
    public abstract object InputFrame(string data, bool eof);
    public abstract object KillFrame();

    /// <summary>Half-closes the command's stdin (the current generation's <c>close_stdin</c> frame); input sent before it is read first.</summary>
    public abstract object CloseStdinFrame();

    /// <summary>A terminal's new size (the local server's <c>resize</c> frame; see docs/local-server.md).</summary>
    public abstract object ResizeFrame(TerminalSize size);
    public abstract object ReconnectFrame(string commandId, long stdoutOffset, long stderrOffset);

    /// <summary>One received frame, or null when it is not one this dialect understands (ignored, as unknown frames are).</summary>
    public abstract CommandFrame? ReadFrame(ReadOnlySpan<byte> message);
}

/// <summary>The buffered result of a command, as the dialect read it (truncation fields are the local server's).</summary>
internal sealed class ExecuteResult
{
    public string? Stdout { get; set; }
    public string? Stderr { get; set; }
    public int ExitCode { get; set; }
    public bool StdoutTruncated { get; set; }
    public bool StderrTruncated { get; set; }
    public long? StdoutBytes { get; set; }
    public long? StderrBytes { get; set; }
}
