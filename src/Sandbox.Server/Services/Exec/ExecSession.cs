using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Sandbox.Server.Runtime;

namespace Sandbox.Server.Api;

/// <summary>
/// One command started over the WebSocket. Pumps copy its pipes into output buffers whatever
/// the socket does; at most one socket is attached at a time and replays from its offsets.
/// </summary>
internal sealed class ExecSession
{
    private readonly RunningCommand _command;
    private readonly IDisposable _activity;
    private readonly double _timeoutSeconds;
    private readonly TimeSpan _detachedGrace;
    private readonly bool _killOnDisconnect;
    private readonly ExecWebSocket _owner;
    private readonly OutputBuffer _stdout;
    private readonly OutputBuffer _stderr;
    private readonly Lock _lock = new();
    private CancellationTokenSource? _attached;
    private int _exitCode = -1;
    private bool _timedOut;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>When the last socket went away; null while one is attached (or about to be, right after the start).</summary>
    private DateTime? _detachedSince;
    /// <summary>Ended by the server (detached-session budgets): no socket may attach any more.</summary>
    private bool _ended;
    /// <summary>The exit (or time-out) frame was sent to a client: the session is kept only for a late reconnect.</summary>
    private volatile bool _delivered;

    private readonly bool _binaryOutput;

    public ExecSession(string commandId, string sandboxId, RunningCommand command, IDisposable activity, double timeoutSeconds, TimeSpan detachedGrace, bool killOnDisconnect, bool binaryOutput, ExecWebSocket owner)
    {
        _binaryOutput = binaryOutput;
        CommandId = commandId;
        SandboxId = sandboxId;
        _command = command;
        _activity = activity;
        _timeoutSeconds = timeoutSeconds;
        _detachedGrace = detachedGrace;
        _killOnDisconnect = killOnDisconnect;
        _owner = owner;
        _stdout = new OutputBuffer(owner.Budget);
        _stderr = new OutputBuffer(owner.Budget);
        _stdout.Grew = _stderr.Grew = OnGrew;
    }

    /// <summary>Since when no socket is attached; null while one is.</summary>
    public DateTime? DetachedSince
    {
        get
        {
            lock (_lock) return _ended ? null : _detachedSince;
        }
    }

    /// <summary>
    /// Which detached sessions the budgets end first: 0 when its end was already sent to a client, 1 when the
    /// command has finished, 2 while it runs (the longest detached first within each).
    /// </summary>
    public int EndRank => _delivered ? 0 : _finished.Task.IsCompleted ? 1 : 2;

    /// <summary>Memory held by the session's output.</summary>
    public long RetainedBytes => _stdout.RetainedBytes + _stderr.RetainedBytes;

    /// <summary>Gives back the replay windows (output already sent): see <see cref="OutputBuffer.TrimAcknowledged"/>.</summary>
    internal long TrimReplay() => _stdout.TrimAcknowledged() + _stderr.TrimAcknowledged();

    /// <summary>A detached session that takes more output may push the detached sessions over their budget.</summary>
    private void OnGrew()
    {
        if (DetachedSince is not null) _owner.EnforceDetachedBudget();
    }

    /// <summary>
    /// Ends a detached session (over a budget): kills the command if it still runs and drops its output.
    /// False when a socket is attached or it already ended.
    /// </summary>
    internal bool TryEnd()
    {
        lock (_lock)
        {
            if (_attached is not null || _ended || _detachedSince is null) return false;
            _ended = true;
        }
        if (!_finished.Task.IsCompleted) _command.Kill();
        _stdout.Release();
        _stderr.Release();
        return true;
    }

    public string CommandId { get; }
    public string SandboxId { get; }

    public void Run()
    {
        var pumps = Task.WhenAll(PumpAsync(_command.Stdout, _stdout), PumpAsync(_command.Stderr, _stderr));
        _ = SuperviseAsync(pumps);
    }

    private static async Task PumpAsync(Stream source, OutputBuffer target)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(OutputBudget.ChunkBytes);
        try
        {
            int n;
            while ((n = await source.ReadAsync(buffer.AsMemory(0, OutputBudget.ChunkBytes))) > 0) await target.AppendAsync(buffer.AsMemory(0, n), CancellationToken.None);
        }
        catch (IOException)
        {
        }
        finally
        {
            target.Complete();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task SuperviseAsync(Task pumps)
    {
        try
        {
            var exited = _command.Exited;
            if (_timeoutSeconds > 0)
            {
                var finished = await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(_timeoutSeconds)));
                if (finished != exited)
                {
                    _timedOut = true;
                    _command.Kill();
                }
            }
            try
            {
                _exitCode = await exited;
            }
            catch (Exception e)
            {
                _owner.Log.LogWarning("command {Id} lost its helper: {Error}", CommandId, e.Message);
            }
            // Background jobs may hold the pipes: give the output a moment, then close it.
            await Task.WhenAny(pumps, Task.Delay(DataplaneEndpoints.BackgroundOutputGrace));
            _stdout.Complete();
            _stderr.Complete();
        }
        finally
        {
            _activity.Dispose();
            _finished.TrySetResult();
        }
        // Keep the finished session for late reconnects, then let it go.
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            lock (_lock)
                if (_ended || (_attached is null && _detachedSince is { } since && DateTime.UtcNow - since > TimeSpan.FromSeconds(Math.Max(60, _detachedGrace.TotalSeconds))))
                    break;
        }
        _owner.Forget(this);
        _stdout.Release();
        _stderr.Release();
        await _command.DisposeAsync();
    }

    /// <summary>Serves one socket until the command's end has been sent or the socket goes away.</summary>
    public async Task AttachAsync(WebSocket socket, JsonElement first, CancellationToken ct)
    {
        long stdoutPos = 0, stderrPos = 0;
        if (first.TryGetProperty("stdout_offset", out var so) && so.ValueKind == JsonValueKind.Number && so.TryGetInt64(out var s1)) stdoutPos = s1;
        if (first.TryGetProperty("stderr_offset", out var se) && se.ValueKind == JsonValueKind.Number && se.TryGetInt64(out var s2)) stderrPos = s2;
        var binary = first.TryGetProperty("binary_output", out var b) ? b.ValueKind == JsonValueKind.True : _binaryOutput;
        using var attachment = CancellationTokenSource.CreateLinkedTokenSource(ct);
        lock (_lock)
        {
            if (_ended)
                throw new ApiException(404, "SessionExpired", $"command '{CommandId}' was ended: {ExecWebSocket.EndedReason}");
            _attached?.Cancel(); // a newer socket replaces an older one
            _attached = attachment;
            _detachedSince = null;
        }
        var receive = ReceiveLoopAsync(socket, attachment.Token);
        var json = binary ? null : new ArrayBufferWriter<byte>(ExecWebSocket.TextFrameBytes + 256);
        try
        {
            if (first.GetProperty("type").GetString() == "execute")
                await ExecWebSocket.SendAsync(socket, w =>
                {
                    w.WriteString("type", "started");
                    w.WriteString("command_id", CommandId);
                    w.WriteNumber("pid", _command.Pid);
                }, attachment.Token);
            while (true)
            {
                var outChanged = _stdout.Changed;
                var errChanged = _stderr.Changed;
                var sentOut = await SendAvailableAsync(socket, OutputStream.Stdout, _stdout, stdoutPos, json, attachment.Token);
                stdoutPos += sentOut;
                var sentErr = await SendAvailableAsync(socket, OutputStream.Stderr, _stderr, stderrPos, json, attachment.Token);
                stderrPos += sentErr;
                if (sentOut < 0 || sentErr < 0)
                {
                    await FinishAsync(socket, receive, attachment.Token);
                    return;
                }
                if (sentOut > 0 || sentErr > 0) continue;
                if (_finished.Task.IsCompleted && _stdout.Completed && _stderr.Completed && stdoutPos >= _stdout.End && stderrPos >= _stderr.End)
                {
                    if (_timedOut)
                        await ExecWebSocket.SendErrorAsync(socket, "CommandTimeout", $"command did not finish within {_timeoutSeconds} s and was killed", attachment.Token);
                    else
                        await ExecWebSocket.SendAsync(socket, w =>
                        {
                            w.WriteString("type", "exit");
                            w.WriteNumber("exit_code", _exitCode);
                        }, attachment.Token);
                    _delivered = true;
                    await FinishAsync(socket, receive, attachment.Token);
                    return;
                }
                await Task.WhenAny(outChanged, errChanged, _finished.Task, receive).WaitAsync(attachment.Token);
                if (receive.IsCompleted) throw new OperationCanceledException("the client closed the socket");
            }
        }
        catch (Exception) when (!_finished.Task.IsCompleted && _killOnDisconnect)
        {
            _command.Kill();
            throw;
        }
        finally
        {
            // Cancelling a pending WebSocket receive aborts the connection: only done when the
            // client did not answer our close, or when a newer socket replaced this one.
            if (!receive.IsCompleted) attachment.Cancel();
            var detached = false;
            lock (_lock)
            {
                if (_attached == attachment)
                {
                    _attached = null;
                    _detachedSince = DateTime.UtcNow;
                    detached = true;
                    _ = ExpireIfAbandonedAsync();
                }
            }
            // Before the socket is closed: a client that saw the close and reconnects finds the budgets applied.
            if (detached) _owner.EnforceDetachedBudget();
        }
    }

    /// <summary>Closes our side and gives the client a moment to answer the close handshake.</summary>
    private static async Task FinishAsync(WebSocket socket, Task receive, CancellationToken ct)
    {
        try
        {
            if (socket.State == WebSocketState.Open) await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);
            await Task.WhenAny(receive, Task.Delay(TimeSpan.FromSeconds(2), ct));
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

    private async Task ReceiveLoopAsync(WebSocket socket, CancellationToken ct)
    {
        try
        {
            while (await ReceiveFrameAsync(socket, ct) is { } frame)
            {
                // A later frame that is not an object with a string type is ignored, as unknown types are.
                if (frame.ValueKind != JsonValueKind.Object) continue;
                var type = frame.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                if (type == "kill") _command.Kill();
                else if (type == "input" && _command.Stdin is { } stdin)
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
                    if (frame.TryGetProperty("eof", out var eof) && eof.ValueKind == JsonValueKind.True) await stdin.DisposeAsync();
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ApiException or ObjectDisposedException)
        {
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

    /// <summary>A running command whose client is gone past the grace period is killed.</summary>
    private async Task ExpireIfAbandonedAsync()
    {
        if (_killOnDisconnect && !_finished.Task.IsCompleted)
        {
            _command.Kill();
            return;
        }
        await Task.WhenAny(_finished.Task, Task.Delay(_detachedGrace));
        lock (_lock)
            if (_attached is not null || _finished.Task.IsCompleted || _ended || _detachedSince is not { } since || DateTime.UtcNow - since < _detachedGrace)
                return;
        _owner.Log.LogInformation("command {Id} abandoned by its client; killing it", CommandId);
        _command.Kill();
    }
}
