using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Sandbox.Server.Services;
using Sandbox.Server.Runtime;
using Sandbox.Server.State;

namespace Sandbox.Server.Api;

/// <summary>
/// Forwards service-URL traffic into a sandbox. Upstream connections are TCP sockets the sandbox's helper opens to
/// 127.0.0.1:port inside the sandbox's network namespace (the <c>connect</c> op) and passes back. The upstream URI's
/// host is <c>{sandbox id}.sandbox</c>, so pooled connections are keyed by sandbox and port and never shared.
/// </summary>
public sealed class ServiceProxy : IDisposable
{
    private const string HostSuffix = ".sandbox";
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Host", "Expect", "X-Api-Key", ServiceUrlEndpoints.TokenHeader,
    };
    private static readonly HashSet<string> WebSocketHandshake = new(StringComparer.OrdinalIgnoreCase)
    {
        "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol", "Sec-WebSocket-Accept",
        "Content-Length",
    };

    private readonly SandboxRuntime _runtime;
    private readonly SocketsHttpHandler _handler;
    private readonly HttpMessageInvoker _http;
    private readonly ILogger<ServiceProxy> _log;

    public ServiceProxy(SandboxRuntime runtime, ILogger<ServiceProxy> log)
    {
        _runtime = runtime;
        _log = log;
        _handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            EnableMultipleHttp2Connections = false,
            ConnectCallback = ConnectAsync,
        };
        _http = new HttpMessageInvoker(_handler, disposeHandler: false);
    }


    public void Dispose()
    {
        _http.Dispose();
        _handler.Dispose();
    }

    /// <summary>Thrown from the connect callback when nothing accepts on the port inside the sandbox.</summary>
    private sealed class UpstreamConnectException(string message, Exception? inner = null) : Exception(message, inner);

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        if (!host.EndsWith(HostSuffix, StringComparison.OrdinalIgnoreCase)) throw new UpstreamConnectException($"unexpected upstream host {host}");
        var id = host[..^HostSuffix.Length];
        var port = context.DnsEndPoint.Port;
        try
        {
            var socket = await HelperConnect.ConnectTcpAsync(_runtime.SocketPath(id), port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (HelperException e)
        {
            throw new UpstreamConnectException($"nothing answers on port {port} inside the sandbox: {new System.ComponentModel.Win32Exception(e.Errno).Message}", e);
        }
        catch (SandboxUnreachableException e)
        {
            throw new UpstreamConnectException($"the sandbox does not answer: {e.Message}", e);
        }
    }

    /// <summary>The connect callback's host: the id is a UUID, a valid DNS label.</summary>
    private static string Authority(SandboxRecord sandbox, int port) => $"{sandbox.Id.ToLowerInvariant()}{HostSuffix}:{port}";

    private static ApiException BadGateway(Exception e, SandboxRecord sandbox, int port)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is UpstreamConnectException u) return new ApiException(502, "BadGateway", $"sandbox '{sandbox.Name}': {u.Message}");
        return new ApiException(502, "BadGateway", $"sandbox '{sandbox.Name}' port {port}: {e.Message}");
    }

    /// <summary>One HTTP exchange; <paramref name="forwardedPrefix"/> is sent as X-Forwarded-Prefix (the path the app is mounted under) when not null.</summary>
    public async Task ProxyHttpAsync(HttpContext ctx, SandboxRecord sandbox, int port, string pathAndQuery, string? forwardedPrefix)
    {
        var req = ctx.Request;
        using var upstream = new HttpRequestMessage(new HttpMethod(req.Method), new Uri($"http://{Authority(sandbox, port)}{pathAndQuery}"))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var hasBody = req.ContentLength > 0 || req.Headers.TransferEncoding.Count > 0;
        if (hasBody) upstream.Content = new StreamContent(req.Body, 64 * 1024);
        foreach (var (name, values) in req.Headers)
        {
            if (HopByHop.Contains(name)) continue;
            if (name.Equals("Cookie", StringComparison.OrdinalIgnoreCase))
            {
                var kept = WithoutOurCookie(values.ToString());
                if (kept.Length > 0) upstream.Headers.TryAddWithoutValidation("Cookie", kept);
                continue;
            }
            if (!upstream.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values) && upstream.Content is not null)
                upstream.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }
        upstream.Headers.Host = $"localhost:{port}";
        upstream.Headers.TryAddWithoutValidation("X-Forwarded-Host", req.Host.Value);
        upstream.Headers.TryAddWithoutValidation("X-Forwarded-Proto", req.Scheme);
        if (forwardedPrefix is not null) upstream.Headers.TryAddWithoutValidation("X-Forwarded-Prefix", forwardedPrefix);

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(upstream, ctx.RequestAborted);
        }
        catch (HttpRequestException e)
        {
            throw BadGateway(e, sandbox, port);
        }
        catch (OperationCanceledException e) when (!ctx.RequestAborted.IsCancellationRequested)
        {
            throw new ApiException(504, "Timeout", $"sandbox '{sandbox.Name}' port {port} did not answer: {e.Message}");
        }
        using (response)
        {
            ctx.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (HopByHop.Contains(name)) continue;
                ctx.Response.Headers[name] = values.ToArray();
            }
            if (HttpMethods.IsHead(req.Method)) return;
            await using var body = await response.Content.ReadAsStreamAsync(ctx.RequestAborted);
            var buffer = new byte[64 * 1024];
            int n;
            try
            {
                while ((n = await body.ReadAsync(buffer, ctx.RequestAborted)) > 0)
                {
                    await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, n), ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted); // streamed: server-sent events arrive as they are written
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !ctx.RequestAborted.IsCancellationRequested)
            {
                _log.LogDebug(e, "upstream body of sandbox {Id} port {Port} ended early", sandbox.Id, port);
                ctx.Abort(); // the client must not take a truncated body for a whole one
            }
        }
    }

    private static string WithoutOurCookie(string header) =>
        string.Join("; ", header.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(c => !c.StartsWith(ServiceUrlEndpoints.TokenCookie + "=", StringComparison.Ordinal)));

    public async Task ProxyWebSocketAsync(HttpContext ctx, SandboxRecord sandbox, int port, string pathAndQuery)
    {
        var req = ctx.Request;
        using var client = new ClientWebSocket();
        client.Options.HttpVersion = HttpVersion.Version11;
        client.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        client.Options.KeepAliveInterval = TimeSpan.Zero; // the browser side keeps the connection alive
        foreach (var protocol in ctx.WebSockets.WebSocketRequestedProtocols) client.Options.AddSubProtocol(protocol);
        foreach (var (name, values) in req.Headers)
        {
            if (HopByHop.Contains(name) || WebSocketHandshake.Contains(name)) continue;
            var value = name.Equals("Cookie", StringComparison.OrdinalIgnoreCase) ? WithoutOurCookie(values.ToString()) : values.ToString();
            if (value.Length == 0) continue;
            try
            {
                client.Options.SetRequestHeader(name, value);
            }
            catch (ArgumentException)
            {
                // A header the WebSocket client manages itself.
            }
        }
        try
        {
            await client.ConnectAsync(new Uri($"ws://{Authority(sandbox, port)}{pathAndQuery}"), _http, ctx.RequestAborted);
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException)
        {
            throw BadGateway(e, sandbox, port);
        }
        using var server = await ctx.WebSockets.AcceptWebSocketAsync(client.SubProtocol);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        var toUpstream = PumpAsync(server, client, stop.Token);
        var toClient = PumpAsync(client, server, stop.Token);
        await Task.WhenAny(toUpstream, toClient);
        // One side closed: give the other a moment to finish its close handshake, then drop both.
        await Task.WhenAny(Task.WhenAll(toUpstream, toClient), Task.Delay(TimeSpan.FromSeconds(5)));
        stop.Cancel();
        await Task.WhenAll(toUpstream, toClient).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>Copies messages from one socket to the other, frame by frame, until a close arrives or a side fails.</summary>
    private static async Task PumpAsync(WebSocket from, WebSocket to, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var result = await from.ReceiveAsync(buffer, ct);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (to.State is WebSocketState.Open or WebSocketState.CloseReceived)
                        await to.CloseOutputAsync(from.CloseStatus ?? WebSocketCloseStatus.NormalClosure, from.CloseStatusDescription, ct);
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, ct);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            if (to.State is WebSocketState.Open or WebSocketState.CloseReceived) to.Abort();
        }
    }
}
