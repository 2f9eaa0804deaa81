using System.Collections.Concurrent;
using Sandbox.Client;

namespace Sandbox.Module.Support;

/// <summary>
/// Carries messages (progress, output lines) from asynchronous work on thread-pool threads to one consuming thread.
/// A cmdlet runs its work as a task, posts from callbacks, and handles every message on the pipeline thread with
/// <see cref="Run{TResult}"/>, because <c>WriteProgress</c> and <c>WriteObject</c> may only be called there.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
public sealed class PipelinePump<T> : IDisposable
{
    private readonly BlockingCollection<T> _queue = new();

    /// <summary>Queues a message; ignored once the work has ended.</summary>
    /// <param name="message">The message.</param>
    public void Post(T message)
    {
        try
        {
            _queue.Add(message);
        }
        catch (InvalidOperationException)
        {
            // The work ended (CompleteAdding) or the pump is disposed (ObjectDisposedException): late messages are dropped.
        }
    }

    /// <summary>An <see cref="IProgress{T}"/> that posts to this pump synchronously (no synchronization context involved).</summary>
    public IProgress<T> AsProgress() => new PumpProgress(this);

    /// <summary>
    /// Handles every message on the calling thread until <paramref name="work"/> ends, then returns its result
    /// (or throws its exception, unwrapped).
    /// </summary>
    /// <param name="work">The running work.</param>
    /// <param name="onMessage">Called on the calling thread for each message, in order.</param>
    public TResult Run<TResult>(Task<TResult> work, Action<T> onMessage)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(onMessage);
        work.ContinueWith(_ => Complete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        foreach (var message in _queue.GetConsumingEnumerable()) onMessage(message);
        return work.GetAwaiter().GetResult();
    }

    /// <summary>Like <see cref="Run{TResult}"/> for work without a result.</summary>
    public void Run(Task work, Action<T> onMessage) => Run(WithResult(work), onMessage);

    private void Complete()
    {
        try
        {
            _queue.CompleteAdding();
        }
        catch (ObjectDisposedException)
        {
            // The consumer gave up (e.g. the pipeline was stopped) and disposed the pump before the work ended.
        }
    }

    /// <summary>Releases the queue.</summary>
    public void Dispose() => _queue.Dispose();

    private static async Task<bool> WithResult(Task work)
    {
        await work.ConfigureAwait(false);
        return true;
    }

    private sealed class PumpProgress(PipelinePump<T> pump) : IProgress<T>
    {
        public void Report(T value) => pump.Post(value);
    }
}

/// <summary>
/// Decides when a transfer's progress is worth showing and what to show: at most every <see cref="Interval"/>,
/// with percent, rate and time remaining when the total is known.
/// </summary>
public sealed class TransferProgressTracker
{
    /// <summary>Files at least this large get a progress bar (1 MiB).</summary>
    public const long LargeFileBytes = 1024 * 1024;

    private readonly System.Diagnostics.Stopwatch _watch = System.Diagnostics.Stopwatch.StartNew();
    private TimeSpan? _last; // null until the first report (TimeSpan.MinValue here overflowed "now - _last")

    /// <summary>Creates a tracker.</summary>
    /// <param name="totalBytes">The total, when known.</param>
    public TransferProgressTracker(long? totalBytes) => TotalBytes = totalBytes;

    /// <summary>The least time between two reports (250 ms).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The total, when known.</summary>
    public long? TotalBytes { get; }

    /// <summary>Bytes done so far.</summary>
    public long BytesDone { get; private set; }

    /// <summary>True when the transfer is large enough to show progress (or its size is unknown).</summary>
    public bool IsWorthShowing => TotalBytes is null || TotalBytes >= LargeFileBytes;

    /// <summary>Records the bytes done; true when a report is due (throttled; always true at completion).</summary>
    public bool Update(long bytesDone)
    {
        BytesDone = bytesDone;
        var now = _watch.Elapsed;
        if (TotalBytes is { } total && bytesDone >= total) return true;
        if (_last is { } last && now - last < Interval) return false;
        _last = now;
        return true;
    }

    /// <summary>0-100 when the total is known, else -1.</summary>
    public int PercentComplete => TotalBytes is > 0 and var total ? (int)Math.Clamp(BytesDone * 100 / total, 0, 100) : -1;

    /// <summary>Bytes per second so far.</summary>
    public double BytesPerSecond => _watch.Elapsed.TotalSeconds > 0 ? BytesDone / _watch.Elapsed.TotalSeconds : 0;

    /// <summary>Estimated seconds left, or -1 when unknown.</summary>
    public int SecondsRemaining =>
        TotalBytes is { } total && BytesPerSecond > 0 ? (int)Math.Ceiling(Math.Max(0, total - BytesDone) / BytesPerSecond) : -1;

    /// <summary>A status line such as <c>3.0 MiB of 10.0 MiB (1.2 MiB/s)</c>.</summary>
    public string StatusText =>
        TotalBytes is { } total
            ? $"{FormatBytes(BytesDone)} of {FormatBytes(total)} ({FormatBytes((long)BytesPerSecond)}/s)"
            : $"{FormatBytes(BytesDone)} ({FormatBytes((long)BytesPerSecond)}/s)";

    /// <summary>Formats a byte count with binary units.</summary>
    public static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }
}
