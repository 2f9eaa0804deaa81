using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sandbox.Client;

/// <summary>
/// One client for the sandbox control plane (sandboxes, templates) and each sandbox's dataplane (commands, files).
/// Thread-safe; create one per connection and reuse it. Every call takes a <see cref="CancellationToken"/> and has a time-out;
/// failures are <see cref="SandboxApiException"/>s. Safe requests are retried per <see cref="SandboxClientOptions.Retry"/>.
/// </summary>
public sealed partial class SandboxClient : IDisposable
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        PropertyNameCaseInsensitive = true,
    };

    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json") { CharSet = "utf-8" };
    private readonly HttpClient _http;
    private readonly string _boxes;
    private readonly string _templates;

    /// <summary>Creates a client for the given settings.</summary>
    /// <param name="settings">The endpoint and key (see <see cref="SandboxConnectionSettings.Resolve"/>).</param>
    /// <param name="options">Time-outs, retries and transport; defaults when null.</param>
    public SandboxClient(SandboxConnectionSettings settings, SandboxClientOptions? options = null)
    {
        Settings = settings ?? throw new ArgumentNullException(nameof(settings));
        Options = options ?? new SandboxClientOptions();
        var handler = Options.Handler ?? new SocketsHttpHandler
        {
            ConnectTimeout = Options.ConnectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
            UseCookies = false,
        };
        // Retries live in the pipeline, in front of the transport (ours, or the one the options give, which is not ours to dispose).
        _http = new HttpClient(new SandboxRetryHandler(Options) { InnerHandler = handler }, disposeHandler: Options.Handler is null) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.TryParseAdd(Options.UserAgent);
        if (Settings.ApiKey is not null) _http.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", Settings.ApiKey);
        _boxes = Settings.ControlPlaneBaseUrl + "/boxes";
        _templates = Settings.ControlPlaneBaseUrl + "/templates";
    }

    /// <summary>Creates a client through the configuration chain (explicit values, environment, local server).</summary>
    /// <param name="endpoint">An explicit endpoint, or null.</param>
    /// <param name="apiKey">An explicit key, or null.</param>
    /// <param name="options">Client options.</param>
    /// <param name="environment">Where variables and files are read from; the process by default.</param>
    public static SandboxClient Create(string? endpoint = null, string? apiKey = null, SandboxClientOptions? options = null, SandboxEnvironment? environment = null) =>
        new(SandboxConnectionSettings.Resolve(endpoint, apiKey, environment), options);

    /// <summary>The endpoint and key in use.</summary>
    public SandboxConnectionSettings Settings { get; }

    /// <summary>The options in use.</summary>
    public SandboxClientOptions Options { get; }

    /// <summary>Releases the connections.</summary>
    public void Dispose() => _http.Dispose();

    // ---------------------------------------------------------------- sandboxes

    /// <summary>Creates a sandbox (<c>POST /boxes</c>). Not retried (not safe to repeat).</summary>
    /// <param name="request">What to create; <see cref="CreateSandboxRequest.Environment"/> is sent only when it has entries.</param>
    /// <param name="timeout">The call's time-out; by default the server-side wait plus a margin.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The sandbox: ready, or provisioning when <see cref="CreateSandboxRequest.WaitForReady"/> is false.</returns>
    /// <exception cref="SandboxTimeoutException">Not ready within the server-side time-out (408 <c>SandboxTimeout</c>; it keeps booting).</exception>
    public async Task<Sandbox> CreateSandboxAsync(CreateSandboxRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.TemplateName is null && request.SnapshotId is null)
            throw new ArgumentException("a template name or a snapshot id is required", nameof(request));
        var wire = new CreateSandboxRequest
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
            Environment = request.Environment is { Count: > 0 } env ? env : null,
            AutoPause = request.AutoPause,
            NetworkPolicy = request.NetworkPolicy,
        };
        var callTimeout = timeout ?? (request.WaitForReady
            ? Max(Options.DefaultTimeout, TimeSpan.FromSeconds(request.Timeout ?? SandboxDefaults.CreateTimeoutSeconds) + SandboxDefaults.ServerWaitMargin)
            : Options.DefaultTimeout);
        return Stamp(await SendJsonAsync<Sandbox>(HttpMethod.Post, _boxes, wire, retryable: false, request.Name ?? request.TemplateName, callTimeout, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Gets a sandbox by name (<c>GET /boxes/{name}</c>).</summary>
    /// <exception cref="SandboxNotFoundException">No such sandbox.</exception>
    public async Task<Sandbox> GetSandboxAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Stamp(await SendJsonAsync<Sandbox>(HttpMethod.Get, BoxUrl(name), null, retryable: true, name, timeout, cancellationToken).ConfigureAwait(false));

    /// <summary>Lists one page of sandboxes (<c>GET /boxes</c>) with the query's filters.</summary>
    public async Task<SandboxPage<Sandbox>> ListSandboxesAsync(SandboxListQuery? query = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        query ??= new SandboxListQuery();
        var url = new StringBuilder(_boxes);
        var sep = '?';
        void Add(string key, string? value)
        {
            if (value is null) return;
            url.Append(sep).Append(key).Append('=').Append(Uri.EscapeDataString(value));
            sep = '&';
        }
        Add("limit", query.Limit?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("offset", query.Offset?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("name_contains", string.IsNullOrEmpty(query.NameContains) ? null : query.NameContains);
        Add("status", query.Status);
        Add("template_name", query.TemplateName);
        Add("sort_by", query.SortBy switch
        {
            null => null,
            SandboxSortBy.Name => "name",
            SandboxSortBy.Status => "status",
            SandboxSortBy.TemplateName => "template_name",
            _ => "created_at",
        });
        Add("sort_direction", query.Ascending switch { null => null, true => "asc", false => "desc" });
        var page = await SendJsonAsync<SandboxListResponse>(HttpMethod.Get, url.ToString(), null, retryable: true, null, timeout, cancellationToken).ConfigureAwait(false);
        var items = page.Sandboxes ?? [];
        foreach (var s in items) Stamp(s);
        return new SandboxPage<Sandbox>(items, page.Offset ?? (query.Offset ?? 0) + items.Count);
    }

    /// <summary>
    /// Every sandbox matching the query's filters, page by page (following the response's <c>offset</c>), in the server's order.
    /// Stops when a page is empty, shorter than the page size, or the offset does not advance.
    /// </summary>
    public async IAsyncEnumerable<Sandbox> ListAllSandboxesAsync(SandboxListQuery? query = null, TimeSpan? timeout = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var q = query?.Clone() ?? new SandboxListQuery();
        q.Limit ??= SandboxDefaults.PageSize;
        q.Offset ??= 0;
        // Bounded: each page must advance the offset, and 1,000,000 sandboxes is far beyond any server's list.
        for (var pages = 0; pages < 1_000_000 / q.Limit.Value + 1; pages++)
        {
            var page = await ListSandboxesAsync(q, timeout, cancellationToken).ConfigureAwait(false);
            foreach (var s in page.Items) yield return s;
            if (page.Items.Count == 0 || page.Items.Count < q.Limit || page.NextOffset <= q.Offset) yield break;
            q.Offset = page.NextOffset;
        }
    }

    /// <summary>
    /// How a name pattern is read: null, empty or <c>*</c> lists every sandbox; a name without wildcards is fetched
    /// directly (throws <see cref="SandboxNotFoundException"/> when it does not exist); a wildcard pattern lists with
    /// <c>name_contains</c> set to the pattern's longest literal and matches locally (no match is an empty list, not an error).
    /// Status and template filters apply in every case.
    /// </summary>
    /// <param name="namePattern">A name or a wildcard pattern (see <see cref="SandboxWildcard"/>).</param>
    /// <param name="status">Only this status.</param>
    /// <param name="templateName">Only this template.</param>
    /// <param name="timeout">Time-out of each underlying request.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<IReadOnlyList<Sandbox>> FindSandboxesAsync(string? namePattern = null, string? status = null, string? templateName = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var pattern = string.IsNullOrEmpty(namePattern) ? null : SandboxWildcard.Parse(namePattern);
        if (pattern is { HasWildcards: false })
        {
            var one = await GetSandboxAsync(pattern.LiteralText!, timeout, cancellationToken).ConfigureAwait(false);
            return (status is null || one.Status == status) && (templateName is null || one.TemplateName == templateName) ? [one] : [];
        }
        var query = new SandboxListQuery
        {
            NameContains = pattern?.LongestLiteral is { Length: > 0 } literal ? literal : null,
            Status = status,
            TemplateName = templateName,
            SortBy = SandboxSortBy.Name,
            Ascending = true,
        };
        var result = new List<Sandbox>();
        await foreach (var s in ListAllSandboxesAsync(query, timeout, cancellationToken).ConfigureAwait(false))
            if (pattern is null || pattern.IsMatch(s.Name)) result.Add(s);
        return result;
    }

    /// <summary>Changes a sandbox's name or time-to-live settings (<c>PATCH /boxes/{name}</c>). Not retried.</summary>
    /// <exception cref="SandboxNameConflictException">The new name is taken.</exception>
    public async Task<Sandbox> UpdateSandboxAsync(string name, UpdateSandboxRequest update, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        return Stamp(await SendJsonAsync<Sandbox>(HttpMethod.Patch, BoxUrl(name), update, retryable: false, name, timeout, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Renames a sandbox (<c>PATCH /boxes/{name}</c> with <c>name</c>).</summary>
    /// <exception cref="SandboxNameConflictException">The new name is taken.</exception>
    public Task<Sandbox> RenameSandboxAsync(string name, string newName, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(newName);
        return UpdateSandboxAsync(name, new UpdateSandboxRequest { Name = newName }, timeout, cancellationToken);
    }

    /// <summary>Deletes a sandbox (<c>DELETE /boxes/{name}</c>); retried as a safe request.</summary>
    /// <exception cref="SandboxNotFoundException">No such sandbox.</exception>
    public Task DeleteSandboxAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SendNoContentAsync(HttpMethod.Delete, BoxUrl(name), name, timeout, cancellationToken);

    /// <summary>Gets a sandbox's status (<c>GET /boxes/{name}/status</c>).</summary>
    public Task<SandboxStatusInfo> GetSandboxStatusAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SendJsonAsync<SandboxStatusInfo>(HttpMethod.Get, BoxUrl(name) + "/status", null, retryable: true, name, timeout, cancellationToken);

    /// <summary>Stops a sandbox: every process ends, the filesystem is kept (<c>POST /boxes/{name}/stop</c>; idempotent, so retried).</summary>
    public async Task<Sandbox> StopSandboxAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Stamp(await SendJsonAsync<Sandbox>(HttpMethod.Post, BoxUrl(name) + "/stop", EmptyObject, retryable: true, name, timeout, cancellationToken).ConfigureAwait(false));

    /// <summary>Starts a stopped sandbox (<c>POST /boxes/{name}/start</c>; idempotent, so retried).</summary>
    public async Task<Sandbox> StartSandboxAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Stamp(await SendJsonAsync<Sandbox>(HttpMethod.Post, BoxUrl(name) + "/start", EmptyObject, retryable: true, name, timeout, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Polls a sandbox's status until it is <c>ready</c>, then returns it. Polls start at <see cref="SandboxClientOptions.PollInterval"/>
    /// and grow to <see cref="SandboxClientOptions.MaxPollInterval"/>.
    /// </summary>
    /// <param name="name">The sandbox.</param>
    /// <param name="timeout">The deadline; <see cref="SandboxDefaults.WaitTimeout"/> when null.</param>
    /// <param name="progress">Receives each polled status (for <c>Write-Progress</c>).</param>
    /// <param name="cancellationToken">Cancels the wait at once.</param>
    /// <exception cref="SandboxTimeoutException">Not ready by the deadline.</exception>
    /// <exception cref="SandboxFailedException">The sandbox reached <c>failed</c>.</exception>
    /// <exception cref="SandboxApiException">The sandbox is stopped, paused or being deleted (error type <c>NotReady</c>): it will not become ready by itself.</exception>
    public async Task<Sandbox> WaitForSandboxAsync(string name, TimeSpan? timeout = null, IProgress<SandboxStatusInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? SandboxDefaults.WaitTimeout;
        var deadline = DateTime.UtcNow + limit;
        var interval = Options.PollInterval;
        // Bounded by the deadline: every round waits at least PollInterval (or fails).
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
                throw new SandboxTimeoutException($"sandbox '{name}' was not ready within {limit.TotalSeconds:0.#} s", null, "SandboxTimeout") { TargetName = name };
            SandboxStatusInfo status;
            try
            {
                status = await GetSandboxStatusAsync(name, Min(remaining, Options.DefaultTimeout), cancellationToken).ConfigureAwait(false);
            }
            catch (SandboxTimeoutException) when (DateTime.UtcNow >= deadline)
            {
                throw new SandboxTimeoutException($"sandbox '{name}' was not ready within {limit.TotalSeconds:0.#} s", null, "SandboxTimeout") { TargetName = name };
            }
            progress?.Report(status);
            switch (status.Status)
            {
                case SandboxStatus.Ready:
                    return await GetSandboxAsync(name, null, cancellationToken).ConfigureAwait(false);
                case SandboxStatus.Failed:
                    throw new SandboxFailedException($"sandbox '{name}' failed to start{(string.IsNullOrEmpty(status.StatusMessage) ? "" : ": " + status.StatusMessage)}", name) { TargetName = name };
                case SandboxStatus.Stopped or SandboxStatus.Paused or SandboxStatus.Deleting:
                    throw new SandboxApiException($"sandbox '{name}' is {status.Status} and will not become ready by itself{(status.Status == SandboxStatus.Deleting ? "" : "; start it first")}", null, "NotReady") { TargetName = name };
            }
            remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero) continue;
            await Options.Delay(Min(interval, remaining), cancellationToken).ConfigureAwait(false);
            interval = Min(TimeSpan.FromTicks((long)(interval.Ticks * 1.5)), Options.MaxPollInterval);
        }
    }

    // ---------------------------------------------------------------- templates

    /// <summary>Creates a template (<c>POST /templates</c>). Not retried.</summary>
    /// <exception cref="SandboxNameConflictException">The name is taken.</exception>
    /// <exception cref="SandboxNotSupportedException">The server does not support what was asked (e.g. volume mounts locally).</exception>
    public Task<SandboxTemplate> CreateTemplateAsync(CreateTemplateRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var wire = new CreateTemplateRequest
        {
            Name = request.Name,
            Image = request.Image,
            Resources = request.Resources,
            VolumeMounts = request.VolumeMounts is { Count: > 0 } mounts ? mounts : null,
        };
        return SendJsonAsync<SandboxTemplate>(HttpMethod.Post, _templates, wire, retryable: false, request.Name, timeout, cancellationToken);
    }

    /// <summary>Gets a template by name.</summary>
    /// <exception cref="SandboxNotFoundException">No such template (<see cref="SandboxApiException.ErrorType"/> <c>TemplateNotFound</c>).</exception>
    public Task<SandboxTemplate> GetTemplateAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SendJsonAsync<SandboxTemplate>(HttpMethod.Get, TemplateUrl(name), null, retryable: true, name, timeout, cancellationToken);

    /// <summary>Lists one page of templates.</summary>
    public Task<SandboxPage<SandboxTemplate>> ListTemplatesAsync(int? limit = null, int? offset = null, string? nameContains = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        ListPageAsync<SandboxTemplate>(_templates, "templates", limit, offset, nameContains, timeout, cancellationToken);

    /// <summary>Every template whose name contains <paramref name="nameContains"/>, following the pages.</summary>
    public IAsyncEnumerable<SandboxTemplate> ListAllTemplatesAsync(string? nameContains = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        FollowPagesAsync(offset => ListTemplatesAsync(SandboxDefaults.PageSize, offset, nameContains, timeout, cancellationToken), cancellationToken);

    /// <summary>Templates by name or wildcard pattern, with the same rules as <see cref="FindSandboxesAsync"/>.</summary>
    public Task<IReadOnlyList<SandboxTemplate>> FindTemplatesAsync(string? namePattern = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        FindByNameAsync(namePattern, name => GetTemplateAsync(name, timeout, cancellationToken), contains => ListAllTemplatesAsync(contains, timeout, cancellationToken), t => t.Name);

    /// <summary>Renames a template (<c>PATCH /templates/{name}</c>). Not retried.</summary>
    public Task<SandboxTemplate> RenameTemplateAsync(string name, string newName, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(newName);
        return SendJsonAsync<SandboxTemplate>(HttpMethod.Patch, TemplateUrl(name), new { name = newName }, retryable: false, name, timeout, cancellationToken);
    }

    /// <summary>Deletes a template.</summary>
    /// <exception cref="SandboxResourceInUseException">Sandboxes still use it (<c>TemplateInUse</c>).</exception>
    public Task DeleteTemplateAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SendNoContentAsync(HttpMethod.Delete, TemplateUrl(name), name, timeout, cancellationToken);

    // ---------------------------------------------------------------- plumbing

    private static readonly object EmptyObject = new();

    private sealed class SandboxListResponse
    {
        public List<Sandbox>? Sandboxes { get; set; }
        public int? Offset { get; set; }
    }


    private string BoxUrl(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _boxes + "/" + Uri.EscapeDataString(name);
    }

    private string TemplateUrl(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _templates + "/" + Uri.EscapeDataString(name);
    }

    private Sandbox Stamp(Sandbox s)
    {
        s.Endpoint = Settings.Endpoint;
        return s;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>A linked token that also fires after the call's time-out; tells a time-out from the caller's cancellation.</summary>
    internal sealed class CallScope : IDisposable
    {
        private readonly CancellationTokenSource? _cts;
        private readonly CancellationToken _caller;

        public CallScope(TimeSpan timeout, CancellationToken caller)
        {
            _caller = caller;
            Timeout = timeout;
            if (timeout == System.Threading.Timeout.InfiniteTimeSpan)
            {
                Token = caller;
                return;
            }
            _cts = CancellationTokenSource.CreateLinkedTokenSource(caller);
            _cts.CancelAfter(timeout);
            Token = _cts.Token;
        }

        public TimeSpan Timeout { get; }
        public CancellationToken Token { get; }
        public bool TimedOut => Token.IsCancellationRequested && !_caller.IsCancellationRequested;

        public SandboxTimeoutException TimeoutError(string what, string? target, Exception? inner) =>
            new($"{what} did not complete within {Timeout.TotalSeconds:0.###} s", null, "ClientTimeout", inner) { TargetName = target };

        public void Dispose() => _cts?.Dispose();
    }

    internal CallScope Begin(TimeSpan? timeout, CancellationToken ct) => new(timeout ?? Options.DefaultTimeout, ct);

    private async Task<T> SendJsonAsync<T>(HttpMethod method, string url, object? body, bool retryable, string? target, TimeSpan? timeout, CancellationToken ct)
    {
        using var scope = Begin(timeout, ct);
        try
        {
            using var response = await SendAsync(() => BuildJsonRequest(method, url, body), retryable, target, scope.Token, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            try
            {
                return await response.Content.ReadFromJsonAsync<T>(Json, scope.Token).ConfigureAwait(false)
                    ?? throw new SandboxApiException($"the server sent an empty answer to {method} {new Uri(url).AbsolutePath}", (int)response.StatusCode, "InvalidResponse");
            }
            catch (JsonException e)
            {
                throw new SandboxApiException($"the server's answer to {method} {new Uri(url).AbsolutePath} is not the expected JSON: {e.Message}", (int)response.StatusCode, "InvalidResponse", e) { TargetName = target };
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !scope.Token.IsCancellationRequested)
            {
                throw ConnectionError(new Uri(url), e, 0);
            }
        }
        catch (OperationCanceledException e) when (scope.TimedOut)
        {
            throw scope.TimeoutError($"{method} {new Uri(url).AbsolutePath}", target, e);
        }
    }

    private async Task SendNoContentAsync(HttpMethod method, string url, string? target, TimeSpan? timeout, CancellationToken ct)
    {
        using var scope = Begin(timeout, ct);
        try
        {
            using var response = await SendAsync(() => new HttpRequestMessage(method, url), retryable: true, target, scope.Token, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (scope.TimedOut)
        {
            throw scope.TimeoutError($"{method} {new Uri(url).AbsolutePath}", target, e);
        }
    }

    private static HttpRequestMessage BuildJsonRequest(HttpMethod method, string url, object? body)
    {
        var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Json);
            request.Content = new ByteArrayContent(bytes) { Headers = { ContentType = JsonMediaType } };
        }
        return request;
    }

    /// <summary>
    /// Sends a request through the HTTP pipeline, where <see cref="SandboxRetryHandler"/> retries it when
    /// <paramref name="retryable"/>. Returns a success response; throws the classified exception otherwise.
    /// </summary>
    internal async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> build, bool retryable, string? target, CancellationToken ct, HttpCompletionOption completion)
    {
        using var request = build();
        var retries = new SandboxRetryHandler.RetryCount();
        request.Options.Set(SandboxRetryHandler.Retryable, retryable);
        request.Options.Set(SandboxRetryHandler.Retries, retries);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException && !ct.IsCancellationRequested)
        {
            throw ConnectionError(request.RequestUri!, e, retries.Value);
        }
        if (response.IsSuccessStatusCode) return response;
        try
        {
            throw await ErrorFromAsync(response, request, target, retries.Value, ct).ConfigureAwait(false);
        }
        finally
        {
            response.Dispose();
        }
    }

    internal static async Task<SandboxApiException> ErrorFromAsync(HttpResponseMessage response, HttpRequestMessage request, string? target, int retries, CancellationToken ct)
    {
        string? body = null;
        try
        {
            body = await ReadLimitedAsync(response.Content, 65536, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
        }
        return SandboxErrorClassifier.FromResponse((int)response.StatusCode, body, RetryAfterOf(response), request.Method.Method, request.RequestUri, target, retries);
    }

    private static async Task<string> ReadLimitedAsync(HttpContent content, int max, CancellationToken ct)
    {
        using var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new byte[max];
        var total = 0;
        int n;
        while (total < max && (n = await stream.ReadAsync(buffer.AsMemory(total, max - total), ct).ConfigureAwait(false)) > 0) total += n;
        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    internal static TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        var h = response.Headers.RetryAfter;
        if (h is null) return null;
        if (h.Delta is { } d) return d;
        if (h.Date is { } date) return date - DateTimeOffset.UtcNow is var delta && delta > TimeSpan.Zero ? delta : TimeSpan.Zero;
        return null;
    }

    /// <summary>The end of a connection error's message when the endpoint is the local server.</summary>
    public const string LocalServerHint = "Is the local sandbox server running?";

    internal SandboxConnectionException ConnectionError(Uri uri, Exception e, int retries)
    {
        var why = e switch
        {
            HttpRequestException { InnerException: SocketException s } => Describe(s.SocketErrorCode) ?? s.Message,
            HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "the host name could not be resolved",
            HttpRequestException { InnerException: IOException { InnerException: SocketException s } } => Describe(s.SocketErrorCode) ?? s.Message,
            HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } => "the connection was closed before a response arrived",
            SocketException s => Describe(s.SocketErrorCode) ?? s.Message,
            _ => e.Message,
        };
        var hint = Settings.IsLocalServer ? " " + LocalServerHint : "";
        var tries = retries > 0 ? $" after {retries + 1} attempts" : "";
        return new SandboxConnectionException($"Could not reach the sandbox server at {uri.Scheme}://{uri.Authority}{tries}: {why}.{hint}", e)
        {
            RequestUri = uri,
            Retries = retries,
        };
    }

    private static string? Describe(SocketError code) => code switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.ConnectionReset => "the connection was reset",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "the host name could not be resolved",
        SocketError.TimedOut => "connecting timed out",
        SocketError.NetworkUnreachable or SocketError.HostUnreachable => "the host is unreachable",
        _ => null,
    };
}
