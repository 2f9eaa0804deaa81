using Microsoft.Win32.SafeHandles;
using Sandbox.Server.Services;

namespace Sandbox.Server.Api.Leap0;

/// <summary>
/// leap0's file content: <c>write-file</c> (raw body, <c>?path=&amp;permissions=</c>) and <c>read-file</c>
/// (<c>{path, offset?, limit?, head?, tail?}</c>), through the sandbox's helper as LangSmith's upload and download: the
/// file is opened inside the sandbox (regular files only, never on /proc or /sys) and an upload goes to a temp file
/// renamed over the target. Both are bounded by leap0's 10 MiB.
/// </summary>
public static class Leap0FileContentEndpoints
{
    private const long MaxBytes = Leap0FileEndpoints.MaxBytes;

    public static void Map(RouteGroupBuilder fs)
    {
        fs.MapPost("/write-file", WriteFile);
        fs.MapPost("/read-file", ReadFile);
    }

    private static async Task<IResult> WriteFile(string id, HttpRequest req, SandboxFiles files, CommandLauncher launcher)
    {
        var query = JsonInput.FromElement(System.Text.Json.JsonSerializer.SerializeToElement(
            req.Query.Where(q => q.Key is "path" or "permissions").ToDictionary(q => q.Key, q => (string?)q.Value)), "query");
        var path = Leap0FileEndpoints.PathField(query, "path");
        var mode = Leap0FileEndpoints.Mode(query, "permissions");
        query.ThrowIfInvalid();
        if (req.ContentLength > MaxBytes) throw TooLarge();
        var sandbox = await files.ReadyAsync(id);
        var ct = req.HttpContext.RequestAborted;
        using (var upload = await launcher.BeginUploadAsync(sandbox, path!, ct))
        {
            long written = 0;
            await using (var file = new FileStream(upload.File, FileAccess.Write, bufferSize: 0))
            {
                var buffer = new byte[1 << 20];
                int n;
                while ((n = await req.Body.ReadAsync(buffer, ct)) > 0)
                {
                    written += n;
                    if (written > MaxBytes) throw TooLarge(); // the temp file is removed, the target untouched
                    try
                    {
                        await file.WriteAsync(buffer.AsMemory(0, n), ct);
                    }
                    catch (IOException e) when (!ct.IsCancellationRequested)
                    {
                        throw new RejectedException(e.HResult is 28 or 122 ? "NoSpace" : "FileError", $"{CommandLauncher.ResolvePath(path!)}: writing failed: {e.Message}");
                    }
                }
            }
            await upload.CommitAsync(ct);
        }
        if (mode is not null) await files.SetPermissionsAsync(sandbox, path!, mode, null, null, ct);
        return Results.NoContent();
    }

    private static ApiException TooLarge() => new(413, "PayloadTooLarge", $"a file written through /v1 is at most {MaxBytes >> 20} MiB (leap0's bound on a request)");

    private static async Task ReadFile(string id, HttpContext ctx, SandboxFiles files, CommandLauncher launcher)
    {
        var body = await JsonInput.ReadAsync(ctx.Request);
        var path = Leap0FileEndpoints.PathField(body, "path");
        var offset = body.Integer("offset", 0, long.MaxValue) ?? 0;
        var limit = body.Integer("limit", 0, uint.MaxValue);
        var head = body.Integer("head", 0, uint.MaxValue);
        var tail = body.Integer("tail", 0, uint.MaxValue);
        if (head is not null && tail is not null) body.Fail("tail", "head and tail are mutually exclusive: give one");
        body.ThrowIfInvalid();
        var sandbox = await files.ReadyAsync(id);
        var ct = ctx.RequestAborted;
        var (file, version) = await launcher.OpenForReadAsync(sandbox, path!, ct);
        using (file)
        {
            // The window offset/limit choose, then head or tail lines within it.
            var start = Math.Min(offset, version.Length);
            var end = limit is { } l ? Math.Min(version.Length, start + l) : version.Length;
            if (head is { } h) end = await HeadEndAsync(file, start, end, h, ct);
            if (tail is { } t) start = await TailStartAsync(file, start, end, t, ct);
            if (end - start > MaxBytes)
                throw new RejectedException("TooLarge",
                    $"{CommandLauncher.ResolvePath(path!)} is {end - start} bytes from offset {start}: an answer is at most {MaxBytes >> 20} MiB (leap0's bound); read it in pieces with offset and limit");
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/octet-stream";
            ctx.Response.ContentLength = end - start;
            var buffer = new byte[1 << 20];
            for (var at = start; at < end;)
            {
                var n = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, (int)Math.Min(buffer.Length, end - at)), at, ct);
                if (n == 0) break; // shrunk meanwhile
                await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, n), ct);
                at += n;
            }
        }
    }

    /// <summary>Where the first <paramref name="lines"/> lines of [start, end) end (after their last newline); scans at most 10 MiB.</summary>
    private static async Task<long> HeadEndAsync(SafeFileHandle file, long start, long end, long lines, CancellationToken ct)
    {
        if (lines == 0) return start;
        var buffer = new byte[64 << 10];
        long seen = 0;
        for (var at = start; at < end && at - start <= MaxBytes;)
        {
            var n = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, (int)Math.Min(buffer.Length, end - at)), at, ct);
            if (n == 0) break;
            for (var i = 0; i < n; i++)
                if (buffer[i] == '\n' && ++seen == lines) return at + i + 1;
            at += n;
        }
        return end;
    }

    /// <summary>Where the last <paramref name="lines"/> lines of [start, end) begin (a final newline ends the last line); scans at most 10 MiB back.</summary>
    private static async Task<long> TailStartAsync(SafeFileHandle file, long start, long end, long lines, CancellationToken ct)
    {
        if (lines == 0) return end;
        var buffer = new byte[64 << 10];
        long seen = 0;
        var skipFinal = true;
        for (var to = end; to > start && end - to <= MaxBytes;)
        {
            var from = Math.Max(start, to - buffer.Length);
            var n = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, (int)(to - from)), from, ct);
            for (var i = n - 1; i >= 0; i--)
            {
                if (buffer[i] != '\n') { skipFinal = false; continue; }
                if (skipFinal && from + i == end - 1) { skipFinal = false; continue; }
                if (++seen == lines) return from + i + 1;
            }
            to = from;
        }
        return start;
    }
}
