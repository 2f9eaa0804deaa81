using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Sandbox.Client.Protocol;

namespace Sandbox.Client;

/// <summary>
/// Commands in a sandbox's dataplane (<c>client.Commands</c>; <see cref="SandboxHandle.RunAsync(CommandRequest, CancellationToken)"/>
/// is the same for one sandbox): run to the end with a buffered result, or start a session that streams.
/// </summary>
public sealed class CommandsClient
{
    /// <summary>The most stdin text sent inside the command line when the WebSocket is unavailable.</summary>
    internal const int MaxFallbackStdinBytes = 64 * 1024;

    private readonly SandboxClient _client;

    internal CommandsClient(SandboxClient client, SandboxTransport transport)
    {
        _client = client;
        Transport = transport;
    }

    internal SandboxTransport Transport { get; }

    /// <summary>
    /// Runs a command and returns its buffered result (<c>POST {dataplane}/execute</c>; not retried). With
    /// <see cref="CommandRequest.Stdin"/> set it runs over the WebSocket (falling back to <c>POST /execute</c> with the
    /// text piped in by a POSIX shell). The call's time-out is the command's plus <see cref="SandboxDefaults.ServerWaitMargin"/>.
    /// </summary>
    /// <param name="sandbox">The sandbox (its <see cref="Sandbox.DataplaneUrl"/> is used).</param>
    /// <param name="request">The command.</param>
    /// <param name="cancellationToken">Cancels the call (the server then kills the command).</param>
    /// <returns>The result; a non-zero exit code is not an error.</returns>
    /// <exception cref="SandboxCommandTimeoutException">The command ran past its time-out and was killed.</exception>
    public async Task<CommandResult> RunAsync(Sandbox sandbox, CommandRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Terminal is not null)
            throw new ArgumentException("a command on a terminal is interactive: start it with StartAsync, not RunAsync", nameof(request));
        if (request.Stdin is not null && UsesWebSocket)
        {
            await using var session = await StartAsync(sandbox, request, cancellationToken).ConfigureAwait(false);
            return await session.CollectAsync(cancellationToken).ConfigureAwait(false);
        }
        var watch = Stopwatch.StartNew();
        var r = await ExecuteHttpAsync(sandbox, request, cancellationToken).ConfigureAwait(false);
        return new CommandResult
        {
            Sandbox = sandbox.Name, Command = request.Command, Stdout = r.Stdout ?? "", Stderr = r.Stderr ?? "", ExitCode = r.ExitCode, Duration = watch.Elapsed,
            StdoutTruncated = r.StdoutTruncated, StderrTruncated = r.StderrTruncated, StdoutBytes = r.StdoutBytes, StderrBytes = r.StderrBytes,
        };
    }

    /// <summary>Runs a command in the sandbox with this name (one <c>GET</c> first for its dataplane URL).</summary>
    public async Task<CommandResult> RunAsync(string sandboxName, CommandRequest request, CancellationToken cancellationToken = default) =>
        await RunAsync(await _client.Sandboxes.GetAsync(sandboxName, null, cancellationToken).ConfigureAwait(false), request, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Starts a command whose output streams back as it is written, over the WebSocket (<c>{dataplane}/execute/ws</c>);
    /// when the server refuses the WebSocket upgrade it falls back to <c>POST /execute</c> (see <see cref="SandboxCommandSession.Transport"/>).
    /// </summary>
    /// <param name="sandbox">The sandbox.</param>
    /// <param name="request">The command; <see cref="CommandRequest.Stdin"/>, when set, is written and stdin closed.</param>
    /// <param name="cancellationToken">Cancels starting.</param>
    /// <exception cref="SandboxConnectionException">The dataplane cannot be reached.</exception>
    public async Task<SandboxCommandSession> StartAsync(Sandbox sandbox, CommandRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(request);
        var session = new SandboxCommandSession(this, sandbox, request);
        if (!UsesWebSocket)
        {
            if (request.Terminal is not null)
                throw new SandboxNotSupportedException("a terminal needs the command WebSocket, which this endpoint or these client options do not use", null) { TargetName = sandbox.Name };
            session.UseHttpFallback();
            return session;
        }
        try
        {
            await session.StartWebSocketAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return session;
    }

    /// <summary>
    /// Opens an interactive terminal: on protocols with terminal sessions (leap0) a session running the sandbox's shell,
    /// else the command on the exec WebSocket's <c>pty</c> mode. <see cref="CommandRequest.Terminal"/> gives its size
    /// (80x24 when null); <see cref="SandboxDefaults.LoginShellCommand"/> asks for the sandbox's shell.
    /// </summary>
    /// <exception cref="SandboxNotSupportedException">The endpoint has no terminals, or not for this command.</exception>
    public async Task<SandboxTerminal> OpenTerminalAsync(Sandbox sandbox, CommandRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(request);
        request.Terminal ??= new TerminalSize(80, 24);
        if (Transport.Dialect.HasTerminalSessions) return await TerminalSessionTerminal.OpenAsync(Transport, sandbox, request, cancellationToken).ConfigureAwait(false);
        return new CommandTerminal(await StartAsync(sandbox, request, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Starts a streaming command in the sandbox with this name.</summary>
    public async Task<SandboxCommandSession> StartAsync(string sandboxName, CommandRequest request, CancellationToken cancellationToken = default) =>
        await StartAsync(await _client.Sandboxes.GetAsync(sandboxName, null, cancellationToken).ConfigureAwait(false), request, cancellationToken).ConfigureAwait(false);

    /// <summary>Streams over the WebSocket when the options allow and the protocol has one (leap0 runs commands buffered).</summary>
    private bool UsesWebSocket => Transport.Options.UseWebSocket && Transport.Dialect.HasCommandSocket;

    internal async Task<ExecuteResult> ExecuteHttpAsync(Sandbox sandbox, CommandRequest request, CancellationToken ct)
    {
        var command = request.Stdin is { } stdin ? PipeStdinInto(request.Command, stdin, request.Shell) : request.Command;
        var wire = Transport.Dialect.Execute(sandbox, request, command);
        var answer = await Transport.SendJsonAsync<JsonElement>(wire, sandbox.Name,
            TimeSpan.FromSeconds(request.TimeoutSeconds ?? SandboxDefaults.CommandTimeoutSeconds) + SandboxDefaults.ServerWaitMargin, ct).ConfigureAwait(false);
        return Transport.Dialect.ReadExecuteResult(answer);
    }

    /// <summary>
    /// Wraps <paramref name="command"/> so that a POSIX shell pipes <paramref name="stdin"/> into it: what the WebSocket's
    /// input frames do, for the <c>POST /execute</c> fallback.
    /// </summary>
    /// <exception cref="SandboxNotSupportedException">The shell is not a POSIX shell, or the text is too long for a command line.</exception>
    internal static string PipeStdinInto(string command, string stdin, string? shell)
    {
        var name = Path.GetFileName(shell ?? SandboxDefaults.Shell);
        if (name is not ("sh" or "bash" or "dash" or "ash" or "ksh" or "mksh" or "zsh" or "busybox"))
            throw new SandboxNotSupportedException($"standard input without the WebSocket needs a POSIX shell, not '{shell}'", null);
        if (Encoding.UTF8.GetByteCount(stdin) > MaxFallbackStdinBytes)
            throw new SandboxNotSupportedException($"standard input over {MaxFallbackStdinBytes / 1024} KiB needs the WebSocket, which this server does not offer", null);
        var quoted = "'" + stdin.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        return $"printf '%s' {quoted} | (\n{command}\n)";
    }
}
