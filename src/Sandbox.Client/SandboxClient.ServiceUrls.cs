namespace Sandbox.Client;

public sealed partial class SandboxClient
{
    /// <summary>The largest <c>expires_in_seconds</c> the local server accepts (one day).</summary>
    public static readonly TimeSpan MaxServiceUrlLifetime = TimeSpan.FromDays(1);

    /// <summary>Issues a service URL for <paramref name="port"/> inside <paramref name="sandbox"/>; see the overload taking a name.</summary>
    public Task<SandboxServiceUrl> GetServiceUrlAsync(Sandbox sandbox, int port, TimeSpan? expiresIn = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        return GetServiceUrlAsync(sandbox.Name, port, expiresIn, timeout, cancellationToken);
    }

    /// <summary>
    /// Issues a service URL for <paramref name="port"/> inside the sandbox (<c>POST /boxes/{name}/service-url</c>). Not retried
    /// (each call issues a new token). <paramref name="expiresIn"/> is rounded up to whole seconds; null lets the server choose (one hour).
    /// </summary>
    /// <exception cref="SandboxNotFoundException">No such sandbox.</exception>
    public async Task<SandboxServiceUrl> GetServiceUrlAsync(string sandboxName, int port, TimeSpan? expiresIn = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        long? seconds = null;
        if (expiresIn is { } e)
        {
            if (e <= TimeSpan.Zero || e > MaxServiceUrlLifetime) throw new ArgumentOutOfRangeException(nameof(expiresIn), e, "must be more than zero and at most one day");
            seconds = (long)Math.Ceiling(e.TotalSeconds);
        }
        object body = seconds is null ? new { port } : new { port, expires_in_seconds = seconds };
        var url = await SendJsonAsync<SandboxServiceUrl>(HttpMethod.Post, BoxUrl(sandboxName) + "/service-url", body, retryable: false, sandboxName, timeout, cancellationToken).ConfigureAwait(false);
        url.SandboxName = sandboxName;
        url.Port = port;
        return url;
    }
}
