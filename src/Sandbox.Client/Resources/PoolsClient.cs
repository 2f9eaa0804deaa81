using Sandbox.Client.Protocol;

namespace Sandbox.Client;

/// <summary>Pools (<c>client.Pools</c>): warm sandboxes of one template, handed out on create.</summary>
public sealed class PoolsClient : RenamableResourceClient<SandboxPool>
{
    internal PoolsClient(SandboxTransport transport) : base(transport, SandboxResourceKind.Pool)
    {
    }

    private protected override SandboxPool Stamp(SandboxPool item)
    {
        item.Endpoint = Transport.Settings.Endpoint;
        return item;
    }

    /// <summary>
    /// Creates a pool (<c>POST /pools</c>). Not retried. With <see cref="CreatePoolRequest.WaitForReady"/> the server answers once
    /// every replica is ready, or 504 after <see cref="CreatePoolRequest.Timeout"/> (the pool stays and keeps warming up).
    /// </summary>
    /// <exception cref="SandboxNameConflictException">The name is taken (<c>PoolAlreadyExists</c>).</exception>
    /// <exception cref="SandboxNotFoundException">The template does not exist (<c>TemplateNotFound</c>).</exception>
    /// <exception cref="SandboxValidationException">The template mounts volumes, or a value is out of range.</exception>
    /// <exception cref="SandboxTimeoutException">Not every replica was ready in time (504 <c>Timeout</c>).</exception>
    public Task<SandboxPool> CreateAsync(CreatePoolRequest request, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Name);
        ArgumentException.ThrowIfNullOrEmpty(request.TemplateName);
        var wait = request.WaitForReady
            ? SandboxTransport.Max(Transport.Options.DefaultTimeout, TimeSpan.FromSeconds(request.Timeout ?? 60) + SandboxDefaults.ServerWaitMargin)
            : Transport.Options.DefaultTimeout;
        return SendAsync(Dialect.CreatePool(request), request.Name, options, cancellationToken, wait);
    }

    /// <summary>Changes a pool's name or desired replicas (<c>PATCH /pools/{name}</c>). Not retried.</summary>
    /// <exception cref="SandboxNameConflictException">The new name is taken.</exception>
    public Task<SandboxPool> UpdateAsync(string name, UpdatePoolRequest update, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        UpdateCoreAsync(name, update, options, cancellationToken);

    /// <summary>Sets a pool's desired replicas (0 pauses it; fewer ends the surplus).</summary>
    public Task<SandboxPool> SetReplicasAsync(string name, int replicas, SandboxRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        UpdateCoreAsync(name, new UpdatePoolRequest { Replicas = replicas >= 0 ? replicas : throw new ArgumentOutOfRangeException(nameof(replicas), replicas, "must not be negative") }, options, cancellationToken);

    /// <summary>
    /// Polls a pool until its ready replicas reach its desired count, then returns it (at once when the server does not report
    /// readiness). Polls grow from <see cref="SandboxClientOptions.PollInterval"/> to <see cref="SandboxClientOptions.MaxPollInterval"/>.
    /// </summary>
    /// <param name="name">The pool.</param>
    /// <param name="options">The deadline (<see cref="SandboxDefaults.WaitTimeout"/> by default) and a receiver of each polled state.</param>
    /// <param name="cancellationToken">Cancels the wait at once.</param>
    /// <exception cref="SandboxTimeoutException">Not ready by the deadline.</exception>
    public Task<SandboxPool> WaitForReadyAsync(string name, SandboxProgressOptions<SandboxPool>? options = null, CancellationToken cancellationToken = default) =>
        Transport.PollAsync(options?.Timeout, async pollTimeout =>
        {
            var pool = await GetAsync(name, SandboxRequestOptions.WithTimeout(pollTimeout), cancellationToken).ConfigureAwait(false);
            options?.Progress?.Report(pool);
            return pool.IsReady ? pool : null;
        }, limit => new SandboxTimeoutException($"pool '{name}' was not ready within {limit.TotalSeconds:0.#} s", null, "Timeout") { TargetName = name }, cancellationToken);
}
