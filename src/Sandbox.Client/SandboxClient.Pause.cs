namespace Sandbox.Client;

public sealed partial class SandboxClient
{
    /// <summary>
    /// Pauses a sandbox: every process is frozen, its memory kept, no CPU used (<c>POST /boxes/{name}/pause</c>, local server
    /// extension; idempotent, so retried). A command, file transfer or <see cref="ResumeSandboxAsync"/> wakes it.
    /// </summary>
    /// <exception cref="SandboxNotFoundException">No such sandbox.</exception>
    /// <exception cref="SandboxApiException">The sandbox is not ready (error type <c>NotReady</c>: stopped, failed, provisioning).</exception>
    public async Task<Sandbox> PauseSandboxAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Stamp(await SendJsonAsync<Sandbox>(HttpMethod.Post, BoxUrl(name) + "/pause", EmptyObject, retryable: true, name, timeout, cancellationToken).ConfigureAwait(false));

    /// <summary>Resumes a paused sandbox where it stopped (<c>POST /boxes/{name}/resume</c>; idempotent on a ready one, so retried).</summary>
    /// <exception cref="SandboxNotFoundException">No such sandbox.</exception>
    /// <exception cref="SandboxApiException">The sandbox is neither paused nor ready (error type <c>NotReady</c>).</exception>
    public async Task<Sandbox> ResumeSandboxAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Stamp(await SendJsonAsync<Sandbox>(HttpMethod.Post, BoxUrl(name) + "/resume", EmptyObject, retryable: true, name, timeout, cancellationToken).ConfigureAwait(false));

    /// <summary>A sandbox's CPU seconds, memory, pids and disk bytes (<c>GET /boxes/{name}/metrics</c>, local server extension).</summary>
    /// <exception cref="SandboxNotFoundException">No such sandbox.</exception>
    public async Task<SandboxMetrics> GetSandboxMetricsAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var metrics = await SendJsonAsync<SandboxMetrics>(HttpMethod.Get, BoxUrl(name) + "/metrics", null, retryable: true, name, timeout, cancellationToken).ConfigureAwait(false);
        metrics.Name = name;
        metrics.Endpoint = Settings.Endpoint;
        return metrics;
    }
}
