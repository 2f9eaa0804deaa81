using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Sandbox.Server.Services.Exec;

namespace Sandbox.Server.Api;

/// <summary>
/// One socket attached to an <see cref="ExecSession"/>: replays its output from the client's offsets as text or
/// binary frames, passes <c>input</c> and <c>kill</c> frames on, and ends with the command's <c>exit</c> frame.
/// </summary>
internal static class ExecSocket
{
    /// <summary>How long a client gets to answer our close frame before its connection is aborted.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);

    /// <summary>Serves one socket until the command's end has been sent or the socket goes away.</summary>
    public static async Task ServeAsync(ExecSession session, WebSocket socket, JsonElement first, CancellationToken ct)
    {
        long stdoutPos = 0, stderrPos = 0;
        if (first.TryGetProperty("stdout_offset", out var so) && so.ValueKind == JsonValueKind.Number && so.TryGetInt64(out var s1)) stdoutPos = s1;
        if (first.TryGetProperty("stderr_offset", out var se) && se.ValueKind == JsonValueKind.Number && se.TryGetInt64(out var s2)) stderrPos = s2;
        var binary = first.TryGetProperty("binary_output", out var b) ? b.ValueKind == JsonValueKind.True : session.BinaryOutput;
        // The attachment is cancelled when a newer socket replaces this one; the socket's own I/O runs on `io`, which
        // is cancelled (aborting the connection) only with the request or once the close grace has passed, so that a
        // replaced socket is closed with a close frame and a reason, not reset.
        using var attachment = session.Attach(ct);
        using var io = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var replaced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onReplaced = attachment.Token.Register(() =>
        {
            if (ct.IsCancellationRequested) return; // the request itself went away: nothing to close
            replaced.TrySetResult();
            try { io.CancelAfter(CloseGrace + CloseGrace); } catch (ObjectDisposedException) { }
        });
        var receive = ReceiveLoopAsync(session, socket, io.Token);
        var json = binary ? null : new ArrayBufferWriter<byte>(ExecWebSocket.TextFrameBytes + 256);
        try
        {
            // First on every socket: to an execute (new or attached to by its command_id) and to a reconnect, whose
            // acknowledgement it is (the current SDKs reset their reconnect budget on it; older ones ignore it).
            await ExecWebSocket.SendAsync(socket, w =>
                {
                    w.WriteString("type", "started");
                    w.WriteString("command_id", session.CommandId);
                    w.WriteNumber("pid", session.Pid);
                }, io.Token);
            while (true)
            {
                if (replaced.Task.IsCompleted)
                {
                    await FinishAsync(socket, receive, io.Token, "replaced by a newer connection to this command");
                    return;
                }
                var outChanged = session.Stdout.Changed;
                var errChanged = session.Stderr.Changed;
                var sentOut = await SendAvailableAsync(socket, OutputStream.Stdout, session.Stdout, stdoutPos, json, io.Token);
                stdoutPos += sentOut;
                var sentErr = await SendAvailableAsync(socket, OutputStream.Stderr, session.Stderr, stderrPos, json, io.Token);
                stderrPos += sentErr;
                if (sentOut < 0 || sentErr < 0)
                {
                    await FinishAsync(socket, receive, io.Token);
                    return;
                }
                if (sentOut > 0 || sentErr > 0) continue;
                if (session.Finished.IsCompleted && session.Stdout.Completed && session.Stderr.Completed && stdoutPos >= session.Stdout.End && stderrPos >= session.Stderr.End)
                {
                    if (session.TimedOut)
                        await ExecWebSocket.SendErrorAsync(socket, "CommandTimeout", $"command did not finish within {session.TimeoutSeconds} s and was killed", io.Token);
                    else
                        await ExecWebSocket.SendAsync(socket, w =>
                        {
                            w.WriteString("type", "exit");
                            w.WriteNumber("exit_code", session.ExitCode);
                        }, io.Token);
                    session.MarkDelivered();
                    await FinishAsync(socket, receive, io.Token);
                    return;
                }
                await Task.WhenAny(outChanged, errChanged, session.Finished, receive, replaced.Task).WaitAsync(io.Token);
                if (receive.IsCompleted) throw new OperationCanceledException("the client closed the socket");
            }
        }
        catch (Exception) when (!session.Finished.IsCompleted && session.KillOnDisconnect)
        {
            session.Kill();
            throw;
        }
        finally
        {
            // Cancelling a pending WebSocket receive aborts the connection: only done when the
            // client did not answer our close within the grace.
            if (!receive.IsCompleted) io.Cancel();
            session.Detach(attachment);
        }
    }

    /// <summary>Closes our side (with <paramref name="reason"/> when given) and gives the client a moment to answer the close handshake.</summary>
    private static async Task FinishAsync(WebSocket socket, Task receive, CancellationToken ct, string? reason = null)
    {
        try
        {
            if (socket.State == WebSocketState.Open) await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, reason, ct);
            await Task.WhenAny(receive, Task.Delay(CloseGrace, ct));
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
        {
        }
    }

    /// <summary>Sends what is buffered after <paramref name="position"/>; the count sent, or -1 when it was dropped.</summary>
    /// <remarks>Binary frames when <paramref name="json"/> is null, else JSON text frames built in it.</remarks>
    private static async Task<long> SendAvailableAsync(WebSocket socket, OutputStream stream, OutputBuffer buffer, long position, ArrayBufferWriter<byte>? json, CancellationToken ct)
    {
        long sent = 0;
        var binary = json is null;
        var frame = ArrayPool<byte>.Shared.Rent(OutputFrames.HeaderBytes + ExecWebSocket.FrameBytes);
        try
        {
            while (true)
            {
                var payload = frame.AsSpan(OutputFrames.HeaderBytes, binary ? ExecWebSocket.FrameBytes : ExecWebSocket.TextFrameBytes);
                var count = buffer.Read(position + sent, payload, wholeCharacters: !binary);
                if (count < 0)
                {
                    await ExecWebSocket.SendErrorAsync(socket, "OutputLost", $"{stream.ToString().ToLowerInvariant()} before offset {buffer.Start} is no longer kept", ct);
                    return -1;
                }
                if (count == 0) return sent;
                if (binary)
                {
                    OutputFrames.WriteHeader(frame, stream, position + sent);
                    await socket.SendAsync(frame.AsMemory(0, OutputFrames.HeaderBytes + count), WebSocketMessageType.Binary, true, ct);
                }
                else
                {
                    await socket.SendAsync(OutputFrames.Json(stream, position + sent, payload[..count], json!), WebSocketMessageType.Text, true, ct);
                }
                sent += count;
                buffer.Acknowledge(position + sent);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private static async Task ReceiveLoopAsync(ExecSession session, WebSocket socket, CancellationToken ct)
    {
        try
        {
            while (await ReceiveFrameAsync(socket, ct) is { } frame)
            {
                // A later frame that is not an object with a string type is ignored, as unknown types are.
                if (frame.ValueKind != JsonValueKind.Object) continue;
                var type = frame.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                if (type == "kill") session.Kill();
                else if (type == "close_stdin") await session.CloseStdinAsync();
                else if (type == "resize") Resize(session, frame);
                else if (type == "input" && session.Stdin is { } stdin)
                {
                    if (frame.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.String)
                    {
                        var bytes = Encoding.UTF8.GetBytes(d.GetString()!);
                        try
                        {
                            await stdin.WriteAsync(bytes, ct);
                            await stdin.FlushAsync(ct);
                        }
                        catch (IOException)
                        {
                            // The command closed its stdin.
                        }
                    }
                    if (frame.TryGetProperty("eof", out var eof) && eof.ValueKind == JsonValueKind.True) await session.CloseStdinAsync();
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ApiException or ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// <c>{"type":"resize","cols","rows"}</c> on a pty command: the terminal's new size (the command gets SIGWINCH).
    /// Like other later frames, one without a terminal or with sizes outside 1-1000 is ignored.
    /// </summary>
    private static void Resize(ExecSession session, JsonElement frame)
    {
        if (session.Terminal is not { } terminal || !Cells(frame, "cols", out var cols) || !Cells(frame, "rows", out var rows)) return;
        try
        {
            terminal.Resize(cols, rows);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The terminal is gone with its command.
        }

        static bool Cells(JsonElement frame, string name, out int value)
        {
            value = 0;
            return frame.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out value) && value is >= 1 and <= TerminalSize.Max;
        }
    }

    /// <summary>The next frame; one that fails the JSON checks (bad UTF-8, duplicate fields, ...) is skipped. Null at close.</summary>
    private static async Task<JsonElement?> ReceiveFrameAsync(WebSocket socket, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return await ExecWebSocket.ReceiveJsonAsync(socket, ct);
            }
            catch (ValidationException)
            {
            }
        }
    }
}
