using System.Text;

namespace Sandbox.Client;

public sealed partial class SandboxClient
{
    private string PoolsUrl => Settings.ControlPlaneBaseUrl + "/pools";

    private string PoolUrl(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return PoolsUrl + "/" + Uri.EscapeDataString(name);
    }

    private SandboxPool Stamp(SandboxPool p)
    {
        p.Endpoint = Settings.Endpoint;
        return p;
    }

    private sealed class PoolListResponse
    {
        public List<SandboxPool>? Pools { get; set; }
        public int? Offset { get; set; }
    }

    /// <summary>
    /// Creates a pool (<c>POST /pools</c>). Not retried. With <see cref="CreatePoolRequest.WaitForReady"/> the server answers once
    /// every replica is ready, or 504 after <see cref="CreatePoolRequest.Timeout"/> (the pool stays and keeps warming up).
    /// </summary>
    /// <exception cref="SandboxNameConflictException">The name is taken (<c>PoolAlreadyExists</c>).</exception>
    /// <exception cref="SandboxNotFoundException">The template does not exist (<c>TemplateNotFound</c>).</exception>
    /// <exception cref="SandboxValidationException">The template mounts volumes, or a value is out of range.</exception>
    /// <exception cref="SandboxTimeoutException">Not every replica was ready in time (504 <c>Timeout</c>).</exception>
    public async Task<SandboxPool> CreatePoolAsync(CreatePoolRequest request, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Name);
        ArgumentException.ThrowIfNullOrEmpty(request.TemplateName);
        var callTimeout = timeout ?? (request.WaitForReady
            ? Max(Options.DefaultTimeout, TimeSpan.FromSeconds(request.Timeout ?? 60) + SandboxDefaults.ServerWaitMargin)
            : Options.DefaultTimeout);
        return Stamp(await SendJsonAsync<SandboxPool>(HttpMethod.Post, PoolsUrl, request, retryable: false, request.Name, callTimeout, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Gets a pool by name.</summary>
    /// <exception cref="SandboxNotFoundException">No such pool (<c>PoolNotFound</c>).</exception>
    public async Task<SandboxPool> GetPoolAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Stamp(await SendJsonAsync<SandboxPool>(HttpMethod.Get, PoolUrl(name), null, retryable: true, name, timeout, cancellationToken).ConfigureAwait(false));

    /// <summary>Lists one page of pools.</summary>
    public async Task<SandboxPage<SandboxPool>> ListPoolsAsync(int? limit = null, int? offset = null, string? nameContains = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var url = new StringBuilder(PoolsUrl);
        var sep = '?';
        void Add(string key, string? value)
        {
            if (value is null) return;
            url.Append(sep).Append(key).Append('=').Append(Uri.EscapeDataString(value));
            sep = '&';
        }
        Add("limit", limit?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("offset", offset?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("name_contains", string.IsNullOrEmpty(nameContains) ? null : nameContains);
        var page = await SendJsonAsync<PoolListResponse>(HttpMethod.Get, url.ToString(), null, retryable: true, null, timeout, cancellationToken).ConfigureAwait(false);
        var items = page.Pools ?? [];
        foreach (var p in items) Stamp(p);
        return new SandboxPage<SandboxPool>(items, page.Offset ?? (offset ?? 0) + items.Count);
    }

    /// <summary>Every pool whose name contains <paramref name="nameContains"/>, following the pages.</summary>
    public async IAsyncEnumerable<SandboxPool> ListAllPoolsAsync(string? nameContains = null, TimeSpan? timeout = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var offset = 0;
        for (var pages = 0; pages < 1_000_000 / SandboxDefaults.PageSize + 1; pages++)
        {
            var page = await ListPoolsAsync(SandboxDefaults.PageSize, offset, nameContains, timeout, cancellationToken).ConfigureAwait(false);
            foreach (var p in page.Items) yield return p;
            if (page.Items.Count < SandboxDefaults.PageSize || page.NextOffset <= offset) yield break;
            offset = page.NextOffset;
        }
    }

    /// <summary>Pools by name or wildcard pattern, with the same rules as <see cref="FindSandboxesAsync"/>.</summary>
    public async Task<IReadOnlyList<SandboxPool>> FindPoolsAsync(string? namePattern = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var pattern = string.IsNullOrEmpty(namePattern) ? null : SandboxWildcard.Parse(namePattern);
        if (pattern is { HasWildcards: false })
            return [await GetPoolAsync(pattern.LiteralText!, timeout, cancellationToken).ConfigureAwait(false)];
        var result = new List<SandboxPool>();
        await foreach (var p in ListAllPoolsAsync(pattern?.LongestLiteral is { Length: > 0 } l ? l : null, timeout, cancellationToken).ConfigureAwait(false))
            if (pattern is null || pattern.IsMatch(p.Name)) result.Add(p);
        return result;
    }

    /// <summary>Changes a pool's name or desired replicas (<c>PATCH /pools/{name}</c>). Not retried.</summary>
    /// <exception cref="SandboxNameConflictException">The new name is taken.</exception>
    public async Task<SandboxPool> UpdatePoolAsync(string name, UpdatePoolRequest update, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        return Stamp(await SendJsonAsync<SandboxPool>(HttpMethod.Patch, PoolUrl(name), update, retryable: false, name, timeout, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Sets a pool's desired replicas (0 pauses it; fewer ends the surplus).</summary>
    public Task<SandboxPool> SetPoolReplicasAsync(string name, int replicas, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(replicas);
        return UpdatePoolAsync(name, new UpdatePoolRequest { Replicas = replicas }, timeout, cancellationToken);
    }

    /// <summary>Renames a pool.</summary>
    public Task<SandboxPool> RenamePoolAsync(string name, string newName, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(newName);
        return UpdatePoolAsync(name, new UpdatePoolRequest { Name = newName }, timeout, cancellationToken);
    }

    /// <summary>Deletes a pool; its idle sandboxes end, the ones already handed out stay. Retried as a safe request.</summary>
    /// <exception cref="SandboxNotFoundException">No such pool (<c>PoolNotFound</c>).</exception>
    public Task DeletePoolAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SendNoContentAsync(HttpMethod.Delete, PoolUrl(name), name, timeout, cancellationToken);

    /// <summary>
    /// Polls a pool until its ready replicas reach its desired count, then returns it (at once when the server does not report
    /// readiness). Polls grow from <see cref="SandboxClientOptions.PollInterval"/> to <see cref="SandboxClientOptions.MaxPollInterval"/>.
    /// </summary>
    /// <param name="name">The pool.</param>
    /// <param name="timeout">The deadline; <see cref="SandboxDefaults.WaitTimeout"/> when null.</param>
    /// <param name="progress">Receives each polled state (for <c>Write-Progress</c>).</param>
    /// <param name="cancellationToken">Cancels the wait at once.</param>
    /// <exception cref="SandboxTimeoutException">Not ready by the deadline.</exception>
    public async Task<SandboxPool> WaitForPoolAsync(string name, TimeSpan? timeout = null, IProgress<SandboxPool>? progress = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? SandboxDefaults.WaitTimeout;
        var deadline = DateTime.UtcNow + limit;
        var interval = Options.PollInterval;
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
                throw new SandboxTimeoutException($"pool '{name}' was not ready within {limit.TotalSeconds:0.#} s", null, "Timeout") { TargetName = name };
            var pool = await GetPoolAsync(name, Min(remaining, Options.DefaultTimeout), cancellationToken).ConfigureAwait(false);
            progress?.Report(pool);
            if (pool.IsReady) return pool;
            remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero) continue;
            await Options.Delay(Min(interval, remaining), cancellationToken).ConfigureAwait(false);
            interval = Min(TimeSpan.FromTicks((long)(interval.Ticks * 1.5)), Options.MaxPollInterval);
        }
    }
}
