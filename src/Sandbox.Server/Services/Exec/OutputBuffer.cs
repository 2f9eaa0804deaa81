namespace Sandbox.Server.Services.Exec;

/// <summary>
/// One output stream of a command, kept from <see cref="Start"/> to <see cref="End"/> (byte offsets)
/// so that a client that reconnects can ask for everything after the last byte it saw.
/// While nobody reads, the writer waits once <see cref="MaxRetained"/> bytes are held: the command
/// blocks on its pipe instead of output being lost. Bytes live in dense chunks of
/// <see cref="OutputBudget.ChunkBytes"/>, each reserved in the server's <see cref="OutputBudget"/> first;
/// when the budget has no room the writer waits too (after detached sessions were ended to make room).
/// </summary>
public sealed class OutputBuffer(OutputBudget budget)
{
    public const int MaxRetained = 32 << 20;
    /// <summary>Bytes kept behind a reader's position, for frames that were sent but lost with a dropped socket.</summary>
    public const int ReplayWindow = 16 << 20;

    private const int ChunkBytes = OutputBudget.ChunkBytes;
    private readonly List<byte[]> _chunks = []; // _chunks[i] holds [Start + i * ChunkBytes, ...)
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _released;
    private long _acknowledged; // the furthest position a reader has been sent

    public long Start { get; private set; }
    public long End { get; private set; }
    public bool Completed { get; private set; }

    /// <summary>Bytes of memory held (whole chunks).</summary>
    public long RetainedBytes
    {
        get
        {
            lock (_lock) return (long)_chunks.Count * ChunkBytes;
        }
    }

    /// <summary>Called (outside any lock) after the buffer took another chunk.</summary>
    public Action? Grew { get; set; }

    /// <summary>Completes when data is appended, the stream ends or room is made.</summary>
    public Task Changed
    {
        get
        {
            lock (_lock) return _changed.Task;
        }
    }

    private void Signal()
    {
        var old = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }

    public async Task AppendAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        byte[]? spare = null; // a chunk reserved outside the lock (reserving may end other sessions)
        try
        {
            while (data.Length > 0)
            {
                Task? wait = null;
                bool copied = false, grew = false;
                lock (_lock)
                {
                    if (_released) return;
                    var inLast = (int)((End - Start) % ChunkBytes);
                    if (inLast != 0 || spare is not null)
                    {
                        if (inLast == 0)
                        {
                            _chunks.Add(spare!);
                            spare = null;
                            grew = true;
                        }
                        var n = Math.Min(data.Length, ChunkBytes - inLast);
                        data.Span[..n].CopyTo(_chunks[^1].AsSpan(inLast));
                        End += n;
                        data = data[n..];
                        Signal();
                        copied = true;
                    }
                    else if (End - Start >= MaxRetained)
                    {
                        wait = _changed.Task;
                    }
                }
                if (grew) Grew?.Invoke();
                if (copied) continue;
                if (wait is not null)
                {
                    await wait.WaitAsync(ct);
                    continue;
                }
                if (budget.TryReserve(ChunkBytes))
                {
                    spare = GC.AllocateUninitializedArray<byte>(ChunkBytes);
                    continue;
                }
                // The server holds as much output as it may: wait until some is released (or read here).
                Task freed;
                lock (_lock) freed = _changed.Task;
                await Task.WhenAny(budget.Freed, freed, Task.Delay(250, ct)).WaitAsync(ct);
            }
        }
        finally
        {
            if (spare is not null) budget.Release(ChunkBytes);
        }
    }

    public void Complete()
    {
        lock (_lock)
        {
            Completed = true;
            Signal();
        }
    }

    /// <summary>Drops every byte and gives the memory back (the session ended): later appends are discarded, reads see nothing.</summary>
    public void Release()
    {
        long bytes;
        lock (_lock)
        {
            if (_released) return;
            _released = true;
            bytes = (long)_chunks.Count * ChunkBytes;
            _chunks.Clear();
            Start = End;
            Completed = true;
            Signal();
        }
        budget.Release(bytes);
    }

    /// <summary>A reader has everything before <paramref name="position"/>: drop what lies beyond the replay window.</summary>
    public void Acknowledge(long position)
    {
        long freed = 0;
        lock (_lock)
        {
            _acknowledged = Math.Max(_acknowledged, position);
            var keepFrom = position - ReplayWindow;
            // Whole chunks only; the last (partly filled) chunk stays for appends.
            var drop = 0;
            while (drop < _chunks.Count - 1 && Start + (long)(drop + 1) * ChunkBytes <= keepFrom) drop++;
            if (drop > 0)
            {
                _chunks.RemoveRange(0, drop);
                Start += (long)drop * ChunkBytes;
                freed = (long)drop * ChunkBytes;
                Signal();
            }
        }
        budget.Release(freed);
    }

    /// <summary>
    /// Drops the replay window (bytes a reader was already sent) when the server's budget is short: a reconnect
    /// from an older offset then gets <c>OutputLost</c>. Answers the bytes given back.
    /// </summary>
    public long TrimAcknowledged()
    {
        long freed;
        lock (_lock)
        {
            var drop = 0;
            while (drop < _chunks.Count - 1 && Start + (long)(drop + 1) * ChunkBytes <= _acknowledged) drop++;
            if (drop == 0) return 0;
            _chunks.RemoveRange(0, drop);
            Start += (long)drop * ChunkBytes;
            freed = (long)drop * ChunkBytes;
            Signal();
        }
        budget.Release(freed);
        return freed;
    }

    /// <summary>
    /// Copies bytes from <paramref name="position"/> into <paramref name="destination"/>; with
    /// <paramref name="wholeCharacters"/> the copy stops at a UTF-8 character boundary unless the
    /// stream has ended. Returns the count, or -1 when the position is no longer kept.
    /// </summary>
    public int Read(long position, Span<byte> destination, bool wholeCharacters)
    {
        lock (_lock)
        {
            if (position < Start) return -1;
            var available = (int)Math.Min(End - position, destination.Length);
            if (available <= 0) return 0;
            var copied = 0;
            while (copied < available)
            {
                var at = position + copied - Start;
                var chunk = _chunks[(int)(at / ChunkBytes)];
                var from = (int)(at % ChunkBytes);
                var count = Math.Min(ChunkBytes - from, available - copied);
                chunk.AsSpan(from, count).CopyTo(destination[copied..]);
                copied += count;
            }
            var atEnd = position + available == End && Completed;
            return wholeCharacters && !atEnd ? Utf8Boundary.CompleteLength(destination[..available]) : available;
        }
    }
}

internal static class Utf8Boundary
{
    /// <summary>The length of the prefix that does not end inside a multi-byte character.</summary>
    public static int CompleteLength(ReadOnlySpan<byte> bytes)
    {
        for (var back = 1; back <= Math.Min(4, bytes.Length); back++)
        {
            var b = bytes[^back];
            if ((b & 0xC0) == 0x80) continue; // continuation byte: keep looking for the lead
            var needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return needed > back ? bytes.Length - back : bytes.Length;
        }
        return bytes.Length;
    }
}
