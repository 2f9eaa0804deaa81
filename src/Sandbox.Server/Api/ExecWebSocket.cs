using System.Buffers;
using System.Net.WebSockets;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sandbox.Server.Services;
using Sandbox.Server.Services.Exec;

namespace Sandbox.Server.Api;

/// <summary>
/// The WebSocket framing of exec: the first frame starts or finds an <see cref="ExecSession"/> (Services/Exec), and
/// <see cref="ExecSocket"/> serves it. A session outlives any one socket: a client that reconnects with the offsets it
/// has seen gets the rest of the output, nothing lost and nothing twice.
/// </summary>
public sealed class ExecWebSocket(ExecService exec, SandboxManager manager, IHostApplicationLifetime lifetime, ILogger<ExecWebSocket> log)
{
    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task HandleAsync(string id, HttpContext ctx)
    {
        if (!ctx.WebSockets.IsWebSocketRequest)
            throw ApiException.BadRequest("WebSocketRequired", "this endpoint speaks WebSocket only");
        // Check the sandbox before the upgrade so that a bad id gets a plain HTTP error.
        await manager.RequireReadyAsync(id);
        using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping, ctx.RequestAborted);
        try
        {
            var first = await ReceiveJsonAsync(socket, stopping.Token);
            if (first is null) return;
            // Anything but an object with a string type of execute or reconnect: an error frame, then close 1008.
            if (first.Value.ValueKind != JsonValueKind.Object)
                throw ValidationException.For(["frame"], "the first frame must be a JSON object with type 'execute' or 'reconnect'", "dict_type");
            var type = first.Value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            var session = type switch
            {
                "execute" => await StartSessionAsync(id, first.Value, stopping.Token),
                "reconnect" => FindSession(id, first.Value),
                _ => throw ValidationException.For(["frame", "type"], "the first frame must have type 'execute' or 'reconnect'", "literal_error"),
            };
            await ExecSocket.ServeAsync(session, socket, first.Value, stopping.Token);
            await CloseAsync(socket, WebSocketCloseStatus.NormalClosure);
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            await CloseAsync(socket, WebSocketCloseStatus.EndpointUnavailable); // 1001: reconnect
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The client went away; the session waits for a reconnect.
            log.LogDebug(e, "exec socket for sandbox {Id} ended", id);
        }
        catch (ValidationException e)
        {
            // Bad input: the protocol's error frame, then 1008 (policy violation) so that clients see why.
            await SendErrorAsync(socket, e.Error, e.Message, CancellationToken.None);
            await CloseAsync(socket, WebSocketCloseStatus.PolicyViolation);
        }
        catch (ApiException e)
        {
            await SendErrorAsync(socket, e.Error, e.Message, CancellationToken.None);
            await CloseAsync(socket, WebSocketCloseStatus.NormalClosure);
        }
        catch (DomainException e)
        {
            await SendErrorAsync(socket, e.Code, e.Message, CancellationToken.None);
            await CloseAsync(socket, WebSocketCloseStatus.NormalClosure);
        }
        catch (Exception e)
        {
            // After the upgrade no HTTP 500 can be sent: say so in an error frame and close with 1011.
            log.LogError(e, "exec socket for sandbox {Id} failed", id);
            try
            {
                await SendErrorAsync(socket, "InternalError", e.Message, CancellationToken.None);
            }
            catch (Exception send) when (send is WebSocketException or IOException or OperationCanceledException)
            {
            }
            await CloseAsync(socket, WebSocketCloseStatus.InternalServerError);
        }
    }

    private async Task<ExecSession> StartSessionAsync(string id, JsonElement frame, CancellationToken ct)
    {
        var body = JsonInput.FromElement(frame, "execute");
        var request = DataplaneEndpoints.ReadCommand(body);
        var timeout = body.Number("timeout_seconds", 0, 24 * 3600) ?? 60;
        // -1: no idle timeout / keep the session (the current SDKs' "none"); the detached-session budgets still apply.
        var idleTimeout = Seconds(body, "idle_timeout_seconds") ?? 300;
        var ttl = Seconds(body, "ttl_seconds") ?? 600;
        var killOnDisconnect = body.Bool("kill_on_disconnect") ?? false;
        var commandId = body.String("command_id") ?? Guid.NewGuid().ToString();
        if (commandId.Length is 0 or > 256) body.Fail("command_id", "must be 1-256 characters");
        var binaryOutput = body.Bool("binary_output") ?? false;
        // Off unless asked: older clients send input after the start; current ones send close_stdin: true unless they want a pty.
        var closeStdin = body.Bool("close_stdin") ?? false;
        // pty: true runs the command on a terminal of the sandbox's own /dev/pts, as leap0's terminal sessions do; its
        // size is our extension (cols, rows; resized by a later resize frame), 80 x 24 unless given.
        var pty = body.Bool("pty") ?? false;
        var cols = (int?)body.Integer("cols", 1, TerminalSize.Max);
        var rows = (int?)body.Integer("rows", 1, TerminalSize.Max);
        if (!pty && cols is not null) body.Fail("cols", "is the terminal's width: give it only with pty: true");
        if (!pty && rows is not null) body.Fail("rows", "is the terminal's height: give it only with pty: true");
        body.ThrowIfInvalid();
        var terminal = pty ? new TerminalSize(cols ?? 80, rows ?? 24) : null;
        var bounds = new[] { idleTimeout, ttl }.Where(s => s >= 0).ToList();
        var grace = bounds.Count == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(bounds.Min());
        var options = new ExecSessionOptions(timeout, grace, killOnDisconnect, binaryOutput, closeStdin, terminal);
        return await exec.GetOrStartSessionAsync(id, commandId, request, options, ct);
    }

    /// <summary>A duration in seconds, 0 to 24 h, or -1 for none.</summary>
    private static double? Seconds(JsonInput body, string field)
    {
        if (body.Raw(field) is not { ValueKind: JsonValueKind.Number } raw) return body.Number(field, 0, 24 * 3600); // null, or the type error
        var value = raw.GetDouble();
        if (value == -1 || value is >= 0 and <= 24 * 3600) return value;
        body.Fail(field, "must be -1 (none) or between 0 and 86400 seconds");
        return null;
    }

    private ExecSession FindSession(string id, JsonElement frame)
    {
        var body = JsonInput.FromElement(frame, "reconnect");
        var commandId = body.String("command_id", required: true);
        body.Integer("stdout_offset", 0, long.MaxValue);
        body.Integer("stderr_offset", 0, long.MaxValue);
        body.ThrowIfInvalid();
        return exec.FindSession(id, commandId!);
    }

    public static async Task<JsonElement?> ReceiveJsonAsync(WebSocket socket, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>();
        while (true)
        {
            var memory = buffer.GetMemory(16384);
            var result = await socket.ReceiveAsync(memory, ct);
            if (result.MessageType == WebSocketMessageType.Close) return null;
            buffer.Advance(result.Count);
            if (buffer.WrittenCount > JsonInput.MaxBodyBytes * 4) throw ApiException.BadRequest("FrameTooLarge", "frames are limited to 4 MiB");
            if (result.EndOfMessage) break;
        }
        // The same gate as HTTP bodies: valid UTF-8 and Unicode, no duplicate fields, no NUL except in stdin data.
        return JsonInput.ParseChecked(buffer.WrittenMemory, ["frame"], AllowNulIn);
    }

    /// <summary>Only an <c>input</c> frame's <c>data</c> (bytes for the command's stdin) may carry NUL characters.</summary>
    private static bool AllowNulIn(IReadOnlyList<object> loc) => loc is [_, "data"];

    public static Task SendAsync(WebSocket socket, Action<Utf8JsonWriter> write, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        return socket.SendAsync(buffer.WrittenMemory, WebSocketMessageType.Text, true, ct).AsTask();
    }

    public static Task SendErrorAsync(WebSocket socket, string type, string message, CancellationToken ct) =>
        socket.State == WebSocketState.Open
            ? SendAsync(socket, w =>
            {
                w.WriteString("type", "error");
                w.WriteString("error_type", type);
                w.WriteString("error", message);
            }, ct)
            : Task.CompletedTask;

    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status)
    {
        try
        {
            // A client that never answers the close must not hold the request forever.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                await socket.CloseAsync(status, null, timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
        {
        }
    }

    /// <summary>Most output bytes in one binary frame.</summary>
    internal const int FrameBytes = 256 << 10;

    /// <summary>
    /// Most output bytes in one JSON text frame: its JSON is at most 6 times as long (a NUL is <c>\u0000</c>) and is
    /// built in one buffer per socket, reused frame after frame, so it stays small.
    /// </summary>
    internal const int TextFrameBytes = 64 << 10;
}
