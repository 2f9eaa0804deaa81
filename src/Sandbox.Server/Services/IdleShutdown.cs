using Sandbox.Server.Services.Exec;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>
/// What the idle shutdown counts as use: requests in flight and when the last one ended. Health checks
/// (<c>/healthz</c>, which <c>Get-SandboxServer</c> sends) are not use, or looking at a server would keep it alive.
/// </summary>
public sealed class ServerActivity(TimeProvider clock)
{
    private int _inFlight;
    private long _lastTicks = clock.GetUtcNow().UtcTicks;

    /// <summary>Requests being served now (a WebSocket or PTY stream is one request for as long as it is open).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>When the server last stopped being busy (a request ended, or something else kept it, see <see cref="Touch"/>).</summary>
    public DateTime LastActivity => new(Interlocked.Read(ref _lastTicks), DateTimeKind.Utc);

    /// <summary>Notes use now.</summary>
    public void Touch() => Interlocked.Exchange(ref _lastTicks, clock.GetUtcNow().UtcTicks);

    /// <summary>Counts every request but health checks from its start to its end.</summary>
    public async Task Middleware(HttpContext ctx, RequestDelegate next)
    {
        if (ctx.Request.Path.Equals("/healthz", StringComparison.OrdinalIgnoreCase))
        {
            await next(ctx);
            return;
        }
        Interlocked.Increment(ref _inFlight);
        Touch();
        try
        {
            await next(ctx);
        }
        finally
        {
            Touch();
            Interlocked.Decrement(ref _inFlight);
        }
    }
}

/// <summary>
/// <c>--idle-shutdown</c>: stops the server (as SIGTERM does) once it has been idle that long. Idle: no request in flight,
/// no command running (<c>POST /execute</c>, WebSocket sessions, attached or waiting for their client), no terminal session,
/// and no user's sandbox provisioning or ready. Running sandboxes keep the server because it is what enforces their
/// idle ttl and ttl: a server that left would leave them running unwatched. Stopped and paused sandboxes, and pools' idle
/// replicas, do not keep it (their timers resume at the next start).
/// </summary>
public sealed class IdleShutdownService(
    ServerOptions options, ServerActivity activity, SandboxManager manager, ExecService exec, PtySessions pty, SandboxRepository sandboxRows,
    IHostApplicationLifetime lifetime, TimeProvider clock, ILogger<IdleShutdownService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.IdleShutdown is not { } limit) return;
        activity.Touch(); // the clock starts when the server is up, not while it prepared (images, reconcile)
        // A quarter of the limit, between 250 ms and 10 s: a 2 s limit ends within about 2.5 s, a 30 min one within 30 min 10 s.
        var period = TimeSpan.FromMilliseconds(Math.Clamp(limit.TotalMilliseconds / 4, 250, 10_000));
        using var timer = new PeriodicTimer(period, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (Busy())
                {
                    activity.Touch();
                    continue;
                }
                var idle = clock.GetUtcNow().UtcDateTime - activity.LastActivity;
                if (idle < limit) continue;
                log.LogInformation("idle for {Seconds:0} s (--idle-shutdown {Limit}): shutting down", idle.TotalSeconds, ServerOptions.FormatDuration(limit));
                lifetime.StopApplication();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "idle shutdown check failed");
            }
        }
    }

    private bool Busy() =>
        activity.InFlight > 0 || manager.AnyCommandRunning || exec.AnySessionRunning || pty.AnyActive || sandboxRows.AnyRunning();
}
