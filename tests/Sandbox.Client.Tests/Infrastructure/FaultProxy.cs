using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sandbox.Client.Tests.Infrastructure;

/// <summary>The head of a request the proxy saw.</summary>
/// <param name="Method">GET, POST, ...</param>
/// <param name="Target">The request target, e.g. <c>/v2/sandboxes/boxes/x</c>.</param>
/// <param name="Headers">Header lines (names lowercased).</param>
public sealed record ProxiedRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>The path without the query.</summary>
    public string Path => Target.Split('?')[0];

    /// <summary>True for a WebSocket upgrade request.</summary>
    public bool IsUpgrade => Headers.TryGetValue("upgrade", out var u) && u.Equals("websocket", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A response the proxy answers itself instead of forwarding (then it closes the connection).</summary>
/// <param name="Status">The status code.</param>
/// <param name="Body">A JSON body.</param>
/// <param name="RetryAfter">A <c>Retry-After</c> value, if any.</param>
public sealed record CannedResponse(int Status, string Body, string? RetryAfter = null)
{
    /// <summary>Answers nothing: the request is held until the client gives up (a server that hangs).</summary>
    public static CannedResponse Hang { get; } = new(0, "");
}

/// <summary>
/// A fault-injecting HTTP/1.1 proxy on 127.0.0.1 in front of the local server. It parses every request head on every
/// client connection (HttpClient does not pipeline, so a request only starts after the previous response), lets a rule
/// answer it with a canned error instead of forwarding, and can cut a WebSocket connection in the middle of its
/// server-to-client stream (an RST on both sides). Responses are relayed byte for byte; the Host header is kept,
/// so the server's dataplane URLs point back at the proxy.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Connection, byte> _connections = new();
    private readonly ConcurrentQueue<ProxiedRequest> _requests = new();
    private readonly Task _acceptLoop;
    private long _cutAfter = -1;
    private int _cuts;

    /// <summary>Starts the proxy on a free port of 127.0.0.1, forwarding to <c>127.0.0.1:<paramref name="upstreamPort"/></c>.</summary>
    public FaultProxy(int upstreamPort)
    {
        _upstreamPort = upstreamPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>The proxy's port.</summary>
    public int Port { get; }

    /// <summary><c>http://127.0.0.1:PORT</c>.</summary>
    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>Decides per request: a canned response, or null to forward. Called on the proxy's threads.</summary>
    public Func<ProxiedRequest, CannedResponse?>? Rule { get; set; }

    /// <summary>Every request head seen, in order.</summary>
    public IReadOnlyList<ProxiedRequest> Requests => _requests.ToArray();

    /// <summary>How many WebSocket connections were cut.</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    /// <summary>
    /// Arms one cut: the next WebSocket connection whose server-to-client stream passes <paramref name="bytes"/> bytes is
    /// relayed up to exactly that byte (usually the middle of a frame) and then reset on both sides.
    /// </summary>
    public void CutWebSocketOnceAfter(long bytes) => Interlocked.Exchange(ref _cutAfter, bytes);

    /// <summary>A rule that answers the first <paramref name="count"/> requests matching <paramref name="match"/> with <paramref name="response"/>.</summary>
    public static Func<ProxiedRequest, CannedResponse?> FailFirst(int count, Func<ProxiedRequest, bool> match, CannedResponse response)
    {
        var left = count;
        return r => match(r) && Interlocked.Decrement(ref left) >= 0 ? response : null;
    }

    private async Task AcceptLoopAsync()
    {
        // Bounded by the listener's life: Stop() ends AcceptTcpClientAsync.
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            var connection = new Connection(this, client);
            _connections[connection] = 0;
            _ = connection.RunAsync().ContinueWith(_ => _connections.TryRemove(connection, out byte _), TaskScheduler.Default);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var c in _connections.Keys) c.Abort();
        try
        {
            await _acceptLoop.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
        }
        _stop.Dispose();
    }

    private sealed class Connection(FaultProxy proxy, TcpClient client)
    {
        private readonly TcpClient _upstream = new();
        private readonly byte[] _buffer = new byte[65536];
        private int _start, _end;
        private volatile bool _upgraded;
        private int _aborted;

        public async Task RunAsync()
        {
            try
            {
                await _upstream.ConnectAsync(IPAddress.Loopback, proxy._upstreamPort);
                var downstream = PumpDownAsync();
                await PumpUpAsync();
                await downstream;
            }
            catch (Exception)
            {
                // A connection that fails is closed; the client sees that.
            }
            finally
            {
                Abort();
            }
        }

        public void Abort()
        {
            if (Interlocked.Exchange(ref _aborted, 1) != 0) return;
            foreach (var c in new[] { client, _upstream })
            {
                try
                {
                    c.Client.LingerState = new LingerOption(true, 0); // close = RST
                    c.Close();
                }
                catch (Exception)
                {
                }
            }
        }

        private void CloseGracefully()
        {
            if (Interlocked.Exchange(ref _aborted, 1) != 0) return;
            try
            {
                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception)
            {
            }
            client.Close();
            _upstream.Close();
        }

        /// <summary>Client to server: one request head at a time; bodies by Content-Length; raw after an upgrade or a chunked body.</summary>
        private async Task PumpUpAsync()
        {
            var from = client.GetStream();
            var to = _upstream.GetStream();
            // Bounded: each round consumes one request (or ends the connection).
            while (true)
            {
                var head = await ReadHeadAsync(from);
                if (head is null)
                {
                    _upstream.Client.Shutdown(SocketShutdown.Send);
                    return;
                }
                var request = ParseHead(head);
                proxy._requests.Enqueue(request);
                long length = request.Headers.TryGetValue("content-length", out var cl) && long.TryParse(cl, out var n) ? n : 0;
                var chunked = request.Headers.TryGetValue("transfer-encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase);
                if (proxy.Rule?.Invoke(request) is { } canned)
                {
                    if (!chunked) await SkipAsync(from, length);
                    if (canned.Status == 0)
                    {
                        // Hold the connection open until the client closes it (bounded by the proxy's life).
                        var sink = new byte[4096];
                        while (await from.ReadAsync(sink) > 0)
                        {
                        }
                        Abort();
                        return;
                    }
                    var body = Encoding.UTF8.GetBytes(canned.Body);
                    var text = new StringBuilder()
                        .Append($"HTTP/1.1 {canned.Status} {(HttpStatusCode)canned.Status}\r\n")
                        .Append("Content-Type: application/json\r\n")
                        .Append($"Content-Length: {body.Length}\r\n")
                        .Append("Connection: close\r\n");
                    if (canned.RetryAfter is not null) text.Append($"Retry-After: {canned.RetryAfter}\r\n");
                    text.Append("\r\n");
                    var stream = client.GetStream();
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(text.ToString()));
                    await stream.WriteAsync(body);
                    await stream.FlushAsync();
                    CloseGracefully();
                    return;
                }
                await to.WriteAsync(head);
                if (request.IsUpgrade || chunked)
                {
                    _upgraded |= request.IsUpgrade;
                    if (_end > _start) await to.WriteAsync(_buffer.AsMemory(_start, _end - _start));
                    _start = _end = 0;
                    await from.CopyToAsync(to);
                    _upstream.Client.Shutdown(SocketShutdown.Send);
                    return;
                }
                await CopyBodyAsync(from, to, length);
            }
        }

        /// <summary>Server to client: raw; a WebSocket connection may be cut once at an exact byte count.</summary>
        private async Task PumpDownAsync()
        {
            var from = _upstream.GetStream();
            var to = client.GetStream();
            var buffer = new byte[65536];
            long relayedSinceUpgrade = 0;
            int n;
            while ((n = await from.ReadAsync(buffer)) > 0)
            {
                if (_upgraded)
                {
                    var cutAt = Interlocked.Read(ref proxy._cutAfter);
                    if (cutAt >= 0 && relayedSinceUpgrade + n >= cutAt && Interlocked.CompareExchange(ref proxy._cutAfter, -1, cutAt) == cutAt)
                    {
                        var part = (int)Math.Max(0, cutAt - relayedSinceUpgrade);
                        if (part > 0) await to.WriteAsync(buffer.AsMemory(0, part));
                        await to.FlushAsync();
                        Interlocked.Increment(ref proxy._cuts);
                        Abort();
                        return;
                    }
                    relayedSinceUpgrade += n;
                }
                await to.WriteAsync(buffer.AsMemory(0, n));
            }
            try
            {
                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception)
            {
            }
        }

        private async Task<byte[]?> ReadHeadAsync(NetworkStream from)
        {
            // Bounded: a head over the buffer's size is refused.
            while (true)
            {
                var span = _buffer.AsSpan(_start, _end - _start);
                var at = span.IndexOf("\r\n\r\n"u8);
                if (at >= 0)
                {
                    var head = span[..(at + 4)].ToArray();
                    _start += at + 4;
                    return head;
                }
                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }
                if (_end == _buffer.Length) throw new InvalidDataException("request head too large");
                var n = await from.ReadAsync(_buffer.AsMemory(_end));
                if (n == 0) return null;
                _end += n;
            }
        }

        private async Task CopyBodyAsync(NetworkStream from, Stream to, long length)
        {
            while (length > 0)
            {
                if (_end > _start)
                {
                    var take = (int)Math.Min(length, _end - _start);
                    await to.WriteAsync(_buffer.AsMemory(_start, take));
                    _start += take;
                    length -= take;
                    continue;
                }
                _start = _end = 0;
                var n = await from.ReadAsync(_buffer.AsMemory(0, (int)Math.Min(_buffer.Length, length)));
                if (n == 0) throw new EndOfStreamException();
                _end = n;
            }
        }

        private Task SkipAsync(NetworkStream from, long length) => CopyBodyAsync(from, Stream.Null, length);

        private static ProxiedRequest ParseHead(byte[] head)
        {
            var lines = Encoding.ASCII.GetString(head).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
            var first = lines[0].Split(' ');
            var headers = new Dictionary<string, string>();
            foreach (var line in lines.Skip(1))
            {
                var colon = line.IndexOf(':');
                if (colon > 0) headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
            }
            return new ProxiedRequest(first[0], first.Length > 1 ? first[1] : "/", headers);
        }
    }
}
