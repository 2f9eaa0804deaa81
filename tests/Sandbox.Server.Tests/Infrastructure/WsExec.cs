using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandbox.Server.Tests.Infrastructure;

/// <summary>A WebSocket to {dataplane_url}/execute/ws speaking JSON text frames.</summary>
public sealed class WsExec : IAsyncDisposable
{
    private WsExec(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    public static Uri UrlFor(string dataplaneUrl)
    {
        var b = new UriBuilder(dataplaneUrl.TrimEnd('/') + "/execute/ws");
        b.Scheme = b.Scheme == "https" ? "wss" : "ws";
        return b.Uri;
    }

    public static async Task<WsExec> ConnectAsync(ServerProcess server, string dataplaneUrl, string? apiKey = "")
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        var key = apiKey == "" ? server.ApiKey : apiKey;
        if (key is not null) socket.Options.SetRequestHeader("X-Api-Key", key);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await socket.ConnectAsync(UrlFor(dataplaneUrl), cts.Token);
        return new WsExec(socket);
    }

    public Task SendAsync(JsonObject frame)
    {
        var bytes = Encoding.UTF8.GetBytes(frame.ToJsonString());
        return Socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None);
    }

    /// <summary>The next frame, or null when the server closed the socket.</summary>
    public async Task<JsonElement?> ReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            while (true)
            {
                var result = await Socket.ReceiveAsync(buffer.GetMemory(65536), cts.Token);
                if (result.MessageType == WebSocketMessageType.Close) return null;
                buffer.Advance(result.Count);
                if (result.EndOfMessage) break;
            }
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"no WebSocket frame within {timeout.TotalSeconds} s");
        }
        return JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone();
    }

    /// <summary>Frames until (and including) an exit or error frame, or until the server closes.</summary>
    public async Task<List<JsonElement>> ReceiveUntilEndAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var frames = new List<JsonElement>();
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new Xunit.Sdk.XunitException($"no exit/error frame within {timeout.TotalSeconds} s; frames so far: {Describe(frames)}");
            JsonElement? frame;
            try
            {
                frame = await ReceiveAsync(left);
            }
            catch (Xunit.Sdk.XunitException)
            {
                throw new Xunit.Sdk.XunitException($"no exit/error frame within {timeout.TotalSeconds} s; frames so far: {Describe(frames)}");
            }
            catch (WebSocketException e)
            {
                throw new Xunit.Sdk.XunitException($"the WebSocket broke before an exit/error frame ({e.Message}); frames so far: {Describe(frames)}");
            }
            if (frame is null) return frames;
            frames.Add(frame.Value);
            if (frame.Value.Str("type") is "exit" or "error") return frames;
        }
    }

    /// <summary>
    /// Frames until an exit/error frame or until the socket ends in any way (also abruptly). For tests whose subject is
    /// not the WebSocket protocol itself: they check the output, the protocol tests check the ending.
    /// </summary>
    public async Task<List<JsonElement>> ReceiveOutputAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var frames = new List<JsonElement>();
        while (DateTime.UtcNow < deadline)
        {
            JsonElement? frame;
            try
            {
                frame = await ReceiveAsync(deadline - DateTime.UtcNow);
            }
            catch (WebSocketException)
            {
                return frames;
            }
            if (frame is null) return frames;
            frames.Add(frame.Value);
            if (frame.Value.Str("type") is "exit" or "error") return frames;
        }
        return frames;
    }

    public static string Describe(IEnumerable<JsonElement> frames)
    {
        var list = frames.ToList();
        static string Short(string s) => s.Length > 300 ? s[..300] + $"...({s.Length} chars)" : s;
        var shown = list.Count > 30 ? list.Take(10).Concat(list.Skip(list.Count - 10)).ToList() : list;
        var text = string.Join(", ", shown.Select(f => Short(f.GetRawText())));
        return list.Count > 30 ? $"[{list.Count} frames; first and last 10: {text}]" : $"[{text}]";
    }

    /// <summary>Concatenated data of the stdout or stderr frames, checking that offsets are contiguous byte offsets from <paramref name="start"/>.</summary>
    public static string Stream(IEnumerable<JsonElement> frames, string type, long start = 0)
    {
        var sb = new StringBuilder();
        var expected = start;
        foreach (var f in frames.Where(f => f.Str("type") == type))
        {
            var data = f.Str("data");
            var offset = f.GetProperty("offset").GetInt64();
            Assert.True(offset == expected, $"{type} frame at offset {offset}, expected {expected} (byte offsets, no gaps, no repeats): {Describe(frames)}");
            expected += Encoding.UTF8.GetByteCount(data);
            sb.Append(data);
        }
        return sb.ToString();
    }

    public static JsonObject Execute(string command, double? timeoutSeconds = null, JsonObject? extra = null)
    {
        var frame = new JsonObject { ["type"] = "execute", ["command"] = command };
        if (timeoutSeconds is { } t) frame["timeout_seconds"] = t;
        if (extra is not null)
            foreach (var (k, v) in extra) frame[k] = v?.DeepClone();
        return frame;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // CloseReceived: the server closed first and waits for our answer to its close frame.
            if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
            }
        }
        catch (Exception)
        {
            Socket.Abort();
        }
        Socket.Dispose();
    }
}
