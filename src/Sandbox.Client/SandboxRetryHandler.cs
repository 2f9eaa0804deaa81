using System.Net.Sockets;

namespace Sandbox.Client;

/// <summary>
/// The client's retries, in the HTTP pipeline: a request marked safe to repeat (<see cref="Retryable"/>) is sent again on
/// 502/503/504 and on connection failures (with the policy's backoff), and on 429 after <c>Retry-After</c> (when that is within
/// <see cref="SandboxRetryPolicy.MaxRetryAfter"/>). Unmarked requests (creations, uploads, commands) go once. What remains a
/// failure after the retries is returned or thrown as it is, for the client to classify.
/// </summary>
internal sealed class SandboxRetryHandler(SandboxClientOptions options) : DelegatingHandler
{
    /// <summary>Marks a request as safe to send again.</summary>
    public static readonly HttpRequestOptionsKey<bool> Retryable = new("Sandbox.Retryable");

    /// <summary>Where the handler counts the retries of a request, for the error that may follow.</summary>
    public static readonly HttpRequestOptionsKey<RetryCount> Retries = new("Sandbox.Retries");

    /// <summary>How many times a request was sent again.</summary>
    public sealed class RetryCount
    {
        /// <summary>The count.</summary>
        public int Value { get; set; }
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var retryable = request.Options.TryGetValue(Retryable, out var r) && r;
        request.Options.TryGetValue(Retries, out var count);
        var policy = options.Retry;
        var trace = SandboxHttpTrace.Sink;
        // Bounded: at most MaxRetries further attempts.
        for (var attempt = 0; ; attempt++)
        {
            if (count is not null) count.Value = attempt;
            var more = retryable && attempt < policy.MaxRetries;
            var started = trace is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested && IsConnectionFailure(e))
            {
                trace?.Invoke(SandboxHttpTrace.Line(request, attempt, $"failed ({e.Message})", started));
                // A refused connection means nothing listens there: one quick second try (a server restarting), not the
                // whole back-off, so a wrong endpoint fails in well under a second.
                var refused = IsConnectionRefused(e);
                if (!more || (refused && attempt >= 1)) throw;
                await options.Delay(refused ? Min(policy.Backoff(attempt), RefusedRetryDelay) : policy.Backoff(attempt), cancellationToken).ConfigureAwait(false);
                continue;
            }
            var status = (int)response.StatusCode;
            trace?.Invoke(SandboxHttpTrace.Line(request, attempt, $"{status} {response.ReasonPhrase}", started));
            if (!more || status is not (429 or 502 or 503 or 504)) return response;
            var retryAfter = Protocol.SandboxTransport.RetryAfterOf(response);
            var delay = status == 429
                ? retryAfter ?? policy.Backoff(attempt)
                : retryAfter is { } ra && ra <= policy.MaxBackoff ? Max(ra, policy.Backoff(attempt)) : policy.Backoff(attempt);
            if (status == 429 && delay > policy.MaxRetryAfter) return response;
            response.Dispose();
            await options.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The wait before the one retry of a refused connection.</summary>
    internal static readonly TimeSpan RefusedRetryDelay = TimeSpan.FromMilliseconds(250);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Nothing listens at the address (as opposed to a time-out or a connection dropped mid-way).</summary>
    internal static bool IsConnectionRefused(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused }) return true;
        return false;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Failures where no request reached the server's application: safe to try again for a safe request.</summary>
    internal static bool IsConnectionFailure(Exception e)
    {
        if (e is HttpRequestException h)
            return h.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.ResponseEnded
                or HttpRequestError.ProxyTunnelError or HttpRequestError.Unknown || h.InnerException is SocketException or IOException;
        return e is IOException;
    }
}
