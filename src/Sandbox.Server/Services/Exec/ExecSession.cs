using System.Buffers;
using Sandbox.Server.Runtime;

namespace Sandbox.Server.Services.Exec;

/// <summary>
/// One command started for a WebSocket client, supervised whatever the sockets do: pumps copy its pipes into output
/// buffers, its timeout kills it, and a client gone past the grace period gets it killed. At most one socket is
/// attached at a time (Api/ExecSocket.cs replays to it from its offsets); a newer one replaces it.
/// </summary>
public sealed class ExecSession
{
    private readonly ISandboxProcess _command;
    private readonly IDisposable _activity;
    private readonly TimeSpan _detachedGrace;
    private readonly ExecService _owner;
    private readonly Lock _lock = new();
    private CancellationTokenSource? _attached;
    private int _exitCode = -1;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>When the last socket went away; null while one is attached (or about to be, right after the start).</summary>
    private DateTime? _detachedSince;
    /// <summary>Ended by the server (detached-session budgets): no socket may attach any more.</summary>
    private bool _ended;
    /// <summary>The exit (or time-out) frame was sent to a client: the session is kept only for a late reconnect.</summary>
    private volatile bool _delivered;

    internal ExecSession(string commandId, string sandboxId, string commandText, ISandboxProcess command, IDisposable activity, ExecSessionOptions options, ExecService owner)
    {
        CommandId = commandId;
        SandboxId = sandboxId;
        Command = commandText;
        _command = command;
        _activity = activity;
        TimeoutSeconds = options.TimeoutSeconds;
        _detachedGrace = options.DetachedGrace;
        KillOnDisconnect = options.KillOnDisconnect;
        BinaryOutput = options.BinaryOutput;
        _owner = owner;
        Stdout = new OutputBuffer(owner.Budget);
        Stderr = new OutputBuffer(owner.Budget);
        Stdout.Grew = Stderr.Grew = OnGrew;
    }

    public string CommandId { get; }
    /// <summary>-1 for both idle_timeout_seconds and ttl_seconds: only the detached-session budgets end it.</summary>
    private bool Unbounded => _detachedGrace == Timeout.InfiniteTimeSpan;
    public string SandboxId { get; }
    /// <summary>The command line as the client sent it (an execute retried with the same command_id must repeat it).</summary>
    public string Command { get; }
    public int Pid => _command.Pid;
    public OutputBuffer Stdout { get; }
    public OutputBuffer Stderr { get; }
    /// <summary>The command's terminal when it was started with <c>pty: true</c>: its output is all on stdout, input is typed.</summary>
    public PtyProcess? Terminal => _command as PtyProcess;
    /// <summary>The command's stdin, or null when it was started without one.</summary>
    public Stream? Stdin => _command.Stdin;
    public double TimeoutSeconds { get; }
    public bool KillOnDisconnect { get; }
    /// <summary>The client asked for binary output frames when it started the command.</summary>
    public bool BinaryOutput { get; }
    /// <summary>Completes once the command has exited (or was killed at its timeout) and its output is complete.</summary>
    public Task Finished => _finished.Task;
    public bool TimedOut { get; private set; }
    public int ExitCode => _exitCode;

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
    public long RetainedBytes => Stdout.RetainedBytes + Stderr.RetainedBytes;

    /// <summary>Gives back the replay windows (output already sent): see <see cref="OutputBuffer.TrimAcknowledged"/>.</summary>
    internal long TrimReplay() => Stdout.TrimAcknowledged() + Stderr.TrimAcknowledged();

    public void Kill() => _command.Kill();

    /// <summary>
    /// Half-closes the command's stdin (the <c>close_stdin</c> frame): it reads end-of-file once what was written is
    /// read. Later <c>input</c> frames are dropped, as input after the end of a file is.
    /// </summary>
    public async Task CloseStdinAsync()
    {
        // A terminal has no end of file to close (^D is typed instead), and its stream is also the output.
        if (Terminal is not null || _command.Stdin is not { } stdin) return;
        try
        {
            await stdin.DisposeAsync();
        }
        catch (IOException)
        {
            // The command had closed its end already.
        }
    }

    /// <summary>The end (exit or time-out) reached a client.</summary>
    public void MarkDelivered() => _delivered = true;

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
        Stdout.Release();
        Stderr.Release();
        return true;
    }

    /// <summary>
    /// A socket takes the session over (a newer one replaces an older one, whose token is cancelled); the returned
    /// source is cancelled when it is replaced. 404 <c>SessionExpired</c> once the server ended the session.
    /// </summary>
    public CancellationTokenSource Attach(CancellationToken ct)
    {
        var attachment = CancellationTokenSource.CreateLinkedTokenSource(ct);
        lock (_lock)
        {
            if (_ended)
            {
                attachment.Dispose();
                throw new NotFoundException("SessionExpired", $"command '{CommandId}' was ended: {ExecService.EndedReason}");
            }
            _attached?.Cancel();
            _attached = attachment;
            _detachedSince = null;
        }
        return attachment;
    }

    /// <summary>The socket of <paramref name="attachment"/> went away: the grace period starts, unless a newer one is attached.</summary>
    public void Detach(CancellationTokenSource attachment)
    {
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

    internal void Run()
    {
        var pumps = Task.WhenAll(PumpAsync(_command.Stdout, Stdout), PumpAsync(_command.Stderr, Stderr));
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
            if (TimeoutSeconds > 0)
            {
                var finished = await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(TimeoutSeconds)));
                if (finished != exited)
                {
                    TimedOut = true;
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
            await Task.WhenAny(pumps, Task.Delay(ExecService.BackgroundOutputGrace));
            Stdout.Complete();
            Stderr.Complete();
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
                if (_ended || (_attached is null && _detachedSince is { } since && !Unbounded && DateTime.UtcNow - since > TimeSpan.FromSeconds(Math.Max(60, _detachedGrace.TotalSeconds))))
                    break;
        }
        _owner.Forget(this);
        Stdout.Release();
        Stderr.Release();
        await _command.DisposeAsync();
    }

    /// <summary>A running command whose client is gone past the grace period is killed.</summary>
    private async Task ExpireIfAbandonedAsync()
    {
        if (KillOnDisconnect && !_finished.Task.IsCompleted)
        {
            _command.Kill();
            return;
        }
        await Task.WhenAny(_finished.Task, Task.Delay(_detachedGrace));
        lock (_lock)
            if (_attached is not null || _finished.Task.IsCompleted || _ended || _detachedSince is not { } since || Unbounded || DateTime.UtcNow - since < _detachedGrace)
                return;
        _owner.Log.LogInformation("command {Id} abandoned by its client; killing it", CommandId);
        _command.Kill();
    }
}

/// <summary>How a session is supervised: its timeout, how long a detached command may wait for its client, and its output form.</summary>
/// <remarks><see cref="DetachedGrace"/> is <see cref="Timeout.InfiniteTimeSpan"/> when the client gave -1 for both idle_timeout_seconds and ttl_seconds.</remarks>
/// <remarks><see cref="Terminal"/>: started on a pseudo-terminal of that size (<c>pty: true</c>), else on pipes.</remarks>
public sealed record ExecSessionOptions(double TimeoutSeconds, TimeSpan DetachedGrace, bool KillOnDisconnect, bool BinaryOutput, bool CloseStdin = false, TerminalSize? Terminal = null);

/// <summary>A terminal's size in character cells.</summary>
public sealed record TerminalSize(int Cols, int Rows)
{
    /// <summary>The largest width or height accepted (as leap0's terminal sessions).</summary>
    public const int Max = 1000;
}
