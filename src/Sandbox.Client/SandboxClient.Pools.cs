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
        var page = await ListPageAsync<SandboxPool>(PoolsUrl, "pools", limit, offset, nameContains, timeout, cancellationToken).ConfigureAwait(false);
        foreach (var p in page.Items) Stamp(p);
        return page;
    }

    /// <summary>Every pool whose name contains <paramref name="nameContains"/>, following the pages.</summary>
    public IAsyncEnumerable<SandboxPool> ListAllPoolsAsync(string? nameContains = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        FollowPagesAsync(offset => ListPoolsAsync(SandboxDefaults.PageSize, offset, nameContains, timeout, cancellationToken), cancellationToken);

    /// <summary>Pools by name or wildcard pattern, with the same rules as <see cref="FindSandboxesAsync"/>.</summary>
    public Task<IReadOnlyList<SandboxPool>> FindPoolsAsync(string? namePattern = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        FindByNameAsync(namePattern, name => GetPoolAsync(name, timeout, cancellationToken), contains => ListAllPoolsAsync(contains, timeout, cancellationToken), p => p.Name);

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
