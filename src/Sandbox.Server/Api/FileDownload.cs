using Microsoft.Net.Http.Headers;
using Sandbox.Server.Services;

namespace Sandbox.Server.Api;

/// <summary>
/// <c>GET</c> and <c>HEAD /download?path=</c>: the whole file, or one byte range of it (RFC 9110 §14), with a strong
/// <c>ETag</c> and <c>Last-Modified</c> read from the descriptor the sandbox's init opened, <c>If-None-Match</c> (304)
/// and <c>If-Range</c> (a stale validator answers 200 with the whole file).
/// </summary>
public static class FileDownload
{
    /// <summary>The dataplane's <c>/download?path=</c>.</summary>
    public static Task ServeAsync(string id, HttpContext ctx, SandboxManager manager, CommandLauncher launcher) =>
        ServeFileAsync(id, DataplaneEndpoints.RequirePath(ctx.Request), ctx, manager, launcher, Served.Plain);

    /// <summary>How a file is labelled: its media type, and a <c>Content-Disposition</c> (none for the dataplane's own downloads).</summary>
    public sealed record Served(string ContentType, string? Disposition)
    {
        public static readonly Served Plain = new("application/octet-stream", null);
    }

    /// <summary>Serves one file of a sandbox (the dataplane's download, or a download link's pinned file).</summary>
    public static async Task ServeFileAsync(string id, string path, HttpContext ctx, SandboxManager manager, CommandLauncher launcher, Served served)
    {
        var req = ctx.Request;
        var res = ctx.Response;
        var ct = ctx.RequestAborted;
        CommandLauncher.RejectPseudoFilesystem(path);
        var sandbox = await manager.RequireReadyAsync(id);
        manager.Touch(id);
        var (file, version) = await launcher.OpenForReadAsync(sandbox, path, ct);
        using var _ = file;

        if (NoneMatch(req, version))
        {
            SetValidators(res, version);
            res.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        var length = version.Length;
        long start = 0, count = length;
        if (HttpMethods.IsGet(req.Method) && SingleRange(req, version) is { } range)
        {
            if (Satisfy(range, length) is not var (first, last))
            {
                SetValidators(res, version);
                res.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                res.Headers.ContentRange = $"bytes */{length}";
                await res.WriteAsJsonAsync(new { detail = new { error = "RangeNotSatisfiable", message = $"{CommandLauncher.ResolvePath(path)} is {length} bytes long: the range '{req.Headers.Range}' starts past its end" } }, ct);
                return;
            }
            start = first;
            count = last - first + 1;
            res.StatusCode = StatusCodes.Status206PartialContent;
            res.Headers.ContentRange = $"bytes {first}-{last}/{length}";
        }

        // The first read before any header: a read error there is still a plain 400. Exactly the bytes seen at open are
        // sent: a file that grows meanwhile is cut there, one that shrinks ends the connection early (fewer bytes than
        // Content-Length).
        var buffer = new byte[(int)Math.Min(1 << 20, Math.Max(count, 1))];
        var n = 0;
        if (!HttpMethods.IsHead(req.Method) && count > 0)
        {
            try
            {
                n = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), start, ct);
            }
            catch (IOException e)
            {
                throw ApiException.BadRequest("FileError", $"{CommandLauncher.ResolvePath(path)}: {e.Message}");
            }
        }
        SetValidators(res, version);
        res.ContentType = served.ContentType;
        if (served.Disposition is { } disposition) res.Headers.ContentDisposition = disposition;
        res.ContentLength = count;
        if (HttpMethods.IsHead(req.Method)) return;
        long sent = 0;
        try
        {
            while (n > 0)
            {
                await res.Body.WriteAsync(buffer.AsMemory(0, n), ct);
                sent += n;
                if (sent >= count) break;
                n = await RandomAccess.ReadAsync(file, buffer.AsMemory(0, (int)Math.Min(buffer.Length, count - sent)), start + sent, ct);
            }
        }
        catch (IOException) when (!ct.IsCancellationRequested)
        {
            // Read error after the headers went out: nothing can be said any more.
        }
        if (sent < count) ctx.Abort();
    }

    private static void SetValidators(HttpResponse res, FileVersion version)
    {
        res.Headers.ETag = version.ETag;
        res.Headers.LastModified = HeaderUtilities.FormatDate(version.LastModified);
        res.Headers.AcceptRanges = "bytes";
    }

    /// <summary><c>If-None-Match</c> (weak comparison, <c>*</c> matches any file): true when the client's copy is current.</summary>
    private static bool NoneMatch(HttpRequest req, FileVersion version)
    {
        if (req.Headers.IfNoneMatch.Count == 0 || !EntityTagHeaderValue.TryParseList(req.Headers.IfNoneMatch, out var tags)) return false;
        var current = EntityTagHeaderValue.Parse(version.ETag);
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(current, useStrongComparison: false));
    }

    /// <summary>
    /// The one byte range asked for, or null for the whole file: no <c>Range</c>, one that does not parse or is not in
    /// bytes (ignored, as RFC 9110 allows), several ranges (answered whole: no multipart/byteranges), or an
    /// <c>If-Range</c> that no longer matches (strong ETag comparison, or the exact <c>Last-Modified</c> date).
    /// </summary>
    private static RangeItemHeaderValue? SingleRange(HttpRequest req, FileVersion version)
    {
        if (req.Headers.Range.Count == 0 || !RangeHeaderValue.TryParse(req.Headers.Range.ToString(), out var range)
            || !string.Equals(range.Unit.Value, "bytes", StringComparison.OrdinalIgnoreCase) || range.Ranges.Count != 1)
            return null;
        var ifRange = req.Headers.IfRange.ToString();
        if (ifRange.Length > 0)
        {
            var current = ifRange.StartsWith('"') || ifRange.StartsWith("W/", StringComparison.Ordinal)
                ? EntityTagHeaderValue.TryParse(ifRange, out var tag) && tag.Compare(EntityTagHeaderValue.Parse(version.ETag), useStrongComparison: true)
                : HeaderUtilities.TryParseDate(ifRange, out var date) && date == version.LastModified;
            if (!current) return null;
        }
        return range.Ranges.Single();
    }

    /// <summary>The first and last byte of a range within a file of <paramref name="length"/> bytes, or null (416).</summary>
    private static (long First, long Last)? Satisfy(RangeItemHeaderValue range, long length)
    {
        if (range.From is not { } from)
            return range.To is > 0 && length > 0 ? (Math.Max(0, length - range.To.Value), length - 1) : null; // bytes=-N
        if (from >= length) return null;
        return (from, Math.Min(range.To ?? length - 1, length - 1));
    }
}
