using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace Sandbox.Server.Services.Exec;

/// <summary>
/// One output stream of a POST /execute: the first <c>limit</c> bytes are kept in budgeted chunks, the rest
/// is read and thrown away (the command never blocks on its pipe) and only counted. Past the limit, or when
/// the server's <see cref="OutputBudget"/> has no room, <see cref="Truncated"/> is set.
/// </summary>
public sealed partial class CapturedOutput(long limit, OutputBudget budget) : IDisposable
{
    private readonly List<byte[]> _chunks = [];
    private readonly Lock _lock = new();
    private long _reserved;
    private bool _sealed;

    /// <summary>Bytes kept (what the answer carries).</summary>
    public long Kept { get; private set; }

    /// <summary>Bytes the command wrote to the stream until it was sealed, kept or not.</summary>
    public long Total { get; private set; }

    /// <summary>True when some of <see cref="Total"/> is not in <see cref="Kept"/>.</summary>
    public bool Truncated { get; private set; }

    /// <summary>Reads <paramref name="source"/> to its end (or until it is closed under us).</summary>
    public async Task CaptureAsync(Stream source)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(OutputBudget.ChunkBytes);
        try
        {
            int n;
            while ((n = await source.ReadAsync(buffer.AsMemory(0, OutputBudget.ChunkBytes))) > 0)
            {
                Append(buffer.AsSpan(0, n));
                // Past the limit the bytes are only counted: the kernel drops them without copying them to us.
                if (Truncated && source is FileStream { SafeFileHandle: var handle } && await Task.Run(() => SpliceToNull(handle))) return;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe was closed under us when the request ended.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint splice(int fdIn, nint offIn, int fdOut, nint offOut, nuint len, uint flags);

    private const uint SpliceFMove = 1;
    private const int EIntr = 4;
    private static readonly SafeFileHandle DevNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Write);

    /// <summary>
    /// Moves the rest of a pipe to /dev/null with splice(2), counting it; true at the end of the stream, false
    /// when splice cannot be used (the caller goes on reading).
    /// </summary>
    private bool SpliceToNull(SafeFileHandle pipe)
    {
        bool pipeRef = false, nullRef = false;
        try
        {
            pipe.DangerousAddRef(ref pipeRef);
            DevNull.DangerousAddRef(ref nullRef);
            var from = (int)pipe.DangerousGetHandle();
            var to = (int)DevNull.DangerousGetHandle();
            while (true)
            {
                var n = splice(from, 0, to, 0, 1 << 20, SpliceFMove);
                if (n == 0) return true;
                if (n > 0)
                {
                    lock (_lock)
                        if (!_sealed) Total += n;
                    continue;
                }
                if (Marshal.GetLastPInvokeError() != EIntr) return false;
            }
        }
        catch (ObjectDisposedException)
        {
            return true; // closed under us when the request ended
        }
        finally
        {
            if (pipeRef) pipe.DangerousRelease();
            if (nullRef) DevNull.DangerousRelease();
        }
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            if (_sealed) return;
            Total += data.Length;
            if (Truncated) return;
            var room = limit - Kept;
            var cut = data.Length > room;
            if (cut) data = data[..(int)room];
            while (data.Length > 0)
            {
                var inLast = (int)(Kept % OutputBudget.ChunkBytes);
                if (inLast == 0)
                {
                    if (!budget.TryReserve(OutputBudget.ChunkBytes))
                    {
                        Cut();
                        return;
                    }
                    _reserved += OutputBudget.ChunkBytes;
                    _chunks.Add(GC.AllocateUninitializedArray<byte>(OutputBudget.ChunkBytes));
                }
                var n = Math.Min(data.Length, OutputBudget.ChunkBytes - inLast);
                data[..n].CopyTo(_chunks[^1].AsSpan(inLast));
                Kept += n;
                data = data[n..];
            }
            if (cut) Cut();
        }
    }

    /// <summary>Marks the output truncated and ends it at a character boundary, so that no half character is kept.</summary>
    private void Cut()
    {
        Truncated = true;
        Span<byte> tail = stackalloc byte[4];
        var n = (int)Math.Min(4, Kept);
        for (var i = 0; i < n; i++)
        {
            var at = Kept - n + i;
            tail[i] = _chunks[(int)(at / OutputBudget.ChunkBytes)][at % OutputBudget.ChunkBytes];
        }
        Kept -= n - Utf8Boundary.CompleteLength(tail[..n]);
    }

    /// <summary>Stops taking output: from now on <see cref="Kept"/>, <see cref="Total"/> and the chunks do not change.</summary>
    public void Seal()
    {
        lock (_lock) _sealed = true;
    }

    /// <summary>Writes the kept bytes as one JSON string value (invalid UTF-8 becomes U+FFFD), flushing as it goes.</summary>
    public async Task WriteJsonStringAsync(Utf8JsonWriter writer, PipeWriter body, CancellationToken ct)
    {
        const int Piece = 16 << 10;
        var decoder = new UTF8Encoding(false, false).GetDecoder();
        var chars = ArrayPool<char>.Shared.Rent(Piece + 4);
        try
        {
            for (long at = 0; at < Kept;)
            {
                var chunk = _chunks[(int)(at / OutputBudget.ChunkBytes)];
                var from = (int)(at % OutputBudget.ChunkBytes);
                var count = (int)Math.Min(Math.Min(Piece, OutputBudget.ChunkBytes - from), Kept - at);
                at += count;
                var bytes = chunk.AsSpan(from, count);
                var last = at == Kept;
                while (true)
                {
                    decoder.Convert(bytes, chars, last, out var used, out var produced, out var completed);
                    writer.WriteStringValueSegment(chars.AsSpan(0, produced), isFinalSegment: false);
                    bytes = bytes[used..];
                    if (completed) break;
                }
                // At most 96 KiB of JSON per piece (a NUL costs 6 bytes): sent at once, so nothing large piles up.
                writer.Flush();
                await body.FlushAsync(ct);
            }
            writer.WriteStringValueSegment(ReadOnlySpan<char>.Empty, isFinalSegment: true);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>Drops the chunks and gives their bytes back to the budget.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _sealed = true;
            _chunks.Clear();
            budget.Release(_reserved);
            _reserved = 0;
        }
    }
}
