namespace Sandbox.Server.Services.Exec;

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
    /// and answers true, or answers false when there is none. Set by <see cref="ExecService"/>.
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
                    _peakSinceCollect = Math.Max(_peakSinceCollect, _used);
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
        var collect = false;
        lock (_lock)
        {
            _used -= bytes;
            freed = _freed;
            _freed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_peakSinceCollect - _used >= CollectAfterBytes && !_collectPending) collect = _collectPending = true;
        }
        freed.TrySetResult();
        if (collect) _ = CollectSoonAsync();
    }

    /// <summary>A collection is asked for once this much output memory was given back since the last one.</summary>
    public const long CollectAfterBytes = 32L << 20;

    private long _peakSinceCollect;
    private bool _collectPending;

    /// <summary>
    /// Output chunks are ordinary arrays: once released they are garbage, and an idle server runs no collection
    /// to free them, so RSS would stay at the burst's peak. After a burst (this much released below the peak
    /// since the last collection) one blocking, compacting, decommitting collection returns the memory to the
    /// system, at most one per second, never during steady streaming (the peak does not move away from use).
    /// </summary>
    private async Task CollectSoonAsync()
    {
        await Task.Delay(TimeSpan.FromSeconds(1));
        lock (_lock)
        {
            _peakSinceCollect = _used;
            _collectPending = false;
        }
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
