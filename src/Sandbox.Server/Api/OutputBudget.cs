namespace Sandbox.Server.Api;

/// <summary>
/// The server-wide account of command output held in memory (<c>--output-budget</c>): every chunk that
/// POST /execute keeps and every chunk of a WebSocket session's <see cref="OutputBuffer"/> is reserved here
/// first. Output lives in chunks of <see cref="ChunkBytes"/> (below the large object heap threshold, so
/// they are freed by ordinary collections and never pin large segments).
/// </summary>
public sealed class OutputBudget(ServerOptions options)
{
    /// <summary>Size of one output chunk: under 85,000 bytes, so chunks stay off the large object heap.</summary>
    public const int ChunkBytes = 64 << 10;

    private readonly Lock _lock = new();
    private long _used;
    private TaskCompletionSource _freed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Limit { get; } = options.OutputBudget;

    public long Used
    {
        get
        {
            lock (_lock) return _used;
        }
    }

    /// <summary>
    /// Called when a reservation does not fit: ends one detached WebSocket session (the longest detached)
    /// and answers true, or answers false when there is none. Set by <see cref="ExecWebSocket"/>.
    /// </summary>
    public Func<bool>? Relieve { get; set; }

    /// <summary>Completes the next time reserved bytes are released.</summary>
    public Task Freed
    {
        get
        {
            lock (_lock) return _freed.Task;
        }
    }

    /// <summary>Reserves <paramref name="bytes"/> if they fit; else ends detached sessions (oldest first) until they do.</summary>
    public bool TryReserve(long bytes)
    {
        while (true)
        {
            lock (_lock)
            {
                if (_used + bytes <= Limit)
                {
                    _used += bytes;
                    return true;
                }
            }
            if (Relieve?.Invoke() != true) return false;
        }
    }

    public void Release(long bytes)
    {
        if (bytes == 0) return;
        TaskCompletionSource freed;
        lock (_lock)
        {
            _used -= bytes;
            freed = _freed;
            _freed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        freed.TrySetResult();
    }
}
