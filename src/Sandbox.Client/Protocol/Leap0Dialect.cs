using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sandbox.Client.Protocol;

/// <summary>
/// leap0's sandbox API (<c>/v1</c>, see shared/reference/leap0-api.md): sandboxes keyed by id (the SDK's name is the id),
/// <c>authorization: Bearer</c>, buffered <c>process/execute</c>, the <c>filesystem/read-file</c> and <c>write-file</c>
/// endpoints. Everything leap0's SDK sends goes to the control plane; only invoke and WebSocket URLs use the sandbox
/// domain. Its answers are read into the SDK's models by converters (<see cref="Leap0SandboxConverter"/>), so the
/// resource clients stay protocol-free. What leap0 lacks (pools, volumes, rename, registries, ...) is NotSupported.
/// </summary>
internal sealed class Leap0Dialect(string baseUrl, string? sandboxDomain) : SandboxDialect
{
    private const long MiB = 1L << 20;

    private static readonly JsonSerializerOptions SnakeCase = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        PropertyNameCaseInsensitive = true,
        Converters = { new Leap0SandboxConverter(), new Leap0StatusConverter(), new Leap0PresignedUrlConverter(), new Leap0SnapshotConverter(), new Leap0TemplateConverter() },
    };

    private static readonly object EmptyObject = new();

    // A base given as leap0's SDK takes it (no /v1), or with /v1.
    private readonly string _v1 = (baseUrl.TrimEnd('/') is var b && b.EndsWith("/v1", StringComparison.OrdinalIgnoreCase) ? b[..^3] : b) + "/v1";

    /// <summary>
    /// <c>https://{id}[-{port}].{domain}{path}</c> (<c>wss://</c> for a WebSocket), as leap0's <c>_utils/url.sandbox_base_url</c> builds
    /// it; without a domain, the endpoint's host and port with its own scheme (the local server's one listener).
    /// </summary>
    public override Uri InvokeUrl(string sandboxName, int? port, bool webSocket, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentException.ThrowIfNullOrEmpty(sandboxName);
        if (port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(port), port, "a port is 1-65535");
        var secure = true;
        var domain = sandboxDomain?.Trim().TrimEnd('/');
        if (string.IsNullOrEmpty(domain))
        {
            var endpoint = new Uri(_v1);
            domain = endpoint.Authority;
            secure = endpoint.Scheme == Uri.UriSchemeHttps;
        }
        var scheme = webSocket ? (secure ? "wss" : "ws") : (secure ? "https" : "http");
        var host = port is { } p ? $"{sandboxName}-{p.ToString(CultureInfo.InvariantCulture)}" : sandboxName;
        return new Uri($"{scheme}://{host}.{domain}{(path.StartsWith('/') ? path : "/" + path)}");
    }

    public override JsonSerializerOptions Json => SnakeCase;

    public override string Protocol => "leap0";

    public override bool CreateWaitsForReady => false;

    public override bool HasCommandSocket => false;

    public override (string Name, string Value) AuthHeader(string apiKey) => ("Authorization", "Bearer " + apiKey);

    private string Box(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return _v1 + "/sandbox/" + Uri.EscapeDataString(id);
    }

    /// <summary>Sandboxes, snapshots and templates are leap0 resources; pools, volumes and registries have no counterpart.</summary>
    private void RequireLeap0Kind(SandboxResourceKind kind)
    {
        if (kind is not (SandboxResourceKind.Sandbox or SandboxResourceKind.Snapshot or SandboxResourceKind.Template))
            throw NotSupported(kind.ToString().ToLowerInvariant() + "s");
    }

    // ---------------------------------------------------------------- every named resource

    /// <summary>leap0 gets only a sandbox by its key; snapshots and templates are found in their lists.</summary>
    public override bool GetsByKey(SandboxResourceKind kind) => kind == SandboxResourceKind.Sandbox;

    public override WireRequest Get(SandboxResourceKind kind, string key)
    {
        RequireLeap0Kind(kind);
        if (kind != SandboxResourceKind.Sandbox) throw NotSupported($"getting one {kind.ToString().ToLowerInvariant()} by id (list them by name)");
        return new(HttpMethod.Get, Box(key), Retryable: true);
    }

    /// <summary><c>DELETE /v1/sandbox/{id}</c>, <c>/v1/snapshot/{id}</c>, <c>/v1/template/{id}</c>.</summary>
    public override WireRequest Delete(SandboxResourceKind kind, string key)
    {
        RequireLeap0Kind(kind);
        return new(HttpMethod.Delete, kind switch
        {
            SandboxResourceKind.Snapshot => One("snapshot", key),
            SandboxResourceKind.Template => One("template", key),
            _ => Box(key),
        }, Retryable: true);
    }

    private string One(string noun, string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return _v1 + "/" + noun + "/" + Uri.EscapeDataString(id);
    }

    public override WireRequest Update(SandboxResourceKind kind, string key, object changes)
    {
        RequireLeap0Kind(kind);
        throw NotSupported("changes to a sandbox (time-to-live, network policy)");
    }

    /// <summary>Only templates are renamed: <c>PATCH /v1/template/{id}</c> <c>{name}</c>, answered 204 (see <see cref="RenameAnswersResource"/>).</summary>
    public override WireRequest Rename(SandboxResourceKind kind, string key, string newName) => kind == SandboxResourceKind.Template
        ? new(new HttpMethod("PATCH"), One("template", key), new { name = newName })
        : throw NotSupported("renames (leap0 sandboxes and snapshots have an id only)");

    public override bool RenameAnswersResource => false;

    /// <summary><c>GET /v1/sandboxes?page=&amp;page-size=[&amp;state=]&amp;sort=&amp;order-by=</c>; pages from the query's offset and limit.</summary>
    public override WireRequest List(SandboxResourceKind kind, SandboxPageQuery query)
    {
        RequireLeap0Kind(kind);
        // GET /v1/templates has no paging: the whole list, paged here (ReadPage).
        if (kind == SandboxResourceKind.Template) return new(HttpMethod.Get, _v1 + "/templates", Retryable: true);
        var size = Math.Clamp(query.Limit ?? SandboxDefaults.PageSize, 1, 100);
        var page = (query.Offset ?? 0) / size + 1;
        var url = new StringBuilder(_v1).Append(kind == SandboxResourceKind.Snapshot ? "/snapshots" : "/sandboxes").Append("?page=").Append(page.ToString(CultureInfo.InvariantCulture))
            .Append("&page-size=").Append(size.ToString(CultureInfo.InvariantCulture));
        // GET /v1/snapshots?query= is a part of the name.
        if (kind == SandboxResourceKind.Snapshot && query.NameContains is { Length: > 0 and <= 64 } part) url.Append("&query=").Append(Uri.EscapeDataString(part));
        if (query is SandboxListQuery filters)
        {
            if (filters.Status is { } status) url.Append("&state=").Append(Uri.EscapeDataString(ToState(status)));
            url.Append("&sort=").Append(filters.SortBy == SandboxSortBy.Status ? "state" : "created_at");
            if (filters.Ascending is { } ascending) url.Append("&order-by=").Append(ascending ? "asc" : "desc");
        }
        return new(HttpMethod.Get, url.ToString(), Retryable: true);
    }

    /// <summary><c>{items, total_items}</c>; the next offset is the query's plus the items read.</summary>
    public override SandboxPage<T> ReadPage<T>(SandboxResourceKind kind, JsonElement answer, SandboxPageQuery query)
    {
        var items = answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("items", out var array) && array.ValueKind == JsonValueKind.Array
            ? array.Deserialize<List<T>>(SnakeCase) ?? []
            : [];
        if (kind == SandboxResourceKind.Template) items = items.Skip(query.Offset ?? 0).Take(query.Limit ?? int.MaxValue).ToList();
        return new SandboxPage<T>(items, (query.Offset ?? 0) + items.Count);
    }

    // ---------------------------------------------------------------- creation and changes

    /// <summary>
    /// <c>POST /v1/sandbox</c> in the seed's fields (<c>memory_mib</c>, <c>timeout_min</c>, which leap0 and the local server
    /// still accept): memory rounded up to whole MiB, the time-to-live up to whole minutes. leap0 has no names, no
    /// snapshots to start from in create, no disk size and no idle time-out.
    /// </summary>
    public override WireRequest CreateSandbox(CreateSandboxRequest request)
    {
        if (!string.IsNullOrEmpty(request.Name)) throw NotSupported("sandbox names (leap0 sandboxes have an id only; leave -Name out)");
        if (request.SnapshotId is not null || !string.IsNullOrEmpty(request.SnapshotReference)) return Restore(request);
        if (request.IdleTtlSeconds is not null) throw NotSupported("idle time-outs (use auto-pause)");
        if (request.FsCapacityBytes is not null) throw NotSupported("disk sizes");
        if (request.Labels is { Count: > 0 }) throw NotSupported("labels");
        if (request.RunConfig is { IsEmpty: false }) throw NotSupported("run configurations (user, working directory); pass environment variables instead");
        var body = new Dictionary<string, object>();
        if (!string.IsNullOrEmpty(request.TemplateName)) body["template_name"] = request.TemplateName;
        if (request.Vcpus is { } vcpu) body["vcpu"] = vcpu;
        if (request.MemBytes is { } mem) body["memory_mib"] = (mem + MiB - 1) / MiB;
        if (request.TtlSeconds is { } ttl and > 0) body["timeout_min"] = (ttl + 59) / 60;
        if (request.AutoPause is { } autoPause) body["auto_pause"] = autoPause;
        if (request.Environment is { Count: > 0 } env) body["env_vars"] = env;
        if (request.NetworkPolicy is { } policy) body["network_policy"] = policy;
        return new(HttpMethod.Post, _v1 + "/sandbox", body);
    }

    /// <summary>
    /// A sandbox from a snapshot: <c>POST /v1/snapshot/restore</c> <c>{snapshot_name, timeout?, auto_pause?, network_policy?}</c>
    /// (a new id); the snapshot's template, size and files come with it, so those may not be given.
    /// </summary>
    private WireRequest Restore(CreateSandboxRequest request)
    {
        if (request.Vcpus is not null || request.MemBytes is not null || !string.IsNullOrEmpty(request.TemplateName) || request.Environment is { Count: > 0 })
            throw NotSupported("a template, size or environment for a sandbox restored from a snapshot (it has its snapshot's)");
        var body = new Dictionary<string, object> { ["snapshot_name"] = request.SnapshotReference is { Length: > 0 } reference ? reference : request.SnapshotId! };
        if (request.TtlSeconds is { } ttl and > 0) body["timeout"] = ttl;
        if (request.AutoPause is { } autoPause) body["auto_pause"] = autoPause;
        if (request.NetworkPolicy is { } policy) body["network_policy"] = policy;
        return new(HttpMethod.Post, _v1 + "/snapshot/restore", body);
    }

    /// <summary><c>POST /v1/sandbox/{id}/stop|start|pause</c>; leap0 has no resume call (see <see cref="Wake"/>).</summary>
    public override WireRequest Act(string sandboxName, SandboxAction action) => action == SandboxAction.Resume
        ? throw new InvalidOperationException("leap0 resumes a sandbox on its next request: use Wake")
        : new(HttpMethod.Post, Box(sandboxName) + "/" + action.ToString().ToLowerInvariant(), EmptyObject, Retryable: true);

    /// <summary>A paused leap0 sandbox resumes on any request to it: <c>GET /v1/sandbox/{id}/system/workdir</c> is a harmless one.</summary>
    public override WireRequest? Wake(string sandboxName) => new(HttpMethod.Get, Box(sandboxName) + "/system/workdir", Retryable: true);

    /// <summary>leap0 checks the key before the route: a sandbox that cannot exist answers 404 to a good key, 401/403 to a bad one.</summary>
    public override WireRequest? Probe() => new(HttpMethod.Get, Box("connection-check"), Retryable: true);

    /// <summary>The sandbox itself: its <c>state</c> is the status.</summary>
    public override WireRequest GetStatus(string sandboxName) => new(HttpMethod.Get, Box(sandboxName), Retryable: true);

    public override WireRequest GetMetrics(string sandboxName) => throw NotSupported("metrics");
    /// <summary>
    /// leap0's presigned URL (<c>POST /v1/sandbox/{id}/presigned-url</c> <c>{port, expires_in?}</c>): the token is in the
    /// URL's host, so the URL alone reaches the port. Not retried (each call issues a new token).
    /// </summary>
    public override WireRequest IssueServiceUrl(string sandboxName, int port, long? expiresInSeconds) =>
        new(HttpMethod.Post, Box(sandboxName) + "/presigned-url", expiresInSeconds is null ? new { port } : new { port, expires_in = expiresInSeconds });
    public override WireRequest IssueDownloadLink(string sandboxName, string path, long? expiresInSeconds) => throw NotSupported("download links");
    /// <summary>
    /// <c>POST /v1/template</c> <c>{name, uri}</c>: the image is the uri (a built-in name or, on the local server, a local OCI
    /// layout or archive); leap0 templates carry no resources or volumes (a sandbox gives its own size).
    /// </summary>
    public override WireRequest CreateTemplate(CreateTemplateRequest request)
    {
        if (request.Resources is { Cpu: not null } or { Memory: not null } or { Storage: not null }) throw NotSupported("template resources (give -Vcpu and -MemoryMB to New-Sandbox)");
        if (request.VolumeMounts is { Count: > 0 }) throw NotSupported("volumes");
        return new(HttpMethod.Post, _v1 + "/template", new { name = request.Name, uri = request.Image });
    }
    public override WireRequest CreatePool(CreatePoolRequest request) => throw NotSupported("pools");
    public override WireRequest CreateVolume(string name, string size) => throw NotSupported("volumes");
    public override WireRequest ResizeVolume(string name, string size) => throw NotSupported("volumes");
    /// <summary><c>POST /v1/sandbox/{id}/snapshot/create</c> <c>{name}</c>: answered 201 once stored (ready, no poll). Not retried.</summary>
    public override WireRequest SnapshotSandbox(string sandboxName, CaptureSnapshotRequest request)
    {
        if (request.Labels is { Count: > 0 }) throw NotSupported("snapshot labels");
        if (!string.IsNullOrEmpty(request.Tag) && request.Tag != "latest") throw NotSupported("snapshot tags");
        if (request.RunConfig is { IsEmpty: false }) throw NotSupported("run configurations on snapshots");
        return new(HttpMethod.Post, Box(sandboxName) + "/snapshot/create", new { name = request.Name });
    }

    public override WireRequest ImportSnapshot(CreateImageSnapshotRequest request) => throw NotSupported("snapshots from an image (make a template from it: New-SandboxTemplate)");

    // ---------------------------------------------------------------- process and files (control plane)

    /// <summary><c>POST /v1/sandbox/{id}/process/execute</c> <c>{command, cwd?, timeout, envs?}</c>, run with <c>/bin/sh -c</c>; not retried.</summary>
    public override WireRequest Execute(Sandbox sandbox, CommandRequest request, string commandLine)
    {
        request.Validate();
        if (request.RunConfig is not null) throw NotSupported("run configurations on commands (give the working directory and environment)");
        var body = new Dictionary<string, object>
        {
            ["command"] = commandLine,
            ["timeout"] = (long)Math.Ceiling(request.TimeoutSeconds ?? SandboxDefaults.CommandTimeoutSeconds),
        };
        if (!string.IsNullOrEmpty(request.WorkingDirectory)) body["cwd"] = SandboxDefaults.ToAbsoluteWorkingDirectory(request.WorkingDirectory);
        if (request.Environment is { Count: > 0 } env) body["envs"] = env;
        return new(HttpMethod.Post, Box(sandbox.Name) + "/process/execute", body);
    }

    public override ExecuteResult ReadExecuteResult(JsonElement answer) =>
        answer.Deserialize<ExecuteResult>(SnakeCase) ?? throw new SandboxApiException("the server sent an empty answer to process/execute", null, "InvalidResponse");

    /// <summary><c>POST /v1/sandbox/{id}/filesystem/write-file?path=</c> with the raw bytes (no multipart field).</summary>
    public override (string Url, string? Field) Upload(Sandbox sandbox, string path) =>
        (Box(sandbox.Name) + "/filesystem/write-file?path=" + Uri.EscapeDataString(SandboxDefaults.ToAbsoluteWorkingDirectory(path)), null);

    /// <summary><c>POST /v1/sandbox/{id}/filesystem/read-file</c> <c>{path}</c>: a read, so safe to repeat.</summary>
    public override WireRequest Download(Sandbox sandbox, string path) =>
        new(HttpMethod.Post, Box(sandbox.Name) + "/filesystem/read-file", new { path = SandboxDefaults.ToAbsoluteWorkingDirectory(path) }, Retryable: true);

    public override WireRequest Stat(Sandbox sandbox, string path) => throw NotSupported("file information without reading the file (HEAD)");

    // ---------------------------------------------------------------- terminal sessions (/pty)

    public override bool HasTerminalSessions => true;

    /// <summary>
    /// <c>POST /v1/sandbox/{id}/pty</c> <c>{cols, rows, cwd?, envs?}</c>: the session runs the sandbox's shell, so only the
    /// login shell can be asked for (<see cref="SandboxDefaults.LoginShellCommand"/>), and as the sandbox's user.
    /// </summary>
    public override WireRequest CreateTerminalSession(Sandbox sandbox, CommandRequest request)
    {
        request.Validate();
        if (request.Command != SandboxDefaults.LoginShellCommand) throw NotSupported("commands on a terminal other than the shell (leave the command out to get the sandbox's shell)");
        if (request.RunConfig is not null) throw NotSupported("run configurations on terminals (give the working directory and environment)");
        var size = request.Terminal ?? new TerminalSize(80, 24);
        var body = new Dictionary<string, object> { ["cols"] = size.Columns, ["rows"] = size.Rows };
        if (!string.IsNullOrEmpty(request.WorkingDirectory)) body["cwd"] = SandboxDefaults.ToAbsoluteWorkingDirectory(request.WorkingDirectory);
        if (request.Environment is { Count: > 0 } env) body["envs"] = env;
        return new(HttpMethod.Post, Box(sandbox.Name) + "/pty", body);
    }

    /// <summary><c>ws(s)://{base}/v1/sandbox/{id}/pty/{sid}/connect</c>, on the control plane as leap0's SDK connects.</summary>
    public override Uri TerminalSessionSocket(Sandbox sandbox, string sessionId)
    {
        var builder = new UriBuilder(Box(sandbox.Name) + "/pty/" + Uri.EscapeDataString(sessionId) + "/connect");
        builder.Scheme = builder.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        return builder.Uri;
    }

    public override WireRequest ResizeTerminalSession(Sandbox sandbox, string sessionId, TerminalSize size) =>
        new(HttpMethod.Post, Box(sandbox.Name) + "/pty/" + Uri.EscapeDataString(sessionId) + "/resize", new { cols = size.Columns, rows = size.Rows }, Retryable: true);

    public override WireRequest DeleteTerminalSession(Sandbox sandbox, string sessionId) =>
        new(HttpMethod.Delete, Box(sandbox.Name) + "/pty/" + Uri.EscapeDataString(sessionId), Retryable: true);

    public override Uri CommandSocket(Sandbox sandbox) => throw NotSupported("streamed commands (leap0 runs commands buffered)");
    public override object ExecuteFrame(CommandRequest request, string commandId) => throw NotSupported("streamed commands");
    public override object InputFrame(string data, bool eof) => throw NotSupported("standard input to a running command");
    public override object KillFrame() => throw NotSupported("killing a running command");
    public override object CloseStdinFrame() => throw NotSupported("standard input to a running command");
    public override object ResizeFrame(TerminalSize size) => throw NotSupported("terminals on the command socket (leap0 has PTY sessions; Enter-Sandbox does not use them yet)");
    public override object ReconnectFrame(string commandId, long stdoutOffset, long stderrOffset) => throw NotSupported("reconnecting to a command");
    public override CommandFrame? ReadFrame(ReadOnlySpan<byte> message) => null;

    // ---------------------------------------------------------------- states

    /// <summary>leap0's state as the SDK's status: <c>starting</c>/<c>unpausing</c> are provisioning, <c>running</c> is ready.</summary>
    internal static string ToStatus(string? state) => state switch
    {
        "starting" or "unpausing" => SandboxStatus.Provisioning,
        "running" => SandboxStatus.Ready,
        "paused" or "snapshotting" => SandboxStatus.Paused,
        "stopping" or "stopped" => SandboxStatus.Stopped,
        "deleting" or "deleted" => SandboxStatus.Deleting,
        null => "",
        _ => state,
    };

    /// <summary>The SDK's status as leap0's state filter (a leap0 state passes through).</summary>
    internal static string ToState(string status) => status switch
    {
        SandboxStatus.Provisioning => "starting",
        SandboxStatus.Ready => "running",
        _ => status,
    };

    /// <summary>Reads leap0's sandbox (<c>id, template_id, vcpu, memory|memory_mib, disk|disk_mib, timeout, state, ...</c>) as a <see cref="Sandbox"/>.</summary>
    private sealed class Leap0SandboxConverter : Leap0Converter<Sandbox>
    {
        protected override Sandbox Read(JsonElement root)
        {
            var e = root;
            var id = Str(e, "id") ?? "";
            return new Sandbox
            {
                Id = id,
                Name = id,
                TemplateName = Str(e, "template_id"),
                Status = ToStatus(Str(e, "state")),
                Vcpus = Num(e, "vcpu") is { } v ? (int)v : null,
                MemBytes = (Num(e, "memory") ?? Num(e, "memory_mib")) * MiB,
                FsCapacityBytes = (Num(e, "disk") ?? Num(e, "disk_mib")) * MiB,
                TtlSeconds = Num(e, "timeout") is { } t and > 0 ? t : null,
                AutoPause = e.TryGetProperty("auto_pause", out var ap) && ap.ValueKind is JsonValueKind.True or JsonValueKind.False ? ap.GetBoolean() : null,
                CreatedAt = Date(e, "created_at"),
                ExpiresAt = Date(e, "timeout_at"),
                NetworkPolicy = e.TryGetProperty("network_policy", out var np) && np.ValueKind == JsonValueKind.Object ? np.Deserialize<SandboxNetworkPolicy>(SnakeCase) : null,
            };
        }
    }

    /// <summary>A status poll reads the sandbox's <c>state</c>.</summary>
    private sealed class Leap0StatusConverter : Leap0Converter<SandboxStatusInfo>
    {
        protected override SandboxStatusInfo Read(JsonElement root)
        {
            return new SandboxStatusInfo { Status = ToStatus(Str(root, "state")) };
        }
    }

    /// <summary>A presigned URL <c>{id, token, url, sandbox_id, port, expires_at}</c> as a service URL (the URL is both forms).</summary>
    private sealed class Leap0PresignedUrlConverter : Leap0Converter<SandboxServiceUrl>
    {
        protected override SandboxServiceUrl Read(JsonElement root)
        {
            var e = root;
            var url = Str(e, "url") ?? "";
            return new SandboxServiceUrl { ServiceUrl = url, BrowserUrl = url, Token = Str(e, "token") ?? "", ExpiresAt = Date(e, "expires_at") ?? default };
        }
    }

    /// <summary>leap0's snapshot <c>{id, name, template_id, vcpu, memory, disk, created_at}</c>: stored, so ready.</summary>
    private sealed class Leap0SnapshotConverter : Leap0Converter<SandboxSnapshot>
    {
        protected override SandboxSnapshot Read(JsonElement root)
        {
            var e = root;
            return new SandboxSnapshot
            {
                Id = Str(e, "id") ?? "",
                Name = Str(e, "name") ?? "",
                Status = SandboxSnapshotStatus.Ready,
                FsCapacityBytes = Num(e, "disk") * MiB,
                CreatedAt = Date(e, "created_at"),
                Labels = new Dictionary<string, string> { ["template_id"] = Str(e, "template_id") ?? "", ["vcpu"] = $"{Num(e, "vcpu")}", ["memory_mib"] = $"{Num(e, "memory")}" },
            };
        }
    }

    /// <summary>leap0's template <c>{id, name, digest, image_config, is_system, created_at}</c>; the image is its name (leap0 keeps no uri).</summary>
    private sealed class Leap0TemplateConverter : Leap0Converter<SandboxTemplate>
    {
        protected override SandboxTemplate Read(JsonElement root)
        {
            var e = root;
            return new SandboxTemplate { Id = Str(e, "id") ?? "", Name = Str(e, "name") ?? "", Image = Str(e, "digest") is { Length: > 0 } d ? d : Str(e, "name") ?? "", CreatedAt = Date(e, "created_at") };
        }
    }

    /// <summary>Reads a leap0 answer into an SDK model; writes the model in the SDK's own shape (leap0 never receives one).</summary>
    private abstract class Leap0Converter<T> : JsonConverter<T>
    {
        protected abstract T Read(JsonElement root);

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var doc = JsonDocument.ParseValue(ref reader);
            return Read(doc.RootElement);
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value, PlainOptions);
    }

    private static readonly JsonSerializerOptions PlainOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Num(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;

    private static DateTimeOffset? Date(JsonElement e, string name) => Str(e, name) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d : null;
}
