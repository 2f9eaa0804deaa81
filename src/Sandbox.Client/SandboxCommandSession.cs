using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Sandbox.Client.Protocol;

namespace Sandbox.Client;

/// <summary>How a <see cref="SandboxCommandSession"/> talks to the sandbox.</summary>
public enum CommandTransport
{
    /// <summary>The WebSocket: output streams as it is written; stdin and kill work at any time; dropped connections are resumed.</summary>
    WebSocket,

    /// <summary>
    /// <c>POST /execute</c>, because the server refused the WebSocket (or it is turned off): the output arrives when the command ends;
    /// stdin is what was written before reading began.
    /// </summary>
    Http,
}

/// <summary>
/// A running command whose output is read as it arrives (<see cref="ReadOutputAsync"/>), with stdin, kill and exit code.
/// Over the WebSocket a dropped connection is resumed from the byte offsets already seen, so no output is lost or repeated;
/// close code 1001 (server reloading) reconnects at once. Dispose it: a command still running is then killed
/// (unless <see cref="KillOnDispose"/> is false), which is what cancelling a caller (Ctrl+C) needs.
/// </summary>
public sealed class SandboxCommandSession : IAsyncDisposable
{
    private readonly CommandsClient _commands;
    private readonly Sandbox _sandbox;
    private readonly CommandRequest _request;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Queue<CommandFrame> _pending = new();
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly StringBuilder _fallbackStdin = new();
    private ClientWebSocket? _socket;
    private TaskCompletionSource _reconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _fallbackCts;
    private long _stdoutSeen, _stderrSeen;
    private bool _trimStdout, _trimStderr;
    private int _reading;
    private bool _fallbackReading, _fallbackKilled, _inputClosed, _disposed;

    internal SandboxCommandSession(CommandsClient commands, Sandbox sandbox, CommandRequest request)
    {
        _commands = commands;
        _sandbox = sandbox;
        _request = request;
        CommandId = string.IsNullOrEmpty(request.CommandId) ? Guid.NewGuid().ToString() : request.CommandId;
        if (request.Stdin is { } stdin) _fallbackStdin.Append(stdin);
    }

    /// <summary>The command id (sent by the client, so that it can resume at any time).</summary>
    public string CommandId { get; }

    /// <summary>The sandbox's name.</summary>
    public string SandboxName => _sandbox.Name;

    /// <summary>The command line.</summary>
    public string Command => _request.Command;

    /// <summary>How the session talks to the sandbox.</summary>
    public CommandTransport Transport { get; private set; } = CommandTransport.WebSocket;

    /// <summary>The process id inside the sandbox, once the server reported it.</summary>
    public int? ProcessId { get; private set; }

    /// <summary>The exit code, once the command has ended and all its output was read.</summary>
    public int? ExitCode { get; private set; }

    /// <summary>True once the exit code is known.</summary>
    public bool HasExited => ExitCode is not null;

    /// <summary>How many times the WebSocket was reconnected.</summary>
    public int Reconnects { get; private set; }

    /// <summary>Bytes of standard output received so far (the offset a reconnect resumes from).</summary>
    public long StdoutBytes => _stdoutSeen;

    /// <summary>Bytes of standard error received so far.</summary>
    public long StderrBytes => _stderrSeen;

    /// <summary>Whether disposing a session whose command still runs kills it (default true).</summary>
    public bool KillOnDispose { get; set; } = true;

    // ---------------------------------------------------------------- start

    internal void UseHttpFallback() => Transport = CommandTransport.Http;

    internal async Task StartWebSocketAsync(CancellationToken ct)
    {
        var uri = Dialect.CommandSocket(_sandbox);
        var socket = _commands.Transport.NewWebSocket();
        try
        {
            await _commands.Transport.ConnectWebSocketAsync(socket, uri, SandboxName, ct).ConfigureAwait(false);
        }
        catch (WebSocketUpgradeRefusedException e)
        {
            // The server answered HTTP but would not upgrade: no WebSocket here. POST /execute reports any real error (404, NotReady, 401).
            socket.Dispose();
            if (_request.Terminal is not null)
                throw new SandboxNotSupportedException($"a terminal needs the command WebSocket, which this server refused (HTTP {e.Status})", null) { TargetName = SandboxName };
            UseHttpFallback();
            return;
        }
        _socket = socket;
        var frame = Dialect.ExecuteFrame(_request, CommandId);
        await SendFrameAsync(socket, frame, ct).ConfigureAwait(false);
        if (_request.Stdin is { } stdin)
        {
            // The text with eof (servers of the seed generation), then close_stdin (the current generation; a no-op where eof closed it).
            await SendFrameAsync(socket, Dialect.InputFrame(stdin, eof: true), ct).ConfigureAwait(false);
            await SendFrameAsync(socket, Dialect.CloseStdinFrame(), ct).ConfigureAwait(false);
            _inputClosed = true;
        }

        // Wait for "started" (or an error such as CommandNotFound) so that a bad command fails here; output that
        // comes first (other servers) is kept for the reader.
        for (var i = 0; i < 10_000; i++)
        {
            var f = await NextFrameAsync(ct).ConfigureAwait(false);
            if (f is null) throw new SandboxApiException("the server closed the command's WebSocket before it started", null, "WebSocketClosed") { TargetName = SandboxName };
            if (f.Type == "started")
            {
                ProcessId = f.Pid;
                return;
            }
            // An error before "started" means nothing runs (CommandNotFound, InvalidWorkingDirectory, NotReady...): fail here.
            if (f.Type == "error") throw SandboxErrorClassifier.FromErrorFrame(f.ErrorType, f.Error, SandboxName);
            _pending.Enqueue(f);
            if (f.Type == "exit") return;
        }
    }

    // ---------------------------------------------------------------- output

    /// <summary>
    /// The command's output as it arrives, stdout and stderr interleaved in arrival order; ends after the command exits
    /// (then <see cref="ExitCode"/> is set). Read it once.
    /// </summary>
    /// <exception cref="SandboxCommandTimeoutException">The command ran past its time-out and was killed.</exception>
    /// <exception cref="SandboxConnectionException">The connection dropped and could not be resumed.</exception>
    public async IAsyncEnumerable<CommandOutputChunk> ReadOutputAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0) throw new InvalidOperationException("the output of a command session can be read only once");
        if (Transport == CommandTransport.Http)
        {
            var (stdout, stderr, exit) = await RunFallbackAsync(cancellationToken).ConfigureAwait(false);
            if (stdout.Length > 0) yield return new CommandOutputChunk(CommandStream.Stdout, stdout, 0);
            if (stderr.Length > 0) yield return new CommandOutputChunk(CommandStream.Stderr, stderr, 0);
            _stdoutSeen = Encoding.UTF8.GetByteCount(stdout);
            _stderrSeen = Encoding.UTF8.GetByteCount(stderr);
            ExitCode = exit;
            yield break;
        }
        // Bounded: each round consumes one frame; the server ends with exit or error, a close without them reconnects (bounded).
        while (true)
        {
            var frame = await NextFrameAsync(cancellationToken).ConfigureAwait(false);
            if (frame is null)
            {
                if (ExitCode is null) throw new SandboxApiException("the command's WebSocket closed before the command's exit was reported", null, "WebSocketClosed") { TargetName = SandboxName };
                yield break;
            }
            switch (frame.Type)
            {
                case "started":
                    ProcessId = frame.Pid;
                    break;
                case "stdout" or "stderr":
                    if (Accept(frame) is { } chunk) yield return chunk;
                    break;
                case "exit":
                    ExitCode = frame.ExitCode ?? -1;
                    yield break;
                case "error":
                    var error = SandboxErrorClassifier.FromErrorFrame(frame.ErrorType, frame.Error, SandboxName);
                    throw error;
            }
        }
    }

    /// <summary>
    /// The output as lines, per stream (a line split across chunks is joined; <c>\r\n</c> and <c>\n</c> end lines; a last line
    /// without an ending is returned at the end).
    /// </summary>
    public async IAsyncEnumerable<CommandOutputLine> ReadLinesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var splitter = new CommandOutputLineSplitter();
        await foreach (var chunk in ReadOutputAsync(cancellationToken).ConfigureAwait(false))
            foreach (var line in splitter.Add(chunk))
                yield return line;
        foreach (var line in splitter.Flush()) yield return line;
    }

    /// <summary>Reads all output and returns the buffered result.</summary>
    public async Task<CommandResult> CollectAsync(CancellationToken cancellationToken = default)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        CommandResult Result() => new()
        {
            Sandbox = SandboxName,
            Command = Command,
            ExitCode = ExitCode ?? -1,
            Stdout = stdout.ToString(),
            Stderr = stderr.ToString(),
            Duration = _watch.Elapsed,
        };
        try
        {
            await foreach (var chunk in ReadOutputAsync(cancellationToken).ConfigureAwait(false))
                (chunk.Stream == CommandStream.Stdout ? stdout : stderr).Append(chunk.Data);
        }
        catch (SandboxCommandTimeoutException e)
        {
            // A long job's output is not thrown away with its time-out.
            e.PartialResult = Result();
            throw;
        }
        return Result();
    }

    /// <summary>Waits for the command to end, discarding output not yet read, and returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        if (ExitCode is { } code) return code;
        await foreach (var _ in ReadOutputAsync(cancellationToken).ConfigureAwait(false))
        {
        }
        return ExitCode ?? -1;
    }

    private CommandOutputChunk? Accept(CommandFrame frame)
    {
        var isOut = frame.Type == "stdout";
        ref var seen = ref isOut ? ref _stdoutSeen : ref _stderrSeen;
        ref var trim = ref isOut ? ref _trimStdout : ref _trimStderr;
        var data = frame.Data ?? "";
        var offset = frame.Offset ?? seen;
        if (trim)
        {
            // First frame of this stream after a reconnect: drop what was already seen, refuse a gap.
            if (offset < seen)
            {
                var bytes = Encoding.UTF8.GetBytes(data);
                var skip = seen - offset;
                if (skip >= bytes.Length) return null;
                data = Encoding.UTF8.GetString(bytes, (int)skip, bytes.Length - (int)skip);
                offset = seen;
            }
            else if (offset > seen)
            {
                throw new SandboxApiException($"{frame.Type} from byte {seen} to {offset} was lost across a reconnect", null, "OutputLost") { TargetName = SandboxName };
            }
            trim = false;
        }
        seen = offset + Encoding.UTF8.GetByteCount(data);
        return data.Length == 0 ? null : new CommandOutputChunk(isOut ? CommandStream.Stdout : CommandStream.Stderr, data, offset);
    }

    private async Task<(string, string, int)> RunFallbackAsync(CancellationToken ct)
    {
        string? stdin;
        lock (_fallbackStdin)
        {
            _fallbackReading = true;
            stdin = _fallbackStdin.Length > 0 || _request.Stdin is not null ? _fallbackStdin.ToString() : null;
            _fallbackCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (_fallbackKilled) _fallbackCts.Cancel();
        }
        var request = _request.WithStdin(stdin);
        try
        {
            var r = await _commands.ExecuteHttpAsync(_sandbox, request, _fallbackCts.Token).ConfigureAwait(false);
            return (r.Stdout ?? "", r.Stderr ?? "", r.ExitCode);
        }
        catch (OperationCanceledException) when (_fallbackKilled && !ct.IsCancellationRequested)
        {
            // Killed: the server killed the process group when the request went away.
            return ("", "", 128 + 9);
        }
    }

    // ---------------------------------------------------------------- frames and reconnects

    private SandboxDialect Dialect => _commands.Transport.Dialect;

    /// <summary>The next frame, reconnecting as needed; null after a clean close once the exit is known.</summary>
    private async Task<CommandFrame?> NextFrameAsync(CancellationToken ct)
    {
        // Bounded: every failed round spends one reconnect attempt of at most MaxReconnects per outage.
        var failures = 0;
        while (true)
        {
            if (_pending.Count > 0) return _pending.Dequeue();
            var socket = _socket ?? throw new ObjectDisposedException(nameof(SandboxCommandSession));
            Exception? failure = null;
            try
            {
                var message = await ReceiveMessageAsync(socket, ct).ConfigureAwait(false);
                if (message is not null)
                {
                    var frame = Dialect.ReadFrame(message.Value.Span);
                    if (frame is not null) return frame;
                    continue;
                }
                if (ExitCode is not null) return null;
            }
            catch (Exception e) when (e is WebSocketException or IOException or HttpRequestException && !ct.IsCancellationRequested)
            {
                failure = e;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }

            // The socket is gone without the command's end: resume from the offsets seen (1001: at once).
            if (failures >= _commands.Transport.Options.MaxReconnects)
                throw new SandboxConnectionException($"the command's WebSocket to sandbox '{SandboxName}' dropped and could not be resumed after {failures} attempts{(failure is null ? "" : ": " + failure.Message)}", failure) { TargetName = SandboxName };
            // The first attempt is immediate (a cut connection or close code 1001, "server reloading"); later ones back off.
            if (failures > 0) await _commands.Transport.Options.Delay(_commands.Transport.Options.Retry.Backoff(failures - 1), ct).ConfigureAwait(false);
            failures++;
            try
            {
                await ReconnectAsync(ct).ConfigureAwait(false);
            }
            catch (SandboxApiException e) when (e is SandboxConnectionException or SandboxTimeoutException && failures < _commands.Transport.Options.MaxReconnects)
            {
                // Try again after a backoff.
            }
        }
    }

    private async Task ReconnectAsync(CancellationToken ct)
    {
        var uri = Dialect.CommandSocket(_sandbox);
        var socket = _commands.Transport.NewWebSocket();
        try
        {
            await _commands.Transport.ConnectWebSocketAsync(socket, uri, SandboxName, ct).ConfigureAwait(false);
        }
        catch (WebSocketUpgradeRefusedException e)
        {
            socket.Dispose();
            if (e.Status is 502 or 503 or 504) throw new SandboxConnectionException($"the server answered {e.Status} to the WebSocket reconnect", e) { TargetName = SandboxName };
            throw SandboxErrorClassifier.FromResponse(e.Status, null, null, "GET", uri, SandboxName);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        await _sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var old = Interlocked.Exchange(ref _socket, socket);
            old?.Abort();
            old?.Dispose();
            _trimStdout = _trimStderr = true;
            Reconnects++;
            await SendFrameUnlockedAsync(socket, Dialect.ReconnectFrame(CommandId, _stdoutSeen, _stderrSeen), ct).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
        var signal = Interlocked.Exchange(ref _reconnected, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        signal.TrySetResult();
    }

    // One receive buffer per session, reused for every message: the server's frames reach 1 MiB, and a fresh
    // growing buffer per message put several MiB per frame on the large object heap.
    private readonly ArrayBufferWriter<byte> _receiveBuffer = new(64 * 1024);

    /// <summary>The next whole message; valid until the next call (frames are parsed before that).</summary>
    private async Task<ReadOnlyMemory<byte>?> ReceiveMessageAsync(ClientWebSocket socket, CancellationToken ct)
    {
        var buffer = _receiveBuffer;
        buffer.ResetWrittenCount();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.GetMemory(64 * 1024), ct).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close) return null;
            buffer.Advance(result.Count);
            if (buffer.WrittenCount > 64 << 20) throw new WebSocketException("a frame over 64 MiB");
            if (result.EndOfMessage) return buffer.WrittenMemory;
        }
    }

    private async Task SendFrameAsync(ClientWebSocket socket, object frame, CancellationToken ct)
    {
        await _sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await SendFrameUnlockedAsync(socket, frame, ct).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private Task SendFrameUnlockedAsync(ClientWebSocket socket, object frame, CancellationToken ct) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame, frame.GetType(), Dialect.Json), WebSocketMessageType.Text, true, ct);

    /// <summary>Sends a frame on the current socket; when that socket is broken, waits (bounded) for the reader to reconnect and sends once more.</summary>
    private async Task SendControlAsync(object frame, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (var attempt = 0; ; attempt++)
        {
            var socket = _socket ?? throw new ObjectDisposedException(nameof(SandboxCommandSession));
            var reconnected = _reconnected.Task;
            try
            {
                await SendFrameAsync(socket, frame, ct).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException && !ct.IsCancellationRequested && attempt == 0)
            {
                if (!ReferenceEquals(socket, _socket)) continue;
                try
                {
                    await reconnected.WaitAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    throw new SandboxConnectionException($"the command's WebSocket to sandbox '{SandboxName}' is down (read the output to resume it)", e) { TargetName = SandboxName };
                }
            }
            catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException && !ct.IsCancellationRequested)
            {
                throw new SandboxConnectionException($"the command's WebSocket to sandbox '{SandboxName}' is down: {e.Message}", e) { TargetName = SandboxName };
            }
        }
    }

    // ---------------------------------------------------------------- stdin, kill

    /// <summary>
    /// Writes text to the command's standard input (<c>{"type":"input","data":...}</c>). Over HTTP the text is collected and sent
    /// with the command when reading begins; writing after that is not supported.
    /// </summary>
    /// <exception cref="InvalidOperationException">Stdin was already closed.</exception>
    /// <exception cref="SandboxNotSupportedException">HTTP fallback and reading has begun.</exception>
    public Task WriteInputAsync(string data, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (_inputClosed) throw new InvalidOperationException("standard input is already closed");
        if (Transport == CommandTransport.Http)
        {
            lock (_fallbackStdin)
            {
                if (_fallbackReading) throw new SandboxNotSupportedException("this server offers no WebSocket: standard input must be written before the output is read", null) { TargetName = SandboxName };
                _fallbackStdin.Append(data);
            }
            return Task.CompletedTask;
        }
        return SendControlAsync(Dialect.InputFrame(data, eof: false), cancellationToken);
    }

    /// <summary>
    /// Closes the command's standard input: an input frame with <c>"eof": true</c> (the seed generation's local servers), then
    /// <c>{"type":"close_stdin"}</c> (the current generation; input already sent is read first). Each server ignores the form it does not know.
    /// </summary>
    public async Task CloseInputAsync(CancellationToken cancellationToken = default)
    {
        if (_inputClosed) return;
        if (Transport == CommandTransport.WebSocket)
        {
            await SendControlAsync(Dialect.InputFrame("", eof: true), cancellationToken).ConfigureAwait(false);
            await SendControlAsync(Dialect.CloseStdinFrame(), cancellationToken).ConfigureAwait(false);
        }
        _inputClosed = true;
    }

    /// <summary>
    /// Changes the size of the command's terminal (a <c>resize</c> frame; the command gets SIGWINCH). Only for a session
    /// started with <see cref="CommandRequest.Terminal"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The command was not started on a terminal.</exception>
    public Task ResizeAsync(TerminalSize size, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(size);
        if (_request.Terminal is null) throw new InvalidOperationException("only a command started on a terminal (CommandRequest.Terminal) can be resized");
        return HasExited ? Task.CompletedTask : SendControlAsync(Dialect.ResizeFrame(size), cancellationToken);
    }

    /// <summary>Kills the command's process group (<c>{"type":"kill"}</c>); the output then ends with the exit code (137 for SIGKILL).</summary>
    public async Task KillAsync(CancellationToken cancellationToken = default)
    {
        if (HasExited) return;
        if (Transport == CommandTransport.Http)
        {
            lock (_fallbackStdin)
            {
                _fallbackKilled = true;
                _fallbackCts?.Cancel();
            }
            return;
        }
        // A read cancelled by the caller (Ctrl+C) aborts the WebSocket; attach a fresh one so the kill still arrives.
        if (_socket is { State: not WebSocketState.Open }) await ReconnectAsync(cancellationToken).ConfigureAwait(false);
        await SendControlAsync(Dialect.KillFrame(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills a command that still runs (when <see cref="KillOnDispose"/>), closes the WebSocket and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        var socket = _socket;
        if (KillOnDispose && !HasExited)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await KillAsync(cts.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SandboxApiException or WebSocketException or IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                // Best effort: the server also kills a command abandoned past its idle time-out.
            }
        }
        _disposed = true;
        if (socket is not null)
        {
            try
            {
                if (socket.State == WebSocketState.Open)
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
            {
            }
            socket.Dispose();
        }
        _fallbackCts?.Dispose();
        _sendLock.Dispose();
    }
}

/// <summary>Splits output chunks into lines per stream (what a line-by-line reader of a command sees).</summary>
public sealed class CommandOutputLineSplitter
{
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    /// <summary>Adds a chunk; returns the lines it completes.</summary>
    public IReadOnlyList<CommandOutputLine> Add(CommandOutputChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        var buffer = chunk.Stream == CommandStream.Stdout ? _stdout : _stderr;
        List<CommandOutputLine>? lines = null;
        var data = chunk.Data;
        var start = 0;
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] != '\n') continue;
            buffer.Append(data, start, i - start);
            if (buffer.Length > 0 && buffer[^1] == '\r') buffer.Length--;
            (lines ??= []).Add(new CommandOutputLine(chunk.Stream, buffer.ToString()));
            buffer.Clear();
            start = i + 1;
        }
        buffer.Append(data, start, data.Length - start);
        return lines ?? (IReadOnlyList<CommandOutputLine>)[];
    }

    /// <summary>The unterminated last lines (stdout first), once the output has ended.</summary>
    public IReadOnlyList<CommandOutputLine> Flush()
    {
        var lines = new List<CommandOutputLine>();
        if (_stdout.Length > 0) lines.Add(new CommandOutputLine(CommandStream.Stdout, _stdout.ToString()));
        if (_stderr.Length > 0) lines.Add(new CommandOutputLine(CommandStream.Stderr, _stderr.ToString()));
        _stdout.Clear();
        _stderr.Clear();
        return lines;
    }
}
