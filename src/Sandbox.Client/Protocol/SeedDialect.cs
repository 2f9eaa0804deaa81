using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sandbox.Client.Protocol;

/// <summary>
/// The LangSmith sandbox API, seed generation (<c>/v2/sandboxes</c>: <c>boxes</c>, <c>templates</c>, <c>snapshots</c>,
/// <c>pools</c>, <c>volumes</c>; dataplane <c>/execute</c>, <c>/execute/ws</c>, <c>/upload</c>, <c>/download</c>), with the
/// local server's extensions (pause, resume, metrics, network policy, image snapshots). See docs/sandbox-api.md.
/// </summary>
internal sealed class SeedDialect(string controlPlaneBaseUrl) : SandboxDialect
{
    private static readonly JsonSerializerOptions SnakeCase = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        PropertyNameCaseInsensitive = true,
    };

    private static readonly object EmptyObject = new();

    public override JsonSerializerOptions Json => SnakeCase;

    /// <summary>The collection's path segment and the list answer's array property.</summary>
    private static (string Path, string Plural) Route(SandboxResourceKind kind) => kind switch
    {
        SandboxResourceKind.Sandbox => ("boxes", "sandboxes"),
        SandboxResourceKind.Template => ("templates", "templates"),
        SandboxResourceKind.Snapshot => ("snapshots", "snapshots"),
        SandboxResourceKind.Pool => ("pools", "pools"),
        SandboxResourceKind.Volume => ("volumes", "volumes"),
        SandboxResourceKind.Registry => ("registries", "registries"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Each kind's collection URL, built once (a GET is the hot path).</summary>
    private readonly string[] _collections = Enum.GetValues<SandboxResourceKind>().Select(k => controlPlaneBaseUrl + "/" + Route(k).Path).ToArray();

    private string Collection(SandboxResourceKind kind) => _collections[(int)kind];

    private string Item(SandboxResourceKind kind, string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return Collection(kind) + "/" + Uri.EscapeDataString(key);
    }

    private string Box(string name) => Item(SandboxResourceKind.Sandbox, name);

    // ---------------------------------------------------------------- every named resource

    public override WireRequest Get(SandboxResourceKind kind, string key) => new(HttpMethod.Get, Item(kind, key), Retryable: true);

    public override WireRequest Delete(SandboxResourceKind kind, string key) => new(HttpMethod.Delete, Item(kind, key), Retryable: true);

    public override WireRequest Update(SandboxResourceKind kind, string key, object changes) => new(HttpMethod.Patch, Item(kind, key), changes);

    public override WireRequest Rename(SandboxResourceKind kind, string key, string newName)
    {
        if (kind == SandboxResourceKind.Snapshot) throw new SandboxNotSupportedException("snapshots cannot be renamed", null);
        return new(HttpMethod.Patch, Item(kind, key), new Dictionary<string, string> { ["name"] = newName });
    }

    public override WireRequest List(SandboxResourceKind kind, SandboxPageQuery query)
    {
        var url = new StringBuilder(Collection(kind));
        var sep = '?';
        void Add(string key, string? value)
        {
            if (value is null) return;
            url.Append(sep).Append(key).Append('=').Append(Uri.EscapeDataString(value));
            sep = '&';
        }
        Add("limit", query.Limit?.ToString(CultureInfo.InvariantCulture));
        Add("offset", query.Offset?.ToString(CultureInfo.InvariantCulture));
        Add("name_contains", string.IsNullOrEmpty(query.NameContains) ? null : query.NameContains);
        if (query.Labels is { Count: > 0 } labels)
        {
            if (kind is not (SandboxResourceKind.Sandbox or SandboxResourceKind.Snapshot))
                throw new ArgumentException($"label filters apply to sandboxes and snapshots only, not to {Route(kind).Path}", nameof(query));
            foreach (var (key, value) in labels) Add("label", value is null ? key : key + "=" + value);
        }
        if (query is SandboxListQuery filters)
        {
            if (kind != SandboxResourceKind.Sandbox && filters.HasSandboxFilters)
                throw new ArgumentException($"the status, template and sort filters apply to sandboxes only, not to {Route(kind).Path}", nameof(query));
            Add("status", filters.Status);
            Add("template_name", filters.TemplateName);
            Add("sort_by", filters.SortBy switch
            {
                null => null,
                SandboxSortBy.Name => "name",
                SandboxSortBy.Status => "status",
                SandboxSortBy.TemplateName => "template_name",
                _ => "created_at",
            });
            Add("sort_direction", filters.Ascending switch { null => null, true => "asc", false => "desc" });
        }
        return new(HttpMethod.Get, url.ToString(), Retryable: true);
    }

    /// <summary><c>{"&lt;plural&gt;": [...], "offset": n}</c>; a missing offset is the query's plus the items read.</summary>
    public override SandboxPage<T> ReadPage<T>(SandboxResourceKind kind, JsonElement answer, SandboxPageQuery query)
    {
        var isObject = answer.ValueKind == JsonValueKind.Object;
        var items = isObject && answer.TryGetProperty(Route(kind).Plural, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.Deserialize<List<T>>(SnakeCase) ?? []
            : [];
        var next = isObject && answer.TryGetProperty("offset", out var o) && o.TryGetInt32(out var n) ? n : (query.Offset ?? 0) + items.Count;
        return new SandboxPage<T>(items, next);
    }

    // ---------------------------------------------------------------- creation and changes

    public override WireRequest CreateSandbox(CreateSandboxRequest request) => new(HttpMethod.Post, Collection(SandboxResourceKind.Sandbox), new CreateSandboxRequest
    {
        TemplateName = request.TemplateName,
        Name = string.IsNullOrEmpty(request.Name) ? null : request.Name,
        WaitForReady = request.WaitForReady,
        Timeout = request.Timeout,
        TtlSeconds = request.TtlSeconds,
        IdleTtlSeconds = request.IdleTtlSeconds,
        Vcpus = request.Vcpus,
        MemBytes = request.MemBytes,
        FsCapacityBytes = request.FsCapacityBytes,
        SnapshotId = request.SnapshotId,
        SnapshotReference = string.IsNullOrEmpty(request.SnapshotReference) ? null : request.SnapshotReference,
        DeleteAfterStopSeconds = request.DeleteAfterStopSeconds,
        RunConfig = request.RunConfig is { IsEmpty: false } runConfig ? WireRunConfig(runConfig) : null,
        Labels = request.Labels is { Count: > 0 } labels ? labels : null,
        Environment = request.Environment is { Count: > 0 } env ? env : null,
        AutoPause = request.AutoPause,
        NetworkPolicy = request.NetworkPolicy,
    });

    /// <summary>A run_config as sent: empty variables are left out.</summary>
    private static SandboxRunConfig WireRunConfig(SandboxRunConfig runConfig) => new()
    {
        User = runConfig.User,
        WorkingDirectory = runConfig.WorkingDirectory,
        Environment = runConfig.Environment is { Count: > 0 } env ? env : null,
    };

    /// <summary>A command's older <c>env</c>/<c>cwd</c>, or its <c>run_config</c> (never both: the server answers 400).</summary>
    private static void AddCommandContext(Dictionary<string, object> body, CommandRequest request)
    {
        request.Validate();
        if (request.RunConfig is not null)
        {
            body["run_config"] = WireRunConfig(request.RunConfig);
            return;
        }
        if (request.Environment is { Count: > 0 } env) body["env"] = env;
        if (!string.IsNullOrEmpty(request.WorkingDirectory)) body["cwd"] = request.WorkingDirectory;
    }

    /// <summary><c>POST /boxes/{name}/stop|start|pause|resume</c>: idempotent, so retried.</summary>
    public override WireRequest Act(string sandboxName, SandboxAction action) =>
        new(HttpMethod.Post, Box(sandboxName) + "/" + action.ToString().ToLowerInvariant(), EmptyObject, Retryable: true);

    public override WireRequest GetStatus(string sandboxName) => new(HttpMethod.Get, Box(sandboxName) + "/status", Retryable: true);

    public override WireRequest GetMetrics(string sandboxName) => new(HttpMethod.Get, Box(sandboxName) + "/metrics", Retryable: true);

    /// <summary>Not retried: each call issues a new token.</summary>
    public override WireRequest IssueServiceUrl(string sandboxName, int port, long? expiresInSeconds) =>
        new(HttpMethod.Post, Box(sandboxName) + "/service-url", expiresInSeconds is null ? new { port } : new { port, expires_in_seconds = expiresInSeconds });

    /// <summary>Not retried: each call issues a new token (the current generation's <c>download-url</c>).</summary>
    public override WireRequest IssueDownloadLink(string sandboxName, string path, long? expiresInSeconds) =>
        new(HttpMethod.Post, Box(sandboxName) + "/download-url", expiresInSeconds is null ? new { path } : new { path, expires_in_seconds = expiresInSeconds });

    public override WireRequest CreateTemplate(CreateTemplateRequest request) => new(HttpMethod.Post, Collection(SandboxResourceKind.Template), new CreateTemplateRequest
    {
        Name = request.Name,
        Image = request.Image,
        Resources = request.Resources,
        VolumeMounts = request.VolumeMounts is { Count: > 0 } mounts ? mounts : null,
    });

    public override WireRequest CreatePool(CreatePoolRequest request) => new(HttpMethod.Post, Collection(SandboxResourceKind.Pool), request);

    public override WireRequest CreateVolume(string name, string size) =>
        new(HttpMethod.Post, Collection(SandboxResourceKind.Volume), new { name, size, wait_for_ready = true });

    public override WireRequest ResizeVolume(string name, string size) => new(HttpMethod.Patch, Item(SandboxResourceKind.Volume, name), new { size });

    public override WireRequest SnapshotSandbox(string sandboxName, CaptureSnapshotRequest request) =>
        new(HttpMethod.Post, Box(sandboxName) + "/snapshot", new CaptureSnapshotRequest
        {
            Name = request.Name,
            Tag = string.IsNullOrEmpty(request.Tag) ? null : request.Tag,
            Labels = request.Labels is { Count: > 0 } labels ? labels : null,
            RunConfig = request.RunConfig is { IsEmpty: false } runConfig ? WireRunConfig(runConfig) : null,
        });

    public override WireRequest ImportSnapshot(CreateImageSnapshotRequest request) => new(HttpMethod.Post, Collection(SandboxResourceKind.Snapshot), new CreateImageSnapshotRequest
    {
        Name = request.Name,
        DockerImage = request.DockerImage,
        FsCapacityBytes = request.FsCapacityBytes,
        Tag = string.IsNullOrEmpty(request.Tag) ? null : request.Tag,
        Labels = request.Labels is { Count: > 0 } labels ? labels : null,
        RegistryId = string.IsNullOrEmpty(request.RegistryId) ? null : request.RegistryId,
        RunConfig = request.RunConfig is { IsEmpty: false } runConfig ? WireRunConfig(runConfig) : null,
    });

    public override WireRequest CreateRegistry(CreateRegistryRequest request) => new(HttpMethod.Post, Collection(SandboxResourceKind.Registry), request);

    /// <summary><c>GET /snapshots-by-name/{name}</c> beside the collection.</summary>
    public override WireRequest SnapshotTags(string name) =>
        new(HttpMethod.Get, controlPlaneBaseUrl + "/snapshots-by-name/" + Uri.EscapeDataString(name), Retryable: true);

    // ---------------------------------------------------------------- dataplane

    private static string Dataplane(Sandbox sandbox, string path)
    {
        if (string.IsNullOrEmpty(sandbox.DataplaneUrl))
            throw new SandboxApiException($"sandbox '{sandbox.Name}' has no dataplane URL (status {sandbox.Status}); get it again once it is ready", null, "NotReady") { TargetName = sandbox.Name };
        return sandbox.DataplaneUrl.TrimEnd('/') + path;
    }

    /// <summary><c>POST {dataplane}/execute</c>; not retried (a command is not safe to repeat).</summary>
    public override WireRequest Execute(Sandbox sandbox, CommandRequest request, string commandLine)
    {
        var body = new Dictionary<string, object>
        {
            ["command"] = commandLine,
            ["timeout"] = request.TimeoutSeconds ?? SandboxDefaults.CommandTimeoutSeconds,
            ["shell"] = request.Shell ?? SandboxDefaults.Shell,
        };
        AddCommandContext(body, request);
        return new(HttpMethod.Post, Dataplane(sandbox, "/execute"), body);
    }

    public override ExecuteResult ReadExecuteResult(JsonElement answer) =>
        answer.Deserialize<ExecuteResult>(SnakeCase) ?? throw new SandboxApiException("the server sent an empty answer to POST /execute", null, "InvalidResponse");

    public override (string Url, string? Field) Upload(Sandbox sandbox, string path) => (Dataplane(sandbox, "/upload?path=" + Uri.EscapeDataString(path)), "file");

    public override WireRequest Download(Sandbox sandbox, string path) => new(HttpMethod.Get, Dataplane(sandbox, "/download?path=" + Uri.EscapeDataString(path)), Retryable: true);

    public override WireRequest Glob(Sandbox sandbox, SandboxGlobRequest request) =>
        new(HttpMethod.Post, Dataplane(sandbox, "/glob"), new { pattern = request.Pattern, path = request.Path, limit = request.Limit }, Retryable: true);

    public override WireRequest Grep(Sandbox sandbox, SandboxGrepRequest request) =>
        new(HttpMethod.Post, Dataplane(sandbox, "/grep"), new { pattern = request.Pattern, path = request.Path, glob = request.Glob, limit = request.Limit }, Retryable: true);

    public override Uri CommandSocket(Sandbox sandbox)
    {
        var builder = new UriBuilder(Dataplane(sandbox, "/execute/ws"));
        builder.Scheme = builder.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        return builder.Uri;
    }

    public override object ExecuteFrame(CommandRequest request, string commandId)
    {
        var frame = new Dictionary<string, object>
        {
            ["type"] = "execute",
            ["command"] = request.Command,
            ["timeout_seconds"] = request.TimeoutSeconds ?? SandboxDefaults.CommandTimeoutSeconds,
            ["shell"] = request.Shell ?? SandboxDefaults.Shell,
            ["idle_timeout_seconds"] = 300,
            ["kill_on_disconnect"] = false,
            ["ttl_seconds"] = 600,
            ["command_id"] = commandId,
        };
        AddCommandContext(frame, request);
        if (request.CloseStdin) frame["close_stdin"] = true;
        if (request.Terminal is { } size)
        {
            frame["pty"] = true;
            frame["cols"] = size.Columns;
            frame["rows"] = size.Rows;
        }
        return frame;
    }

    public override object InputFrame(string data, bool eof) => eof
        ? new Dictionary<string, object> { ["type"] = "input", ["data"] = data, ["eof"] = true }
        : new Dictionary<string, object> { ["type"] = "input", ["data"] = data };

    public override object KillFrame() => new Dictionary<string, object> { ["type"] = "kill" };

    public override object CloseStdinFrame() => new Dictionary<string, object> { ["type"] = "close_stdin" };

    public override object ResizeFrame(TerminalSize size) =>
        new Dictionary<string, object> { ["type"] = "resize", ["cols"] = size.Columns, ["rows"] = size.Rows };

    public override object ReconnectFrame(string commandId, long stdoutOffset, long stderrOffset) => new Dictionary<string, object>
    {
        ["type"] = "reconnect",
        ["command_id"] = commandId,
        ["stdout_offset"] = stdoutOffset,
        ["stderr_offset"] = stderrOffset,
    };

    public override CommandFrame? ReadFrame(ReadOnlySpan<byte> message)
    {
        try
        {
            var reader = new Utf8JsonReader(message);
            string? type = null, data = null, errorType = null, error = null;
            long? offset = null;
            int? exitCode = null, pid = null;
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "type" when reader.TokenType == JsonTokenType.String: type = reader.GetString(); break;
                    case "data" when reader.TokenType == JsonTokenType.String: data = reader.GetString(); break;
                    case "offset" when reader.TokenType == JsonTokenType.Number: offset = reader.GetInt64(); break;
                    case "exit_code" when reader.TokenType == JsonTokenType.Number: exitCode = reader.GetInt32(); break;
                    case "pid" when reader.TokenType == JsonTokenType.Number: pid = reader.GetInt32(); break;
                    case "error_type" when reader.TokenType == JsonTokenType.String: errorType = reader.GetString(); break;
                    case "error" when reader.TokenType == JsonTokenType.String: error = reader.GetString(); break;
                    default: reader.Skip(); break;
                }
            }
            return type is null ? null : new CommandFrame(type, data, offset, exitCode, pid, errorType, error);
        }
        catch (JsonException)
        {
            return null; // Not ours to understand: ignore, as unknown frame types are ignored.
        }
    }
}
