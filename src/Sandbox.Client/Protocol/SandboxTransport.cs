using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Sandbox.Client.Protocol;

/// <summary>
/// The HTTP side shared by every resource client: one <see cref="HttpClient"/> whose pipeline retries safe requests
/// (<see cref="SandboxRetryHandler"/>), each call's time-out, and failures turned into <see cref="SandboxApiException"/>s.
/// It sends what a <see cref="SandboxDialect"/> describes and knows nothing of paths or bodies.
/// </summary>
internal sealed class SandboxTransport : IDisposable
{
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json") { CharSet = "utf-8" };
    private readonly HttpClient _http;

    public SandboxTransport(SandboxConnectionSettings settings, SandboxClientOptions options, SandboxDialect dialect)
    {
        Settings = settings;
        Options = options;
        Dialect = dialect;
        var handler = options.Handler ?? new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
            UseCookies = false,
        };
        // Retries live in the pipeline, in front of the transport (ours, or the one the options give, which is not ours to dispose).
        _http = new HttpClient(new SandboxRetryHandler(options) { InnerHandler = handler }, disposeHandler: options.Handler is null) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.TryParseAdd(options.UserAgent);
        if (settings.ApiKey is not null)
        {
            var (name, value) = dialect.AuthHeader(settings.ApiKey);
            _http.DefaultRequestHeaders.TryAddWithoutValidation(name, value);
        }
    }

    public SandboxConnectionSettings Settings { get; }
    public SandboxClientOptions Options { get; }
    public SandboxDialect Dialect { get; }

    /// <summary>
    /// Set once a template, pool or volume collection answered 404: the endpoint speaks the current generation, and
    /// every later call for those resources fails at once (<see cref="SandboxApiGeneration.Auto"/>).
    /// </summary>
    public bool SeedResourcesMissing { get; set; }

    public void Dispose() => _http.Dispose();

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

    public CallScope Begin(TimeSpan? timeout, CancellationToken ct) => new(timeout ?? Options.DefaultTimeout, ct);

    /// <summary>Sends a request and reads its JSON answer as <typeparamref name="T"/>.</summary>
    public async Task<T> SendJsonAsync<T>(WireRequest wire, string? target, TimeSpan? timeout, CancellationToken ct)
    {
        using var scope = Begin(timeout, ct);
        try
        {
            using var response = await SendAsync(() => Build(wire), wire.Retryable, target, scope.Token, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            try
            {
                return await response.Content.ReadFromJsonAsync<T>(Dialect.Json, scope.Token).ConfigureAwait(false)
                    ?? throw new SandboxApiException($"the server sent an empty answer to {wire.Describe()}", (int)response.StatusCode, "InvalidResponse");
            }
            catch (JsonException e)
            {
                throw new SandboxApiException($"the server's answer to {wire.Describe()} is not the expected JSON: {e.Message}", (int)response.StatusCode, "InvalidResponse", e) { TargetName = target };
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !scope.Token.IsCancellationRequested)
            {
                throw ConnectionError(new Uri(wire.Url), e, 0);
            }
        }
        catch (OperationCanceledException e) when (scope.TimedOut)
        {
            throw scope.TimeoutError(wire.Describe(), target, e);
        }
    }

    /// <summary>Sends a request whose answer has no body worth reading.</summary>
    public async Task SendNoContentAsync(WireRequest wire, string? target, TimeSpan? timeout, CancellationToken ct)
    {
        using var scope = Begin(timeout, ct);
        try
        {
            using var response = await SendAsync(() => Build(wire), wire.Retryable, target, scope.Token, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (scope.TimedOut)
        {
            throw scope.TimeoutError(wire.Describe(), target, e);
        }
    }

    internal HttpRequestMessage Build(WireRequest wire)
    {
        var request = new HttpRequestMessage(wire.Method, wire.Url);
        if (wire.Body is { } body)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Dialect.Json);
            request.Content = new ByteArrayContent(bytes) { Headers = { ContentType = JsonMediaType } };
        }
        return request;
    }

    /// <summary>
    /// Sends a request through the HTTP pipeline, where <see cref="SandboxRetryHandler"/> retries it when
    /// <paramref name="retryable"/>. Returns a success response; throws the classified exception otherwise.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> build, bool retryable, string? target, CancellationToken ct, HttpCompletionOption completion)
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

    public SandboxConnectionException ConnectionError(Uri uri, Exception e, int retries)
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
        var hint = Settings.IsLocalServer ? " " + SandboxClient.LocalServerHint : "";
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

    /// <summary>
    /// Connects <paramref name="socket"/> to <paramref name="uri"/> within the connect time-out (plus 10 s for the upgrade):
    /// an HTTP answer that is not an upgrade is <see cref="WebSocketUpgradeRefusedException"/> (callers decide what it means),
    /// a network failure this transport's connection error, running out of time a <see cref="SandboxTimeoutException"/>.
    /// </summary>
    public async Task ConnectWebSocketAsync(ClientWebSocket socket, Uri uri, string? target, CancellationToken ct)
    {
        using var connect = CancellationTokenSource.CreateLinkedTokenSource(ct);
        connect.CancelAfter(Options.ConnectTimeout + TimeSpan.FromSeconds(10));
        try
        {
            await socket.ConnectAsync(uri, connect.Token).ConfigureAwait(false);
        }
        catch (WebSocketException e) when (socket.HttpStatusCode != 0 && socket.HttpStatusCode != HttpStatusCode.SwitchingProtocols)
        {
            throw new WebSocketUpgradeRefusedException((int)socket.HttpStatusCode, e);
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException && !ct.IsCancellationRequested)
        {
            throw ConnectionError(uri, e.InnerException is HttpRequestException h ? h : e, 0);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new SandboxTimeoutException($"connecting the WebSocket to {uri.Authority} timed out", null, "ClientTimeout", e) { TargetName = target };
        }
    }

    public ClientWebSocket NewWebSocket()
    {
        var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        ws.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
        if (Settings.ApiKey is not null)
        {
            var (name, value) = Dialect.AuthHeader(Settings.ApiKey);
            ws.Options.SetRequestHeader(name, value);
        }
        ws.Options.SetRequestHeader("User-Agent", Options.UserAgent);
        return ws;
    }

    /// <summary>Polls until <paramref name="poll"/> answers a value (returned) or the deadline passes (<paramref name="timedOut"/> thrown).
    /// Polls start at <see cref="SandboxClientOptions.PollInterval"/> and grow to <see cref="SandboxClientOptions.MaxPollInterval"/>;
    /// each poll's time-out is the time left, at most <see cref="SandboxClientOptions.DefaultTimeout"/>.</summary>
    public async Task<T> PollAsync<T>(TimeSpan? timeout, Func<TimeSpan, Task<T?>> poll, Func<TimeSpan, Exception> timedOut, CancellationToken ct) where T : class
    {
        var limit = timeout ?? SandboxDefaults.WaitTimeout;
        var deadline = DateTime.UtcNow + limit;
        var interval = Options.PollInterval;
        // Bounded by the deadline: every round waits at least PollInterval (or fails).
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero) throw timedOut(limit);
            T? done;
            try
            {
                done = await poll(Min(remaining, Options.DefaultTimeout)).ConfigureAwait(false);
            }
            catch (SandboxTimeoutException) when (DateTime.UtcNow >= deadline)
            {
                throw timedOut(limit);
            }
            if (done is not null) return done;
            remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero) continue;
            await Options.Delay(Min(interval, remaining), ct).ConfigureAwait(false);
            interval = Min(TimeSpan.FromTicks((long)(interval.Ticks * 1.5)), Options.MaxPollInterval);
        }
    }

    internal static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
    internal static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}

/// <summary>The server answered a WebSocket request over HTTP without upgrading it (<see cref="Status"/> is its status code).</summary>
internal sealed class WebSocketUpgradeRefusedException(int status, Exception inner) : Exception($"the WebSocket upgrade was refused with HTTP {status}", inner)
{
    public int Status { get; } = status;
}
