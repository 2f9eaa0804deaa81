using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Sandbox.Client.Protocol;

namespace Sandbox.Client;

/// <summary>
/// An interactive terminal in a sandbox (<see cref="CommandsClient.OpenTerminalAsync"/>): raw bytes out, typed text in,
/// a size that follows the window. Two protocols serve it: a command on the exec WebSocket's <c>pty</c> mode
/// (LangSmith, the local server) and leap0's terminal sessions (<c>/v1/sandbox/{id}/pty</c>). Disposing it ends the
/// shell.
/// </summary>
public abstract class SandboxTerminal : IAsyncDisposable
{
    private int _reading;

    /// <summary>The sandbox's name (leap0: its id).</summary>
    public abstract string SandboxName { get; }

    /// <summary>What runs, for messages ("pid 12", "session 3f2a...").</summary>
    public abstract string Description { get; }

    /// <summary>The shell's exit code once it ended, when the protocol reports one (leap0's sessions do not: null).</summary>
    public abstract int? ExitCode { get; }

    /// <summary>What the terminal shows, as it arrives, until the shell ends. Read it once.</summary>
    public IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(CancellationToken cancellationToken = default) =>
        Interlocked.Exchange(ref _reading, 1) == 0 ? ReadCoreAsync(cancellationToken) : throw new InvalidOperationException("a terminal's output can be read only once");

    private protected abstract IAsyncEnumerable<ReadOnlyMemory<byte>> ReadCoreAsync(CancellationToken cancellationToken);

    /// <summary>Types <paramref name="text"/> into the terminal (control characters included: <c>"\u0003"</c> is Ctrl+C).</summary>
    public abstract Task WriteAsync(string text, CancellationToken cancellationToken = default);

    /// <summary>Tells the terminal its new size (the shell gets SIGWINCH).</summary>
    public abstract Task ResizeAsync(TerminalSize size, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public abstract ValueTask DisposeAsync();
}

/// <summary>A command on the exec WebSocket's <c>pty</c> mode, as a terminal.</summary>
internal sealed class CommandTerminal(SandboxCommandSession session) : SandboxTerminal
{
    public override string SandboxName => session.SandboxName;

    public override string Description => $"pid {session.ProcessId}";

    public override int? ExitCode => session.ExitCode;

    private protected override async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadCoreAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var chunk in session.ReadOutputAsync(cancellationToken).ConfigureAwait(false))
            yield return Encoding.UTF8.GetBytes(chunk.Data);
    }

    public override Task WriteAsync(string text, CancellationToken cancellationToken = default) => session.WriteInputAsync(text, cancellationToken);

    public override Task ResizeAsync(TerminalSize size, CancellationToken cancellationToken = default) => session.ResizeAsync(size, cancellationToken);

    public override ValueTask DisposeAsync() => session.DisposeAsync();
}

/// <summary>
/// leap0's terminal session: created with its size, directory and variables, reached over its own WebSocket (binary
/// frames of raw terminal bytes both ways), resized by a call, deleted when disposed. The session runs the sandbox's
/// shell; the socket closes when the shell ends.
/// </summary>
internal sealed class TerminalSessionTerminal : SandboxTerminal
{
    private static readonly TimeSpan DeleteTimeout = TimeSpan.FromSeconds(5);
    private readonly SandboxTransport _transport;
    private readonly Sandbox _sandbox;
    private readonly string _id;
    private readonly ClientWebSocket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private int _disposed;

    private TerminalSessionTerminal(SandboxTransport transport, Sandbox sandbox, string id, ClientWebSocket socket) =>
        (_transport, _sandbox, _id, _socket) = (transport, sandbox, id, socket);

    /// <summary>Creates the session and connects to it; a session whose socket cannot be opened is deleted again.</summary>
    public static async Task<SandboxTerminal> OpenAsync(SandboxTransport transport, Sandbox sandbox, CommandRequest request, CancellationToken ct)
    {
        var dialect = transport.Dialect;
        var created = await transport.SendJsonAsync<JsonElement>(dialect.CreateTerminalSession(sandbox, request), sandbox.Name, null, ct).ConfigureAwait(false);
        var id = created.ValueKind == JsonValueKind.Object && created.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString()! : null;
        if (string.IsNullOrEmpty(id)) throw new SandboxApiException("the server answered a terminal session without an id", null, "InvalidResponse") { TargetName = sandbox.Name };
        var socket = transport.NewWebSocket();
        try
        {
            var uri = dialect.TerminalSessionSocket(sandbox, id);
            try
            {
                await transport.ConnectWebSocketAsync(socket, uri, sandbox.Name, ct).ConfigureAwait(false);
            }
            catch (WebSocketUpgradeRefusedException e)
            {
                throw SandboxErrorClassifier.FromResponse(e.Status, null, null, "GET", uri, sandbox.Name);
            }
        }
        catch
        {
            socket.Dispose();
            await DeleteQuietlyAsync(transport, sandbox, id).ConfigureAwait(false);
            throw;
        }
        return new TerminalSessionTerminal(transport, sandbox, id, socket);
    }

    public override string SandboxName => _sandbox.Name;

    public override string Description => $"terminal session {_id}";

    public override int? ExitCode => null;

    private protected override async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadCoreAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            ValueWebSocketReceiveResult received;
            try
            {
                received = await _socket.ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
            }
            catch (WebSocketException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new SandboxConnectionException($"the terminal session's connection broke: {e.Message}", e) { TargetName = SandboxName };
            }
            // The server closes the socket when the shell ends.
            if (received.MessageType == WebSocketMessageType.Close) yield break;
            if (received.Count > 0) yield return buffer.AsMemory(0, received.Count).ToArray();
        }
    }

    public override async Task WriteAsync(string text, CancellationToken cancellationToken = default)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Binary, true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public override Task ResizeAsync(TerminalSize size, CancellationToken cancellationToken = default) =>
        _transport.SendJsonAsync<JsonElement>(_transport.Dialect.ResizeTerminalSession(_sandbox, _id, size), SandboxName, null, cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var close = new CancellationTokenSource(DeleteTimeout);
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", close.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The session is deleted below either way.
        }
        _socket.Dispose();
        // A session outlives its socket: deleting it ends its shell.
        await DeleteQuietlyAsync(_transport, _sandbox, _id).ConfigureAwait(false);
        _sendLock.Dispose();
    }

    private static async Task DeleteQuietlyAsync(SandboxTransport transport, Sandbox sandbox, string id)
    {
        try
        {
            using var cts = new CancellationTokenSource(DeleteTimeout);
            await transport.SendNoContentAsync(transport.Dialect.DeleteTerminalSession(sandbox, id), sandbox.Name, DeleteTimeout, cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SandboxApiException or OperationCanceledException)
        {
            // Best effort: the sandbox's end ends the session too.
        }
    }
}
