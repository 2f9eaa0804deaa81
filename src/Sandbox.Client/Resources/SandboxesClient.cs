using Sandbox.Client.Protocol;

namespace Sandbox.Client;

/// <summary>
/// Sandboxes on the control plane (<c>client.Sandboxes</c>): create, get, list, find, rename, delete, and each one's
/// lifecycle (stop, start, pause, resume, wait), status, metrics, network policy and service URLs. Commands and files
/// are on <see cref="SandboxHandle"/> (or <see cref="SandboxClient.Commands"/> and <see cref="SandboxClient.Files"/>).
/// </summary>
public sealed class SandboxesClient : RenamableResourceClient<Sandbox>
{
    private readonly SandboxClient _client;

    internal SandboxesClient(SandboxClient client, SandboxTransport transport) : base(transport, SandboxResourceKind.Sandbox) => _client = client;

    /// <summary>The largest <c>expires_in_seconds</c> the local server accepts (one day).</summary>
    public static readonly TimeSpan MaxServiceUrlLifetime = TimeSpan.FromDays(1);

    private protected override SandboxPageQuery NewFindQuery() => new SandboxListQuery { SortBy = SandboxSortBy.Name, Ascending = true };

    private protected override Sandbox Stamp(Sandbox item)
    {
        item.Endpoint = Transport.Settings.Endpoint;
        return item;
    }

    /// <summary>
    /// Creates a sandbox (<c>POST /boxes</c>; not retried, as it is not safe to repeat) and returns a handle to it whose
    /// <see cref="SandboxHandle.DisposeAsync"/> deletes it: <c>await using var box = await client.Sandboxes.CreateAsync(...)</c>.
    /// Set <see cref="SandboxHandle.DeleteOnDispose"/> to false to keep it.
    /// </summary>
    /// <param name="request">What to create; <see cref="CreateSandboxRequest.Environment"/> is sent only when it has entries. With no
    /// source (no template, no snapshot) the server boots its default.</param>
    /// <param name="options">The call's time-out; by default the server-side wait plus a margin.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The sandbox: ready, or provisioning when <see cref="CreateSandboxRequest.WaitForReady"/> is false.</returns>
    /// <exception cref="SandboxTimeoutException">Not ready within the server-side time-out (408 <c>SandboxTimeout</c>; it keeps booting).</exception>
    public async Task<SandboxHandle> CreateAsync(CreateSandboxRequest request, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var wait = request.WaitForReady
            ? SandboxTransport.Max(Transport.Options.DefaultTimeout, TimeSpan.FromSeconds(request.Timeout ?? SandboxDefaults.CreateTimeoutSeconds) + SandboxDefaults.ServerWaitMargin)
            : Transport.Options.DefaultTimeout;
        var sandbox = await SendAsync(Dialect.CreateSandbox(request), request.Name ?? request.TemplateName ?? request.SnapshotReference ?? request.SnapshotId, options, cancellationToken, wait).ConfigureAwait(false);
        // leap0 answers at once (`starting`): the client waits, within the same server-side time-out.
        if (request.WaitForReady && !Dialect.CreateWaitsForReady && sandbox.Status != SandboxStatus.Ready)
            sandbox = await WaitForReadyAsync(sandbox.Name, new SandboxProgressOptions<SandboxStatusInfo> { Timeout = TimeSpan.FromSeconds(request.Timeout ?? SandboxDefaults.CreateTimeoutSeconds) }, cancellationToken).ConfigureAwait(false);
        return new SandboxHandle(_client, sandbox) { DeleteOnDispose = true };
    }

    /// <summary>Creates a sandbox from a snapshot (<c>POST /boxes</c> with <c>snapshot_id</c>); see <see cref="CreateAsync"/>.</summary>
    public Task<SandboxHandle> CreateFromSnapshotAsync(string snapshotId, string? name = null, bool waitForReady = true, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(snapshotId);
        return CreateAsync(new CreateSandboxRequest { SnapshotId = snapshotId, Name = name, WaitForReady = waitForReady }, options, cancellationToken);
    }

    /// <summary>A handle to a sandbox already known; disposing it does not delete it unless <see cref="SandboxHandle.DeleteOnDispose"/> is set.</summary>
    public SandboxHandle Attach(Sandbox sandbox)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        return new SandboxHandle(_client, sandbox);
    }

    /// <summary>Gets a sandbox by name and returns a handle to it (not deleted on dispose unless <see cref="SandboxHandle.DeleteOnDispose"/> is set).</summary>
    public async Task<SandboxHandle> OpenAsync(string name, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        Attach(await GetAsync(name, options, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Sandboxes by name or wildcard pattern (see <see cref="IResourceClient{T}.FindAsync"/>, here sorted by name), with a status and
    /// a template filter that apply in every case.
    /// </summary>
    public Task<IReadOnlyList<Sandbox>> FindAsync(string? namePattern, string? status, string? templateName = null, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        FindAsync(namePattern, status, templateName, null, options, cancellationToken);

    /// <summary>
    /// <see cref="FindAsync(string?, string?, string?, SandboxRequestOptions?, CancellationToken)"/> with label filters
    /// (<see cref="SandboxPageQuery.Labels"/>: a null value means the key is present), sent as <c>label=</c> and checked here too.
    /// </summary>
    public Task<IReadOnlyList<Sandbox>> FindAsync(string? namePattern, string? status, string? templateName, IDictionary<string, string?>? labels, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        // leap0's state names (running, starting) mean the SDK's statuses, locally and on the wire.
        status = status is null ? null : SandboxStatus.Normalize(status);
        var query = new SandboxListQuery { Status = status, TemplateName = templateName, SortBy = SandboxSortBy.Name, Ascending = true, Labels = labels is { Count: > 0 } ? labels : null };
        return FindAsync(namePattern, query, s => (status is null || s.Status == status) && (templateName is null || s.TemplateName == templateName) && query.MatchesLabels(s.Labels), options, cancellationToken);
    }

    /// <summary>Changes a sandbox's name, time-to-live settings or network policy (<c>PATCH /boxes/{name}</c>). Not retried.</summary>
    /// <exception cref="SandboxNameConflictException">The new name is taken.</exception>
    public Task<Sandbox> UpdateAsync(string name, UpdateSandboxRequest update, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        UpdateCoreAsync(name, update, options, cancellationToken);

    /// <summary>
    /// Changes a sandbox's outbound network policy (<c>PATCH /boxes/{name}</c> with <c>network_policy</c>, extension).
    /// A running sandbox gets it at once; a stopped one at its next start.
    /// </summary>
    /// <exception cref="SandboxValidationException">The server rejected the policy (422 naming the field).</exception>
    public Task<Sandbox> SetNetworkPolicyAsync(string name, SandboxNetworkPolicy policy, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        UpdateCoreAsync(name, new UpdateSandboxRequest { NetworkPolicy = policy ?? throw new ArgumentNullException(nameof(policy)) }, options, cancellationToken);

    /// <summary>Gets a sandbox's status (<c>GET /boxes/{name}/status</c>).</summary>
    public Task<SandboxStatusInfo> GetStatusAsync(string name, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        Transport.SendJsonAsync<SandboxStatusInfo>(Dialect.GetStatus(name), name, options?.Timeout, cancellationToken);

    /// <summary>Stops a sandbox: every process ends, the filesystem is kept (<c>POST /boxes/{name}/stop</c>; idempotent, so retried).</summary>
    public Task<Sandbox> StopAsync(string name, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        SendAsync(Dialect.Act(name, SandboxAction.Stop), name, options, cancellationToken);

    /// <summary>Starts a stopped sandbox (<c>POST /boxes/{name}/start</c>; idempotent, so retried).</summary>
    public Task<Sandbox> StartAsync(string name, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        SendAsync(Dialect.Act(name, SandboxAction.Start), name, options, cancellationToken);

    /// <summary>
    /// Pauses a sandbox: every process is frozen, its memory kept, no CPU used (<c>POST /boxes/{name}/pause</c>, local server
    /// extension; idempotent, so retried). A command, file transfer or <see cref="ResumeAsync"/> wakes it.
    /// </summary>
    /// <exception cref="SandboxApiException">The sandbox is not ready (error type <c>NotReady</c>: stopped, failed, provisioning).</exception>
    public Task<Sandbox> PauseAsync(string name, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        SendAsync(Dialect.Act(name, SandboxAction.Pause), name, options, cancellationToken);

    /// <summary>Resumes a paused sandbox where it stopped (<c>POST /boxes/{name}/resume</c>; idempotent on a ready one, so retried).</summary>
    /// <exception cref="SandboxApiException">The sandbox is neither paused nor ready (error type <c>NotReady</c>).</exception>
    public async Task<Sandbox> ResumeAsync(string name, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        // leap0 has no resume call: any request wakes a paused sandbox, so one harmless request, then the sandbox.
        if (Dialect.Wake(name) is not { } wake) return await SendAsync(Dialect.Act(name, SandboxAction.Resume), name, options, cancellationToken).ConfigureAwait(false);
        await Transport.SendNoContentAsync(wake, name, options?.Timeout, cancellationToken).ConfigureAwait(false);
        return await GetAsync(name, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A sandbox's CPU seconds, memory, pids and disk bytes (<c>GET /boxes/{name}/metrics</c>, local server extension).</summary>
    public async Task<SandboxMetrics> GetMetricsAsync(string name, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        var metrics = await Transport.SendJsonAsync<SandboxMetrics>(Dialect.GetMetrics(name), name, options?.Timeout, cancellationToken).ConfigureAwait(false);
        metrics.Name = name;
        metrics.Endpoint = Transport.Settings.Endpoint;
        return metrics;
    }

    /// <summary>
    /// Polls a sandbox's status until it is <c>ready</c>, then returns it. Polls start at <see cref="SandboxClientOptions.PollInterval"/>
    /// and grow to <see cref="SandboxClientOptions.MaxPollInterval"/>.
    /// </summary>
    /// <param name="name">The sandbox.</param>
    /// <param name="options">The deadline (<see cref="SandboxDefaults.WaitTimeout"/> by default) and a receiver of each polled status.</param>
    /// <param name="cancellationToken">Cancels the wait at once.</param>
    /// <exception cref="SandboxTimeoutException">Not ready by the deadline.</exception>
    /// <exception cref="SandboxFailedException">The sandbox reached <c>failed</c>.</exception>
    /// <exception cref="SandboxApiException">The sandbox is stopped, paused or being deleted (error type <c>NotReady</c>): it will not become ready by itself.</exception>
    public async Task<Sandbox> WaitForReadyAsync(string name, SandboxProgressOptions<SandboxStatusInfo>? options = null, CancellationToken cancellationToken = default)
    {
        await Transport.PollAsync(options?.Timeout, async pollTimeout =>
        {
            var status = await GetStatusAsync(name, SandboxRequestOptions.WithTimeout(pollTimeout), cancellationToken).ConfigureAwait(false);
            options?.Progress?.Report(status);
            return status.Status switch
            {
                SandboxStatus.Ready => status,
                SandboxStatus.Failed => throw new SandboxFailedException($"sandbox '{name}' failed to start{(string.IsNullOrEmpty(status.StatusMessage) ? "" : ": " + status.StatusMessage)}", name) { TargetName = name },
                SandboxStatus.Stopped or SandboxStatus.Paused or SandboxStatus.Deleting => throw new SandboxApiException(
                    $"sandbox '{name}' is {status.Status} and will not become ready by itself{(status.Status == SandboxStatus.Deleting ? "" : "; start it first")}", null, "NotReady") { TargetName = name },
                _ => null,
            };
        }, limit => new SandboxTimeoutException($"sandbox '{name}' was not ready within {limit.TotalSeconds:0.#} s", null, "SandboxTimeout") { TargetName = name }, cancellationToken).ConfigureAwait(false);
        return await GetAsync(name, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Issues a service URL for <paramref name="port"/> inside the sandbox (<c>POST /boxes/{name}/service-url</c>). Not retried
    /// (each call issues a new token). <paramref name="expiresIn"/> is rounded up to whole seconds; null lets the server choose (one hour).
    /// </summary>
    /// <exception cref="SandboxNotFoundException">No such sandbox.</exception>
    public async Task<SandboxServiceUrl> GetServiceUrlAsync(string name, int port, TimeSpan? expiresIn = null, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        var seconds = ExpirySeconds(expiresIn, MaxServiceUrlLifetime);
        var url = await Transport.SendJsonAsync<SandboxServiceUrl>(Dialect.IssueServiceUrl(name, port, seconds), name, options?.Timeout, cancellationToken).ConfigureAwait(false);
        url.SandboxName = name;
        url.Port = port;
        return url;
    }

    /// <summary>
    /// Issues a download link for one file of the sandbox (<c>POST /boxes/{name}/download-url</c>): anyone with the link
    /// can read the file, without the API key, until it expires. Not retried (each call issues a new token).
    /// <paramref name="expiresIn"/> is rounded up to whole seconds; null lets the server choose.
    /// </summary>
    /// <exception cref="SandboxNotFoundException">No such sandbox.</exception>
    public async Task<SandboxDownloadLink> GetDownloadLinkAsync(string name, string path, TimeSpan? expiresIn = null, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var seconds = ExpirySeconds(expiresIn, null);
        var link = await Transport.SendJsonAsync<SandboxDownloadLink>(Dialect.IssueDownloadLink(name, path, seconds), name, options?.Timeout, cancellationToken).ConfigureAwait(false);
        link.SandboxName = name;
        link.Path = path;
        return link;
    }

    /// <summary>
    /// The URL of the sandbox (or of one of its ports) without a token, as leap0's <c>invoke_url</c> and <c>websocket_url</c>
    /// build it: <c>https://{id}-{port}.{domain}{path}</c> (a path without a leading <c>/</c> gets one), sent with the API key. Computed locally; no request.
    /// </summary>
    /// <exception cref="SandboxNotSupportedException">The protocol has no such URLs (LangSmith: use <see cref="GetServiceUrlAsync"/>).</exception>
    public Uri GetInvokeUrl(string name, int? port = null, bool webSocket = false, string path = "/") => Dialect.InvokeUrl(name, port, webSocket, path);

    /// <summary>A token's lifetime in whole seconds (rounded up); null stays null (the server's default).</summary>
    private static long? ExpirySeconds(TimeSpan? expiresIn, TimeSpan? max)
    {
        if (expiresIn is not { } e) return null;
        if (e <= TimeSpan.Zero || e > max) throw new ArgumentOutOfRangeException(nameof(expiresIn), e, max is null ? "must be more than zero" : "must be more than zero and at most one day");
        return (long)Math.Ceiling(e.TotalSeconds);
    }
}
