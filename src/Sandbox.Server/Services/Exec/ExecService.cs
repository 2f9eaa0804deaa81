using System.Collections.Concurrent;

namespace Sandbox.Server.Services.Exec;

/// <summary>
/// Commands run in sandboxes, supervised here whatever the transport: <see cref="RunToEndAsync"/> for
/// <c>POST /execute</c> (output captured up to <c>--exec-output-limit</c>), and <see cref="ExecSession"/>s for the
/// WebSocket, which outlive any one socket and are found again by command id. Detached sessions are held within
/// <c>--detached-sessions</c> and <c>--detached-output-budget</c>, and all output within <c>--output-budget</c>.
/// </summary>
public sealed class ExecService
{
    /// <summary>How long output is still collected after the command itself has exited (background jobs may hold its pipes).</summary>
    public static readonly TimeSpan BackgroundOutputGrace = TimeSpan.FromSeconds(2);

    internal const string EndedReason = "detached sessions were over the server's budget (--detached-sessions, --detached-output-budget, --output-budget); "
        + "those whose end was delivered are ended first, then finished ones, then running ones, the longest detached first within each";

    private const int EndedKept = 1024;
    private readonly ConcurrentDictionary<string, ExecSession> _sessions = new();
    /// <summary>Command ids whose session is being started, so that a concurrent retry waits for it instead of starting another.</summary>
    private readonly ConcurrentDictionary<string, Task<ExecSession>> _starting = new();
    private readonly Lock _enforceLock = new();
    /// <summary>Command ids of sessions the budgets ended (the newest <see cref="EndedKept"/>), to say why on reconnect.</summary>
    private readonly ConcurrentDictionary<string, string> _ended = new();
    private readonly ConcurrentQueue<string> _endedOrder = new();
    private readonly SandboxManager _manager;
    private readonly CommandLauncher _launcher;
    private readonly ServerOptions _options;

    public ExecService(SandboxManager manager, CommandLauncher launcher, OutputBudget budget, ServerOptions options, ILogger<ExecService> log)
    {
        _manager = manager;
        _launcher = launcher;
        _options = options;
        Log = log;
        Budget = budget;
        budget.Relieve = Relieve;
    }

    internal OutputBudget Budget { get; }
    internal ILogger Log { get; }

    // ---------------------------------------------------------------- POST /execute

    /// <summary>
    /// Runs a command to its end (408-like <see cref="TimedOutException"/> past <paramref name="timeoutSeconds"/>, the
    /// command killed). Each stream keeps at most --exec-output-limit bytes; the rest is drained (the command never
    /// blocks) and counted. The caller disposes the result, which gives the output's memory back.
    /// </summary>
    public async Task<CommandOutcome> RunToEndAsync(string sandboxId, CommandRequest request, double timeoutSeconds, CancellationToken ct)
    {
        var sandbox = await _manager.RequireReadyAsync(sandboxId);
        using var activity = _manager.BeginActivity(sandboxId);
        await using var command = await _launcher.StartAsync(sandbox, request, withStdin: false, ct);
        var outcome = new CommandOutcome(new CapturedOutput(_options.ExecOutputLimit, Budget), new CapturedOutput(_options.ExecOutputLimit, Budget));
        try
        {
            var capture = Task.WhenAll(outcome.Stdout.CaptureAsync(command.Stdout), outcome.Stderr.CaptureAsync(command.Stderr));
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
            try
            {
                outcome.ExitCode = await command.Exited.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                command.Kill();
                throw new TimedOutException("CommandTimeout", $"command did not finish within {timeoutSeconds} s and was killed");
            }
            // A background job started by the command may hold its pipes open: give it a moment, then answer.
            await Task.WhenAny(capture, Task.Delay(BackgroundOutputGrace, deadline.Token)).ContinueWith(_ => { }, TaskScheduler.Default);
            outcome.Stdout.Seal();
            outcome.Stderr.Seal();
            return outcome;
        }
        catch
        {
            outcome.Dispose();
            throw;
        }
    }

    // ---------------------------------------------------------------- sessions

    /// <summary>
    /// Get-or-create by command id: the session already known under <paramref name="commandId"/> in this sandbox (a
    /// client retrying an execute whose <c>started</c> it never saw attaches to it, never starting a second command),
    /// else a new one. 409 <c>CommandIdInUse</c> when the id names another sandbox's command or a different command.
    /// </summary>
    public async Task<ExecSession> GetOrStartSessionAsync(string sandboxId, string commandId, CommandRequest request, ExecSessionOptions options, CancellationToken ct)
    {
        var sandbox = await _manager.RequireReadyAsync(sandboxId);
        var starting = new TaskCompletionSource<ExecSession>(TaskCreationOptions.RunContinuationsAsynchronously);
        while (true)
        {
            if (_sessions.TryGetValue(commandId, out var known)) return SameCommand(known, sandboxId, request);
            if (_starting.TryAdd(commandId, starting.Task)) break;
            // Another request is starting this id right now: attach to what it starts (or fail as it does).
            if (_starting.TryGetValue(commandId, out var pending)) return SameCommand(await pending.WaitAsync(ct), sandboxId, request);
        }
        try
        {
            // Between the look-up and the claim the first starter may have finished: look once more.
            if (_sessions.TryGetValue(commandId, out var known))
            {
                starting.SetResult(known);
                return SameCommand(known, sandboxId, request);
            }
            var session = await StartSessionAsync(sandbox, commandId, request, options, ct);
            starting.SetResult(session);
            return session;
        }
        catch (Exception e)
        {
            starting.TrySetException(e);
            _ = starting.Task.Exception; // observed: a waiter may never come
            throw;
        }
        finally
        {
            _starting.TryRemove(new KeyValuePair<string, Task<ExecSession>>(commandId, starting.Task));
        }
    }

    private static ExecSession SameCommand(ExecSession session, string sandboxId, CommandRequest request)
    {
        if (session.SandboxId != sandboxId)
            throw new ConflictException("CommandIdInUse", $"command_id '{session.CommandId}' is already in use by a command of another sandbox");
        if (session.Command != request.Command)
            throw new ConflictException("CommandIdInUse",
                $"command_id '{session.CommandId}' already names a different command in this sandbox (an execute with a known command_id attaches to that command only when it repeats the same command)");
        return session;
    }

    private async Task<ExecSession> StartSessionAsync(State.SandboxRecord sandbox, string commandId, CommandRequest request, ExecSessionOptions options, CancellationToken ct)
    {
        var activity = _manager.BeginActivity(sandbox.Id);
        Runtime.ISandboxProcess command;
        try
        {
            // close_stdin: the command's stdin is /dev/null from the start, so a read sees end-of-file at once.
            command = options.Terminal is { } size
                ? await _launcher.StartPtyAsync(sandbox, request, size.Cols, size.Rows, ct)
                : await _launcher.StartAsync(sandbox, request, withStdin: !options.CloseStdin, ct);
        }
        catch
        {
            activity.Dispose();
            throw;
        }
        var session = new ExecSession(commandId, sandbox.Id, request.Command, command, activity, options, this);
        if (!_sessions.TryAdd(commandId, session))
        {
            await command.DisposeAsync();
            activity.Dispose();
            throw new ConflictException("CommandIdInUse", $"command_id '{commandId}' is already in use");
        }
        session.Run();
        return session;
    }

    /// <summary>The session of a reconnect (404 <c>SessionExpired</c>, saying why when the budgets ended it).</summary>
    public ExecSession FindSession(string sandboxId, string commandId)
    {
        if (_sessions.TryGetValue(commandId, out var session) && session.SandboxId == sandboxId) return session;
        throw new NotFoundException("SessionExpired", _ended.TryGetValue(commandId, out var why)
            ? $"command '{commandId}' was ended while detached ({why}): {EndedReason}"
            : $"no command '{commandId}' to reconnect to (it ended long ago or never ran here)");
    }

    /// <summary>True while a command of a WebSocket session runs, attached or waiting for its client (the idle shutdown waits for it).</summary>
    public bool AnySessionRunning => _sessions.Values.Any(s => !s.Finished.IsCompleted);

    internal void Forget(ExecSession session) => _sessions.TryRemove(new KeyValuePair<string, ExecSession>(session.CommandId, session));

    // ---------------------------------------------------------------- budgets

    /// <summary>Ends detached sessions (in the order of <see cref="First"/>) while they are over their count or byte budget.</summary>
    internal void EnforceDetachedBudget()
    {
        lock (_enforceLock)
        {
            while (true)
            {
                var detached = Detached();
                if (detached.Count == 0) return;
                var bytes = detached.Sum(d => d.Session.RetainedBytes);
                if (detached.Count <= _options.DetachedSessions && bytes <= _options.DetachedOutputBudget) return;
                if (!End(First(detached), $"{detached.Count} detached sessions holding {bytes} bytes")) continue;
            }
        }
    }

    /// <summary>
    /// For <see cref="OutputBudget.Relieve"/>: gives back the replay windows of every session (output already sent);
    /// when there were none, ends the longest-detached session. False when neither freed anything.
    /// </summary>
    private bool Relieve()
    {
        long trimmed = 0;
        foreach (var session in _sessions.Values) trimmed += session.TrimReplay();
        return trimmed > 0 || EndOldestDetached();
    }

    private bool EndOldestDetached()
    {
        lock (_enforceLock)
        {
            while (Detached() is { Count: > 0 } detached)
                if (End(First(detached), "the server's output budget is used up"))
                    return true;
            return false;
        }
    }

    /// <summary>The session to end first: one whose end was already delivered, then a finished one, then a running one; the longest detached within each.</summary>
    private static ExecSession First(List<(ExecSession Session, DateTime Since)> detached) =>
        detached.OrderBy(d => d.Session.EndRank).ThenBy(d => d.Since).First().Session;

    private List<(ExecSession Session, DateTime Since)> Detached() =>
        _sessions.Values.Select(s => (Session: s, Since: s.DetachedSince)).Where(d => d.Since is not null).Select(d => (d.Session, d.Since!.Value)).ToList();

    private bool End(ExecSession session, string why)
    {
        if (!session.TryEnd()) return false;
        Forget(session);
        if (_ended.TryAdd(session.CommandId, why)) _endedOrder.Enqueue(session.CommandId);
        while (_endedOrder.Count > EndedKept && _endedOrder.TryDequeue(out var old)) _ended.TryRemove(old, out _);
        Log.LogInformation("command {Id} in sandbox {Sandbox} ended while detached: {Why}", session.CommandId, session.SandboxId, why);
        return true;
    }
}

/// <summary>What a command run to its end left: its exit code and each stream's captured output (dispose to free it).</summary>
public sealed class CommandOutcome(CapturedOutput stdout, CapturedOutput stderr) : IDisposable
{
    public CapturedOutput Stdout { get; } = stdout;
    public CapturedOutput Stderr { get; } = stderr;
    public int ExitCode { get; internal set; }

    public void Dispose()
    {
        Stdout.Dispose();
        Stderr.Dispose();
    }
}
