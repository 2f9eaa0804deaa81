using System.Collections.Concurrent;
using Sandbox.Server.Runtime;

namespace Sandbox.Server.Services;

/// <summary>What a terminal session starts with.</summary>
public sealed record PtyRequest(string? Id, string? Cwd, IReadOnlyDictionary<string, string> Env, int Cols, int Rows, bool LazyStart);

/// <summary>
/// One terminal in a sandbox: a shell on a pseudo-terminal of the sandbox's own /dev/pts (<see cref="PtyProcess"/>),
/// which outlives any one connection. What it prints while no connection is attached is kept (the last
/// <see cref="PtySessions.KeptBytes"/>) and replayed to the next one.
/// </summary>
public sealed class PtySession
{
    private readonly Lock _lock = new();
    private readonly MemoryStream _kept = new();
    private Func<ReadOnlyMemory<byte>, Task>? _listener;
    private CancellationTokenSource? _attachment;

    internal PtySession(string sandboxId, string id, PtyRequest request, string cwd, DateTimeOffset createdAt)
    {
        SandboxId = sandboxId;
        Id = id;
        Request = request;
        Cwd = cwd;
        CreatedAt = createdAt;
        Cols = request.Cols;
        Rows = request.Rows;
    }

    public string SandboxId { get; }
    public string Id { get; }
    public PtyRequest Request { get; }
    public string Cwd { get; }
    public DateTimeOffset CreatedAt { get; }
    public int Cols { get; private set; }
    public int Rows { get; private set; }
    internal PtyProcess? Process { get; set; }
    internal SemaphoreSlim StartLock { get; } = new(1, 1);

    /// <summary>Its shell runs (false before a lazy start and after the shell ended).</summary>
    public bool Active => Process is { Exited.IsCompleted: false };

    /// <summary>Completes when the shell has ended (never before it started).</summary>
    public Task Ended => Process?.Exited ?? Task.Delay(Timeout.Infinite);

    internal void Resize(int cols, int rows)
    {
        Process?.Resize(cols, rows);
        (Cols, Rows) = (cols, rows);
    }

    /// <summary>Types bytes into the terminal.</summary>
    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (Process is not { } p) return;
        await p.Stream.WriteAsync(data, ct);
    }

    /// <summary>
    /// Makes <paramref name="send"/> the one receiver of the terminal's output (a connection before it is cut off:
    /// the returned token is cancelled), after replaying what was kept.
    /// </summary>
    public async Task<CancellationToken> AttachAsync(Func<ReadOnlyMemory<byte>, Task> send)
    {
        byte[] backlog;
        CancellationTokenSource attachment;
        lock (_lock)
        {
            _attachment?.Cancel();
            _attachment = attachment = new CancellationTokenSource();
            backlog = _kept.ToArray();
            _kept.SetLength(0);
            _listener = send;
        }
        if (backlog.Length > 0) await send(backlog);
        return attachment.Token;
    }

    public void Detach(CancellationToken attachment)
    {
        lock (_lock)
        {
            if (_attachment?.Token != attachment) return;
            _listener = null;
            _attachment = null;
        }
    }

    internal async Task PumpAsync()
    {
        var buffer = new byte[16 << 10];
        var stream = Process!.Stream;
        while (true)
        {
            int n;
            try
            {
                n = await Task.Run(() => stream.Read(buffer));
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                break; // EIO: the terminal's last other end closed
            }
            if (n == 0) break;
            Func<ReadOnlyMemory<byte>, Task>? listener;
            lock (_lock)
            {
                listener = _listener;
                if (listener is null)
                {
                    _kept.Write(buffer, 0, n);
                    if (_kept.Length > PtySessions.KeptBytes)
                    {
                        var tail = _kept.ToArray()[^PtySessions.KeptBytes..];
                        _kept.SetLength(0);
                        _kept.Write(tail);
                    }
                }
            }
            if (listener is not null)
            {
                try
                {
                    await listener(buffer.AsMemory(0, n).ToArray());
                }
                catch (Exception)
                {
                    // The connection broke: its handler detaches; the bytes are lost to it, as on a real terminal.
                }
            }
        }
    }
}

/// <summary>
/// Terminal sessions of sandboxes, by sandbox and session id. A session's shell is started by the sandbox's helper
/// (<c>pty</c> verb) with the sandbox's run_config (user, work_dir, env_vars) under the request's cwd and envs.
/// </summary>
public sealed class PtySessions(SandboxManager manager, SandboxRuntime runtime, CommandLauncher launcher, TimeProvider clock)
{
    public const int KeptBytes = 64 << 10;
    public const int MaxSessionsPerSandbox = 32;
    private readonly ConcurrentDictionary<(string Sandbox, string Id), PtySession> _sessions = new();

    public async Task<PtySession> CreateAsync(string sandboxId, PtyRequest request, CancellationToken ct)
    {
        var sandbox = await manager.RequireReadyAsync(sandboxId);
        manager.Touch(sandboxId);
        await ForgetDeletedAsync();
        if (List(sandboxId).Count >= MaxSessionsPerSandbox)
            throw new ConflictException("TooManySessions", $"a sandbox has at most {MaxSessionsPerSandbox} terminal sessions: delete one first");
        var id = request.Id ?? Guid.NewGuid().ToString("N")[..12];
        var cwd = request.Cwd is null ? (await launcher.SpecAsync(sandbox, Command(request), false, ct)).WorkingDirectory : CommandLauncher.ResolvePath(request.Cwd);
        var session = new PtySession(sandboxId, id, request, cwd, clock.GetUtcNow());
        if (!_sessions.TryAdd((sandboxId, id), session)) throw new ConflictException("SessionExists", $"terminal session '{id}' already exists in this sandbox");
        if (!request.LazyStart)
        {
            try
            {
                await StartAsync(session, ct);
            }
            catch
            {
                _sessions.TryRemove((sandboxId, id), out _);
                throw;
            }
        }
        return session;
    }

    /// <summary>Drops the sessions of sandboxes that were deleted since (their shells died with them).</summary>
    private async Task ForgetDeletedAsync()
    {
        foreach (var sandboxId in _sessions.Keys.Select(k => k.Sandbox).Distinct().ToList())
        {
            try
            {
                manager.GetById(sandboxId);
            }
            catch (NotFoundException)
            {
                foreach (var key in _sessions.Keys.Where(k => k.Sandbox == sandboxId).ToList())
                    if (_sessions.TryRemove(key, out var gone) && gone.Process is { } p) await p.DisposeAsync();
            }
        }
    }

    private static CommandRequest Command(PtyRequest request)
    {
        var env = new Dictionary<string, string> { ["TERM"] = "xterm-256color" };
        foreach (var (k, v) in request.Env) env[k] = v;
        return new CommandRequest("", "/bin/bash", env, request.Cwd);
    }

    /// <summary>Starts the session's shell if it has not started (a lazy session, on its first connection).</summary>
    public async Task StartAsync(PtySession session, CancellationToken ct)
    {
        await session.StartLock.WaitAsync(ct);
        try
        {
            if (session.Process is not null) return;
            var sandbox = await manager.RequireReadyAsync(session.SandboxId);
            var spec = await launcher.SpecAsync(sandbox, Command(session.Request), false, ct);
            if (spec.User is not null)
                throw new RejectedException("NotSupported", "terminal sessions run as the sandbox's root: a run_config user is not supported for them by the local server");
            try
            {
                session.Process = await PtyProcess.StartAsync(runtime.SocketPath(sandbox.Id), spec with { Argv = ["/bin/bash", "-i"] }, session.Cols, session.Rows, ct);
            }
            catch (HelperException e) when (e.Stage == "exec" && e.Errno == 2)
            {
                session.Process = await PtyProcess.StartAsync(runtime.SocketPath(sandbox.Id), spec with { Argv = ["/bin/sh", "-i"] }, session.Cols, session.Rows, ct);
            }
            catch (HelperException e) when (e.Stage == "chdir")
            {
                throw new RejectedException("InvalidWorkingDirectory", $"cannot use '{spec.WorkingDirectory}' as the terminal's directory: {e.InnerMessage()}");
            }
            catch (HelperException e) when (e.Stage == "proto")
            {
                throw new RejectedException("NotSupported", "this sandbox was booted by an older server whose helper has no terminals; stop and start it");
            }
            catch (HelperException e)
            {
                throw new RejectedException("TerminalFailed", $"cannot start a terminal in the sandbox ({e.Stage}): {e.InnerMessage()}");
            }
            catch (SandboxUnreachableException e)
            {
                throw new UnavailableException("SandboxUnavailable", $"the sandbox does not answer: {e.Message}");
            }
            _ = session.PumpAsync();
        }
        finally
        {
            session.StartLock.Release();
        }
    }

    /// <summary>True while a terminal session's shell runs (the idle shutdown waits for it).</summary>
    public bool AnyActive => _sessions.Values.Any(s => s.Active);

    public List<PtySession> List(string sandboxId)
    {
        manager.GetById(sandboxId);
        return _sessions.Values.Where(s => s.SandboxId == sandboxId).OrderBy(s => s.CreatedAt).ToList();
    }

    public PtySession Get(string sandboxId, string id)
    {
        manager.GetById(sandboxId);
        return _sessions.TryGetValue((sandboxId, id), out var s) ? s : throw new NotFoundException("SessionNotFound", $"no terminal session '{id}' in this sandbox");
    }

    public PtySession Resize(string sandboxId, string id, int cols, int rows)
    {
        var session = Get(sandboxId, id);
        session.Resize(cols, rows);
        return session;
    }

    public async Task DeleteAsync(string sandboxId, string id)
    {
        var session = Get(sandboxId, id);
        if (_sessions.TryRemove((sandboxId, id), out _) && session.Process is { } p) await p.DisposeAsync();
    }
}
