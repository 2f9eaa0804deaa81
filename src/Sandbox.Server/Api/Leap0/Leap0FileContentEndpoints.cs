using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
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
        fs.MapPost("/write-files", WriteFiles);
        fs.MapPost("/read-files", ReadFiles);
        fs.MapPost("/edit-file", EditFile);
        fs.MapPost("/edit-files", EditFiles);
    }

    private const int MaxFiles = 1000;

    /// <summary>Multipart, one part per file named by its path; at most 10 MiB in all. Files are written in order, each atomically.</summary>
    private static async Task<IResult> WriteFiles(string id, HttpRequest req, SandboxFiles files, CommandLauncher launcher)
    {
        if (!MediaTypeHeaderValue.TryParse(req.ContentType, out var contentType) || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 and <= 70 } boundary)
            throw ValidationException.For(["body"], "must be multipart/form-data, one part per file named by its path", "multipart_type");
        if (req.ContentLength > MaxBytes + (1 << 20)) throw TooLarge();
        var sandbox = await files.ReadyAsync(id);
        var ct = req.HttpContext.RequestAborted;
        var reader = new MultipartReader(boundary, req.Body) { BodyLengthLimit = MaxBytes };
        long total = 0;
        var count = 0;
        while (await ReadPartAsync(() => reader.ReadNextSectionAsync(ct), ct) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                || HeaderUtilities.RemoveQuotes(disposition.Name).Value is not { Length: > 0 } path)
                throw ValidationException.For(["body"], "every part must have a Content-Disposition name: the file's path", "missing");
            if (path.Contains('\0') || System.Text.Encoding.UTF8.GetByteCount(CommandLauncher.ResolvePath(path)) >= 4096)
                throw ValidationException.For(["body", path], "a part's name must be a path in the sandbox (no NUL, under 4096 bytes)");
            if (++count > MaxFiles) throw ValidationException.For(["body"], $"at most {MaxFiles} files in one request");
            using var upload = await launcher.BeginUploadAsync(sandbox, path, ct);
            await using (var file = new FileStream(upload.File, FileAccess.Write, bufferSize: 0))
            {
                var buffer = new byte[1 << 20];
                int n;
                while ((n = await ReadPartAsync(() => section.Body.ReadAsync(buffer, ct).AsTask(), ct)) > 0)
                {
                    total += n;
                    if (total > MaxBytes) throw TooLarge();
                    await file.WriteAsync(buffer.AsMemory(0, n), ct);
                }
            }
            await upload.CommitAsync(ct);
        }
        if (count == 0) throw ValidationException.For(["body"], "no files: give one multipart part per file, named by its path", "missing");
        return Results.NoContent();
    }

    private static async Task<T> ReadPartAsync<T>(Func<Task<T>> read, CancellationToken ct)
    {
        try
        {
            return await read();
        }
        catch (InvalidDataException e) when (e.Message.Contains("length limit"))
        {
            throw TooLarge();
        }
        catch (Exception e) when (e is IOException or InvalidDataException && !ct.IsCancellationRequested && e is not BadHttpRequestException)
        {
            throw ValidationException.For(["body"], $"multipart body is malformed or truncated: {e.Message}", "multipart_invalid");
        }
    }

    /// <summary><c>{paths}</c> -> multipart/form-data, one part per file named by its path, at most 10 MiB in all (all opened before anything is sent).</summary>
    private static async Task ReadFiles(string id, HttpContext ctx, SandboxFiles files, CommandLauncher launcher)
    {
        var body = await JsonInput.ReadAsync(ctx.Request);
        var paths = Paths(body, "paths");
        body.ThrowIfInvalid();
        var sandbox = await files.ReadyAsync(id);
        var ct = ctx.RequestAborted;
        var opened = new List<(string Path, SafeFileHandle File, long Length)>();
        try
        {
            long total = 0;
            foreach (var path in paths!)
            {
                var (file, version) = await launcher.OpenForReadAsync(sandbox, path, ct);
                opened.Add((path, file, version.Length));
                total += version.Length;
                if (total > MaxBytes)
                    throw new RejectedException("TooLarge", $"the files are over {MaxBytes >> 20} MiB together (leap0's bound on an answer): read fewer at once, or big ones with read-file's offset and limit");
            }
            var boundary = "leap0-" + Guid.NewGuid().ToString("N");
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = $"multipart/form-data; boundary={boundary}";
            var buffer = new byte[1 << 20];
            foreach (var (path, file, length) in opened)
            {
                var name = path.Replace("\"", "%22").Replace("\r", "%0D").Replace("\n", "%0A");
                var head = $"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n";
                await ctx.Response.Body.WriteAsync(System.Text.Encoding.UTF8.GetBytes(head), ct);
                for (long at = 0; at < length;)
                {
                    var n = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - at)), at, ct);
                    if (n == 0) break;
                    await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, n), ct);
                    at += n;
                }
                await ctx.Response.Body.WriteAsync("\r\n"u8.ToArray(), ct);
            }
            await ctx.Response.Body.WriteAsync(System.Text.Encoding.UTF8.GetBytes($"--{boundary}--\r\n"), ct);
        }
        finally
        {
            foreach (var o in opened) o.File.Dispose();
        }
    }

    private static List<string>? Paths(JsonInput body, string field)
    {
        var raw = body.Raw(field);
        if (raw is null)
        {
            body.Fail(field, "field required: a list of file paths", "missing");
            return null;
        }
        if (raw.Value.ValueKind != System.Text.Json.JsonValueKind.Array || raw.Value.GetArrayLength() is 0 or > MaxFiles)
        {
            body.Fail(field, $"must be a list of 1-{MaxFiles} file paths");
            return null;
        }
        var list = new List<string>();
        foreach (var item in raw.Value.EnumerateArray())
        {
            if (item.ValueKind != System.Text.Json.JsonValueKind.String || item.GetString() is not { Length: > 0 } path || path.Contains('\0')
                || System.Text.Encoding.UTF8.GetByteCount(CommandLauncher.ResolvePath(path)) >= 4096)
                body.Fail(field, "every item must be a path in the sandbox (a non-empty string without NUL, under 4096 bytes)");
            else list.Add(path);
        }
        return list;
    }

    /// <summary><c>{path, edits: [{find, replace?}]}</c> -> <c>{diff, replacements}</c>: every edit applied in order, all or none.</summary>
    private static async Task<IResult> EditFile(string id, HttpContext ctx, SandboxFiles files, CommandLauncher launcher)
    {
        var body = await JsonInput.ReadAsync(ctx.Request);
        var path = Leap0FileEndpoints.PathField(body, "path");
        var edits = body.ObjectArray("edits");
        if (edits is null && !body.Has("edits")) body.Fail("edits", "field required: a list of {find, replace}", "missing");
        else if (edits is { Count: 0 }) body.Fail("edits", "must hold at least one {find, replace}");
        var pairs = new List<(string Find, string Replace)>();
        foreach (var edit in edits ?? [])
        {
            var find = edit.String("find", required: true);
            if (find is { Length: 0 }) edit.Fail("find", "must not be empty");
            var replace = edit.String("replace") ?? "";
            if (find is { Length: > 0 }) pairs.Add((find, replace));
        }
        body.ThrowIfInvalid();
        var sandbox = await files.ReadyAsync(id);
        var (diff, count) = await FileEdits.ApplyAsync(launcher, sandbox, path!, pairs, ctx.RequestAborted);
        return Results.Json(new { diff, replacements = count });
    }

    /// <summary><c>{files, find, replace?}</c> -> <c>{items: [{file, success, error?}]}</c>, each file on its own.</summary>
    private static async Task<IResult> EditFiles(string id, HttpContext ctx, SandboxFiles files, CommandLauncher launcher)
    {
        var body = await JsonInput.ReadAsync(ctx.Request);
        var paths = Paths(body, "files");
        var find = body.String("find", required: true);
        if (find is { Length: 0 }) body.Fail("find", "must not be empty");
        var replace = body.String("replace") ?? "";
        body.ThrowIfInvalid();
        var sandbox = await files.ReadyAsync(id);
        var items = new List<object>();
        foreach (var path in paths!)
        {
            try
            {
                await FileEdits.ApplyAsync(launcher, sandbox, path, [(find!, replace)], ctx.RequestAborted);
                items.Add(new { file = path, success = true });
            }
            catch (DomainException e) when (e is NotFoundException or RejectedException)
            {
                items.Add(new { file = path, success = false, error = e.Message });
            }
        }
        return Results.Json(new { items });
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
