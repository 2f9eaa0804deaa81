using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Sandbox.Bench;

internal sealed record SandboxInfo(string Id, string Name, string DataplaneUrl, string Status);

internal sealed class ApiException(string message) : Exception(message);

/// <summary>A minimal client of the wire API: only what the bench drives.</summary>
internal sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _base;
    private readonly string _root;
    private readonly string _apiKey;

    public ApiClient(string endpoint, string apiKey)
    {
        _apiKey = apiKey;
        _root = endpoint.TrimEnd('/');
        _base = _root + "/v2/sandboxes";
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            MaxConnectionsPerServer = 16,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(120) };
        _http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
    }

    private static StringContent JsonBody(object body) =>
        new(JsonSerializer.Serialize(body), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
            throw new ApiException($"{what}: HTTP {(int)response.StatusCode} {Shorten(text)}");
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ApiException($"{what}: response is not JSON ({e.Message}): {Shorten(text)}");
        }
    }

    private static string Shorten(string s) => s.Length > 400 ? s[..400] + "..." : s;

    public async Task<SandboxInfo> CreateAsync(string name, CancellationToken ct)
    {
        using var response = await _http.PostAsync(_base + "/boxes",
            JsonBody(new { template_name = "base", name, wait_for_ready = true, timeout = 60 }), ct);
        var json = await ReadJsonAsync(response, $"POST /boxes ({name})", ct);
        if (response.StatusCode != HttpStatusCode.Created)
            throw new ApiException($"POST /boxes ({name}): expected 201, got {(int)response.StatusCode}");
        var info = new SandboxInfo(
            json.GetProperty("id").GetString()!,
            json.GetProperty("name").GetString()!,
            json.GetProperty("dataplane_url").GetString()!,
            json.GetProperty("status").GetString()!);
        if (info.Status != "ready") throw new ApiException($"POST /boxes ({name}) with wait_for_ready answered status '{info.Status}'");
        return info;
    }

    public async Task DeleteAsync(string name, CancellationToken ct)
    {
        using var response = await _http.DeleteAsync($"{_base}/boxes/{Uri.EscapeDataString(name)}", ct);
        if (response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotFound) return;
        var text = await response.Content.ReadAsStringAsync(ct);
        throw new ApiException($"DELETE /boxes/{name}: HTTP {(int)response.StatusCode} {Shorten(text)}");
    }

    /// <summary>POST {dataplane}/execute; returns the exit code. <paramref name="shell"/> null: the server's default (/bin/bash).</summary>
    public Task<int> ExecuteAsync(string dataplaneUrl, string command, CancellationToken ct, string? shell = null) =>
        ExecuteAtAsync(dataplaneUrl.TrimEnd('/') + "/execute", "POST /execute",
            shell is null ? new { command, timeout = 60 } : new { command, shell, timeout = 60 }, bearer: false, ct);

    /// <summary>
    /// leap0's <c>POST /v1/sandbox/{id}/process/execute</c> (runs <c>/bin/sh -c</c>) with leap0's auth header
    /// (<c>authorization: Bearer</c>), on the same connection pool as the /v2 calls; returns the exit code.
    /// </summary>
    public Task<int> Leap0ExecuteAsync(string id, string command, CancellationToken ct) =>
        ExecuteAtAsync($"{_root}/v1/sandbox/{Uri.EscapeDataString(id)}/process/execute", "POST /v1/.../process/execute",
            new { command, timeout = 60 }, bearer: true, ct);

    private async Task<int> ExecuteAtAsync(string url, string what, object body, bool bearer, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonBody(body) };
        if (bearer) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
        using var response = await _http.SendAsync(request, ct);
        var json = await ReadJsonAsync(response, what, ct);
        return json.GetProperty("exit_code").GetInt32();
    }

    private static Uri WebSocketUri(string dataplaneUrl)
    {
        var b = new UriBuilder(dataplaneUrl.TrimEnd('/') + "/execute/ws");
        b.Scheme = b.Scheme == "https" ? "wss" : "ws";
        return b.Uri;
    }

    /// <summary>
    /// One WebSocket exec, as a user does it: connect, send the execute frame, read frames until
    /// <c>exit</c>. Counts the decoded stdout bytes. The close handshake happens after the clock stops
    /// (<paramref name="stopClock"/> is called at the exit frame).
    /// </summary>
    public async Task<(int ExitCode, long StdoutBytes, long LastOffsetEnd)> ExecuteWebSocketAsync(
        string dataplaneUrl, string command, int timeoutSeconds, Action? stopClock, CancellationToken ct, bool binaryOutput = false)
    {
        using var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("X-Api-Key", _apiKey);
        ws.Options.KeepAliveInterval = TimeSpan.Zero;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds + 30));
        await ws.ConnectAsync(WebSocketUri(dataplaneUrl), deadline.Token);
        var first = JsonSerializer.SerializeToUtf8Bytes(new
        {
            type = "execute",
            command,
            timeout_seconds = timeoutSeconds,
            shell = "/bin/bash",
            idle_timeout_seconds = 300,
            kill_on_disconnect = true,
            ttl_seconds = 600,
            binary_output = binaryOutput,
        });
        await ws.SendAsync(first, WebSocketMessageType.Text, true, deadline.Token);

        var message = new byte[1 << 20];
        var decoded = ArrayPool<byte>.Shared.Rent(1 << 20);
        long stdoutBytes = 0, lastOffsetEnd = 0;
        int? exitCode = null;
        var seen = new List<string>();
        long parseTicks = 0, frameCount = 0, wireBytes = 0;
        try
        {
            // Bounded: by the deadline, and by a generous cap on frames.
            for (long frames = 0; frames < 50_000_000 && exitCode is null; frames++)
            {
                var length = 0;
                var messageType = WebSocketMessageType.Text;
                while (true)
                {
                    if (length == message.Length) Array.Resize(ref message, message.Length * 2);
                    var r = await ws.ReceiveAsync(message.AsMemory(length), deadline.Token);
                    messageType = r.MessageType;
                    if (r.MessageType == WebSocketMessageType.Close)
                        throw new ApiException($"WebSocket closed before the exit frame ({ws.CloseStatus} {ws.CloseStatusDescription}); stdout bytes so far {stdoutBytes}");
                    length += r.Count;
                    if (r.EndOfMessage) break;
                }
                if (messageType == WebSocketMessageType.Binary)
                {
                    // Local-server extension: [stream byte][offset u64 big-endian][raw bytes].
                    if (length < 9) throw new ApiException($"binary output frame of {length} bytes is shorter than its header");
                    var offset = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(message.AsSpan(1, 8));
                    frameCount++;
                    wireBytes += length;
                    if (message[0] == 1)
                    {
                        if (offset != stdoutBytes) throw new ApiException($"binary stdout frame at offset {offset}, expected {stdoutBytes}");
                        stdoutBytes += length - 9;
                        lastOffsetEnd = stdoutBytes;
                    }
                    continue;
                }
                var parseStart = System.Diagnostics.Stopwatch.GetTimestamp();
                var frame = ParseFrame(message.AsSpan(0, length), ref decoded);
                parseTicks += System.Diagnostics.Stopwatch.GetTimestamp() - parseStart;
                frameCount++;
                wireBytes += length;
                if (seen.Count < 8) seen.Add(frame.Type ?? "?");
                switch (frame.Type)
                {
                    case "stdout":
                        stdoutBytes += frame.DataBytes;
                        if (frame.Offset is long off) lastOffsetEnd = off + frame.DataBytes;
                        break;
                    case "exit":
                        exitCode = frame.ExitCode ?? -1;
                        stopClock?.Invoke();
                        break;
                    case "error":
                        throw new ApiException($"WebSocket error frame: {Encoding.UTF8.GetString(message, 0, Math.Min(length, 400))}");
                }
            }
        }
        catch (WebSocketException e)
        {
            throw new ApiException($"WebSocket failed before the exit frame after frames [{string.Join(",", seen)}] and {stdoutBytes} stdout bytes: {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(decoded);
        }
        try
        {
            using var closeTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (ws.State is WebSocketState.Open or WebSocketState.CloseReceived)
                await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, closeTimeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
        }
        LastStats = new WebSocketStats(frameCount, wireBytes, parseTicks * 1000.0 / System.Diagnostics.Stopwatch.Frequency);
        return (exitCode ?? -1, stdoutBytes, lastOffsetEnd);
    }

    /// <summary>Frames, bytes on the wire (JSON text) and client-side parse time of the last WebSocket exec.</summary>
    public WebSocketStats LastStats { get; private set; }

    public readonly record struct WebSocketStats(long Frames, long WireBytes, double ParseMs);

    private readonly record struct Frame(string? Type, long DataBytes, long? Offset, int? ExitCode);

    /// <summary>
    /// Parses one server frame without materialising strings for the payload. <c>data</c> is text
    /// (the server writes output as a JSON string); its decoded byte count is the UTF-8 length of the
    /// unescaped string. A frame with <c>"encoding": "base64"</c> is counted after base64 decoding.
    /// </summary>
    private static Frame ParseFrame(ReadOnlySpan<byte> json, ref byte[] scratch)
    {
        // Fast path for the server's own layout of output frames: {"type":"stdout","data":"...","offset":N}.
        // The data string is counted in one pass; the short rest is parsed as JSON. Anything else: full parse.
        if (json.StartsWith(StdoutPrefix) && json.Length > 4096)
        {
            var body = json[StdoutPrefix.Length..];
            long n;
            int quote;
            try
            {
                n = JsonStrings.DecodedUtf8LengthUntilQuote(body, out quote);
            }
            catch (FormatException)
            {
                return ParseFrameFully(json, ref scratch);
            }
            var rest = body[(quote + 1)..];
            if (rest.Length is > 1 and < 256 && rest[0] == (byte)',')
            {
                Span<byte> tail = stackalloc byte[rest.Length];
                tail[0] = (byte)'{';
                rest[1..].CopyTo(tail[1..]);
                var t = ParseFrameFully(tail, ref scratch);
                if (t.Type is null) return new Frame("stdout", n, t.Offset, null);
            }
        }
        return ParseFrameFully(json, ref scratch);
    }

    private static ReadOnlySpan<byte> StdoutPrefix => "{\"type\":\"stdout\",\"data\":\""u8;

    private static Frame ParseFrameFully(ReadOnlySpan<byte> json, ref byte[] scratch)
    {
        var reader = new Utf8JsonReader(json);
        string? type = null, encoding = null;
        long dataBytes = 0;
        long? offset = null;
        int? exitCode = null;
        byte[]? rawData = null;
        var rawLength = 0;
        var escapedData = -1;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new ApiException("frame is not a JSON object");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isType = reader.ValueTextEquals("type"u8);
            var isData = reader.ValueTextEquals("data"u8);
            var isOffset = reader.ValueTextEquals("offset"u8);
            var isExit = reader.ValueTextEquals("exit_code"u8);
            var isEncoding = reader.ValueTextEquals("encoding"u8);
            reader.Read();
            if (isType && reader.TokenType == JsonTokenType.String) type = reader.GetString();
            else if (isEncoding && reader.TokenType == JsonTokenType.String) encoding = reader.GetString();
            else if (isData && reader.TokenType == JsonTokenType.String)
            {
                var needed = reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
                if (scratch.Length < needed)
                {
                    ArrayPool<byte>.Shared.Return(scratch);
                    scratch = ArrayPool<byte>.Shared.Rent(needed);
                }
                if (reader.ValueIsEscaped && !reader.HasValueSequence)
                {
                    // Counting the unescaped length in one pass is several times faster than unescaping
                    // (a NUL byte of output is the 6 bytes \u0000 on the wire); JsonStrings.SelfCheck compares
                    // the count with CopyString's at start-up.
                    escapedData = reader.ValueSpan.Length;
                    dataBytes = JsonStrings.DecodedUtf8Length(reader.ValueSpan);
                }
                else
                {
                    rawLength = reader.ValueIsEscaped ? reader.CopyString(scratch) : CopyRaw(reader.ValueSpan, scratch);
                    rawData = scratch;
                }
            }
            else if (isOffset && reader.TokenType == JsonTokenType.Number) offset = reader.GetInt64();
            else if (isExit && reader.TokenType == JsonTokenType.Number) exitCode = reader.GetInt32();
            else reader.Skip();
        }
        if (escapedData >= 0 && encoding == "base64")
            throw new ApiException("base64 data with JSON escapes is not expected");
        if (rawData is not null)
        {
            if (encoding == "base64")
            {
                var bytes = Convert.FromBase64String(Encoding.ASCII.GetString(rawData, 0, rawLength));
                dataBytes = bytes.Length;
            }
            else dataBytes = rawLength;
        }
        return new Frame(type, dataBytes, offset, exitCode);
    }

    private static int CopyRaw(ReadOnlySpan<byte> value, byte[] destination)
    {
        value.CopyTo(destination);
        return value.Length;
    }

    public void Dispose() => _http.Dispose();
}
