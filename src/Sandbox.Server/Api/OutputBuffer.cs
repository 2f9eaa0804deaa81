using System.Buffers;

namespace Sandbox.Server.Api;

/// <summary>
/// One output stream of a command, kept from <see cref="Start"/> to <see cref="End"/> (byte offsets)
/// so that a client that reconnects can ask for everything after the last byte it saw.
/// While nobody reads, the writer waits once <see cref="MaxRetained"/> bytes are held: the command
/// blocks on its pipe instead of output being lost.
/// </summary>
public sealed class OutputBuffer
{
    public const int MaxRetained = 32 << 20;
    /// <summary>Bytes kept behind a reader's position, for frames that were sent but lost with a dropped socket.</summary>
    public const int ReplayWindow = 16 << 20;

    private readonly LinkedList<Chunk> _chunks = new();
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly record struct Chunk(long Offset, byte[] Data, int Length);

    public long Start { get; private set; }
    public long End { get; private set; }
    public bool Completed { get; private set; }

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
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (End - Start < MaxRetained)
                {
                    // Pooled chunks: a 256 MiB stream would otherwise churn the large object heap.
                    var copy = ArrayPool<byte>.Shared.Rent(data.Length);
                    data.Span.CopyTo(copy);
                    _chunks.AddLast(new Chunk(End, copy, data.Length));
                    End += data.Length;
                    Signal();
                    return;
                }
                wait = _changed.Task;
            }
            await wait.WaitAsync(ct);
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

    /// <summary>A reader has everything before <paramref name="position"/>: drop what lies beyond the replay window.</summary>
    public void Acknowledge(long position)
    {
        lock (_lock)
        {
            var keepFrom = position - ReplayWindow;
            var dropped = false;
            while (_chunks.First is { } first && first.Value.Offset + first.Value.Length <= keepFrom)
            {
                Start = first.Value.Offset + first.Value.Length;
                ArrayPool<byte>.Shared.Return(first.Value.Data);
                _chunks.RemoveFirst();
                dropped = true;
            }
            if (dropped) Signal();
        }
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
            for (var node = _chunks.First; node is not null && copied < available; node = node.Next)
            {
                var chunk = node.Value;
                if (chunk.Offset + chunk.Length <= position) continue;
                var from = (int)Math.Max(0, position + copied - chunk.Offset);
                var count = Math.Min(chunk.Length - from, available - copied);
                chunk.Data.AsSpan(from, count).CopyTo(destination[copied..]);
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
