using Sandbox.Server.Services;

namespace Sandbox.Server.Api;

/// <summary>The current generation's read-only filesystem search on the dataplane: <c>POST /glob</c> and <c>POST /grep</c>.</summary>
public static class FileSearchEndpoints
{
    public static void Map(WebApplication app)
    {
        var dp = app.MapGroup(Json.DataplanePath + "/{id}");
        dp.MapPost("/glob", Glob);
        dp.MapPost("/grep", Grep);
    }

    private static async Task<IResult> Glob(string id, HttpContext ctx, FileSearch search)
    {
        var body = await JsonInput.ReadAsync(ctx.Request);
        var pattern = Pattern(body, "pattern", basenameWithoutSlash: false, required: true);
        var path = Directory(body);
        var limit = (int?)body.Integer("limit", 1, FileSearch.MaxLimit) ?? FileSearch.DefaultLimit;
        body.ThrowIfInvalid();
        var result = await search.GlobAsync(id, new GlobRequest(path!, pattern!, limit), ctx.RequestAborted);
        return Results.Json(new
        {
            matches = result.Matches.Select(m => new { path = m.Path, is_dir = m.IsDir, size_bytes = m.SizeBytes, modified_at = m.ModifiedAt }),
            truncated = result.Truncated,
        });
    }

    private static async Task<IResult> Grep(string id, HttpContext ctx, FileSearch search)
    {
        var body = await JsonInput.ReadAsync(ctx.Request);
        var literal = body.String("pattern", required: true);
        if (literal is { Length: 0 }) body.Fail("pattern", "pattern must not be empty (the literal text to find)");
        else if (literal is { Length: > GlobPattern.MaxLength }) body.Fail("pattern", $"pattern must be at most {GlobPattern.MaxLength} characters");
        var path = Directory(body);
        var files = Pattern(body, "glob", basenameWithoutSlash: true, required: false);
        var limit = (int?)body.Integer("limit", 1, FileSearch.MaxLimit) ?? FileSearch.DefaultLimit;
        body.ThrowIfInvalid();
        var result = await search.GrepAsync(id, new GrepRequest(path!, literal!, files, limit), ctx.RequestAborted);
        return Results.Json(new
        {
            matches = result.Matches.Select(m => new { path = m.Path, line = m.Line, text = m.Text }),
            truncated = result.Truncated,
        });
    }

    /// <summary><c>path</c>: the absolute directory to search under.</summary>
    private static string? Directory(JsonInput body)
    {
        var path = body.String("path", required: true);
        if (path is null) return null;
        if (!path.StartsWith('/')) body.Fail("path", $"path '{path}' must be an absolute directory path inside the sandbox");
        else if (System.Text.Encoding.UTF8.GetByteCount(path) >= 4096) body.Fail("path", "must be shorter than 4096 bytes (PATH_MAX)", "string_too_long");
        return path;
    }

    private static GlobPattern? Pattern(JsonInput body, string field, bool basenameWithoutSlash, bool required)
    {
        var text = body.String(field, required);
        if (text is null) return null;
        var pattern = GlobPattern.TryParse(text, basenameWithoutSlash, out var error);
        // The field is named in the message too: the SDKs show only the message of a dataplane 422.
        if (pattern is null) body.Fail(field, $"{field} '{(text.Length > 100 ? text[..100] + "..." : text)}' {error}");
        return pattern;
    }
}
