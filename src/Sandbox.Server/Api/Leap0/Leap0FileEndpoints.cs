using System.Text.RegularExpressions;
using Sandbox.Server.Services;

namespace Sandbox.Server.Api.Leap0;

/// <summary>
/// leap0's <c>/v1/sandbox/{id}/filesystem/*</c>. Reads and writes of file content go through the sandbox's helper
/// (<see cref="CommandLauncher"/>: opened inside the sandbox, regular files only, uploads atomic); the other operations
/// run as programs inside the sandbox (<see cref="SandboxFiles"/>), glob and grep are <see cref="FileSearch"/>'s. Every
/// path is resolved by the sandbox itself, so <c>..</c> and symlinks never lead out of it. Bodies and answers are bounded
/// by leap0's 10 MiB.
/// </summary>
public static partial class Leap0FileEndpoints
{
    public const long MaxBytes = SandboxFiles.MaxListingBytes;
    private const int MaxPatterns = 100;

    [GeneratedRegex("^[0-7]{3,4}$")]
    private static partial Regex ModePattern();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}\\$?$")]
    private static partial Regex OwnerPattern();

    public static void Map(RouteGroupBuilder v1)
    {
        var fs = v1.MapGroup("/sandbox/{id}/filesystem");
        fs.MapPost("/stat", async (string id, HttpContext ctx, SandboxFiles files) =>
        {
            var body = await JsonInput.ReadAsync(ctx.Request);
            var path = PathField(body, "path");
            body.ThrowIfInvalid();
            var sandbox = await files.ReadyAsync(id);
            return Results.Json(Info(await files.StatAsync(sandbox, path!, followLink: false, ctx.RequestAborted)));
        });
        fs.MapPost("/exists", async (string id, HttpContext ctx, SandboxFiles files) =>
        {
            var body = await JsonInput.ReadAsync(ctx.Request);
            var path = PathField(body, "path");
            body.ThrowIfInvalid();
            var sandbox = await files.ReadyAsync(id);
            return Results.Json(new { exists = await files.ExistsAsync(sandbox, path!, ctx.RequestAborted) });
        });
        fs.MapPost("/ls", async (string id, HttpContext ctx, SandboxFiles files) =>
        {
            var body = await JsonInput.ReadAsync(ctx.Request);
            var path = PathField(body, "path");
            var recursive = body.Bool("recursive") ?? false;
            var exclude = Patterns(body, "exclude");
            body.ThrowIfInvalid();
            var sandbox = await files.ReadyAsync(id);
            var entries = await files.ListAsync(sandbox, path!, recursive ? SandboxFiles.MaxDepth : 1, exclude, ctx.RequestAborted);
            return Results.Json(new { items = entries.Select(Info) });
        });
        fs.MapPost("/tree", async (string id, HttpContext ctx, SandboxFiles files) =>
        {
            var body = await JsonInput.ReadAsync(ctx.Request);
            var path = PathField(body, "path");
            var depth = (int?)body.Integer("max_depth", 1, SandboxFiles.MaxDepth) ?? SandboxFiles.MaxDepth;
            var exclude = Patterns(body, "exclude");
            body.ThrowIfInvalid();
            var sandbox = await files.ReadyAsync(id);
            return Results.Json(new { items = (await files.TreeAsync(sandbox, path!, depth, exclude, ctx.RequestAborted)).Select(Tree) });
        });
        fs.MapPost("/mkdir", async (string id, HttpContext ctx, SandboxFiles files) =>
        {
            var body = await JsonInput.ReadAsync(ctx.Request);
            var path = PathField(body, "path");
            var recursive = body.Bool("recursive") ?? false;
            var mode = Mode(body, "permissions") ?? "755";
            body.ThrowIfInvalid();
            await files.MakeDirectoryAsync(await files.ReadyAsync(id), path!, recursive, mode, ctx.RequestAborted);
            return Results.NoContent();
        });
        fs.MapPost("/delete", async (string id, HttpContext ctx, SandboxFiles files) =>
        {
            var body = await JsonInput.ReadAsync(ctx.Request);
            var path = PathField(body, "path");
            var recursive = body.Bool("recursive") ?? false;
            body.ThrowIfInvalid();
            await files.DeleteAsync(await files.ReadyAsync(id), path!, recursive, ctx.RequestAborted);
            return Results.NoContent();
        });
        fs.MapPost("/set-permissions", async (string id, HttpContext ctx, SandboxFiles files) =>
        {
            var body = await JsonInput.ReadAsync(ctx.Request);
            var path = PathField(body, "path");
            var mode = Mode(body, "mode");
            var owner = Owner(body, "owner");
            var group = Owner(body, "group");
            if (mode is null && owner is null && group is null && !body.Has("mode") && !body.Has("owner") && !body.Has("group"))
                body.Fail("mode", "give at least one of mode, owner and group");
            body.ThrowIfInvalid();
            await files.SetPermissionsAsync(await files.ReadyAsync(id), path!, mode, owner, group, ctx.RequestAborted);
            return Results.NoContent();
        });
        fs.MapPost("/move", async (string id, HttpContext ctx, SandboxFiles files) =>
        {
            var body = await JsonInput.ReadAsync(ctx.Request);
            var (src, dst) = (PathField(body, "src_path"), PathField(body, "dst_path"));
            var overwrite = body.Bool("overwrite") ?? false;
            body.ThrowIfInvalid();
            await files.MoveAsync(await files.ReadyAsync(id), src!, dst!, overwrite, ctx.RequestAborted);
            return Results.NoContent();
        });
        fs.MapPost("/copy", async (string id, HttpContext ctx, SandboxFiles files) =>
        {
            var body = await JsonInput.ReadAsync(ctx.Request);
            var (src, dst) = (PathField(body, "src_path"), PathField(body, "dst_path"));
            var recursive = body.Bool("recursive") ?? false;
            var overwrite = body.Bool("overwrite") ?? false;
            body.ThrowIfInvalid();
            var sandbox = await files.ReadyAsync(id);
            try
            {
                await files.CopyAsync(sandbox, src!, dst!, recursive, overwrite, ctx.RequestAborted);
            }
            catch (ConflictException e) when (e.Code == "AlreadyExists")
            {
                // leap0's spec gives copy's 409 ("Destination already exists") no body: the status says it all.
                return Results.StatusCode(StatusCodes.Status409Conflict);
            }
            return Results.NoContent();
        });
        fs.MapPost("/glob", Glob);
        fs.MapPost("/grep", Grep);
        Leap0FileContentEndpoints.Map(fs);
    }

    private static object Info(FileEntry e) => e.LinkTarget is { } target
        ? new { name = e.Name, path = e.Path, is_dir = e.IsDir, size = e.Size, mode = e.Mode, mtime = e.ModifiedSeconds, owner = e.Owner, group = e.Group, is_symlink = e.IsSymlink, link_target = target }
        : new { name = e.Name, path = e.Path, is_dir = e.IsDir, size = e.Size, mode = e.Mode, mtime = e.ModifiedSeconds, owner = e.Owner, group = e.Group, is_symlink = e.IsSymlink };

    private static object Tree(TreeNode n) => n.Children is { } children
        ? new { name = n.Name, type = "directory", children = children.Select(Tree) }
        : new { name = n.Name, type = "file" };

    private static async Task<IResult> Glob(string id, HttpContext ctx, FileSearch search)
    {
        var body = await JsonInput.ReadAsync(ctx.Request);
        var path = PathField(body, "path", absolute: true);
        var pattern = Pattern(body, "pattern") ?? GlobPattern.TryParse("*", true, out _);
        var exclude = ExcludePatterns(body);
        body.ThrowIfInvalid();
        var result = await search.GlobAsync(id, new GlobRequest(SandboxFiles.Normalize(path!), pattern!, FileSearch.MaxLimit), ctx.RequestAborted);
        if (result.Truncated) throw TooMany("glob", "matches");
        var root = SandboxFiles.Normalize(path!);
        return Results.Json(new { items = result.Matches.Where(m => !Excluded(root, m.Path, exclude)).Select(m => m.Path) });
    }

    private static async Task<IResult> Grep(string id, HttpContext ctx, FileSearch search)
    {
        var body = await JsonInput.ReadAsync(ctx.Request);
        var path = PathField(body, "path", absolute: true);
        var literal = body.String("pattern", required: true);
        if (literal is { Length: 0 }) body.Fail("pattern", "must not be empty (the literal text to find)");
        else if (literal is { Length: > GlobPattern.MaxLength }) body.Fail("pattern", $"must be at most {GlobPattern.MaxLength} characters");
        var include = Pattern(body, "include");
        var exclude = ExcludePatterns(body);
        body.ThrowIfInvalid();
        var root = SandboxFiles.Normalize(path!);
        var result = await search.GrepAsync(id, new GrepRequest(root, literal!, include, FileSearch.MaxLimit), ctx.RequestAborted);
        if (result.Truncated) throw TooMany("grep", "matching lines");
        return Results.Json(new { items = result.Matches.Where(m => !Excluded(root, m.Path, exclude)).Select(m => new { path = m.Path, line = m.Line, content = m.Text }) });
    }

    private static RejectedException TooMany(string what, string of) =>
        new("TooManyMatches", $"{what} found more than {FileSearch.MaxLimit} {of}, or more than the server searches in one request ({FileSearch.MaxEntries} entries, {FileSearch.TimeBudget.TotalSeconds} s): narrow the path or the pattern, or exclude directories");

    /// <summary>Excluded when a directory on the way or the entry itself matches (a pattern with '/' matches the path under the root).</summary>
    private static bool Excluded(string root, string path, List<GlobPattern> exclude)
    {
        if (exclude.Count == 0) return false;
        var relative = path[(root == "/" ? 1 : root.Length + 1)..];
        for (var end = relative.IndexOf('/'); ; end = relative.IndexOf('/', end + 1))
        {
            var prefix = end < 0 ? relative : relative[..end];
            if (exclude.Any(p => p.IsMatch(prefix))) return true;
            if (end < 0) return false;
        }
    }

    private static List<GlobPattern> ExcludePatterns(JsonInput body)
    {
        var list = new List<GlobPattern>();
        foreach (var text in Patterns(body, "exclude"))
        {
            var pattern = GlobPattern.TryParse(text.Trim('/'), true, out var error);
            if (pattern is null) body.Fail("exclude", $"'{text}' {error}");
            else list.Add(pattern);
        }
        return list;
    }

    private static GlobPattern? Pattern(JsonInput body, string field)
    {
        var text = body.String(field);
        if (text is null) return null;
        var pattern = GlobPattern.TryParse(text, basenameWithoutSlash: true, out var error);
        if (pattern is null) body.Fail(field, $"{field} '{(text.Length > 100 ? text[..100] + "..." : text)}' {error}");
        return pattern;
    }

    /// <summary>A path in the sandbox: required, no NUL, under PATH_MAX; relative ones are under /home/user (unless <paramref name="absolute"/>).</summary>
    internal static string? PathField(JsonInput body, string field, bool absolute = false)
    {
        var path = body.String(field, required: true);
        if (path is null) return null;
        if (path.Length == 0) body.Fail(field, "must be a path in the sandbox");
        else if (path.Contains('\0')) body.Fail(field, "must not contain NUL characters");
        else if (absolute && !path.StartsWith('/')) body.Fail(field, $"'{path}' must be an absolute path");
        else if (System.Text.Encoding.UTF8.GetByteCount(CommandLauncher.ResolvePath(path)) >= 4096) body.Fail(field, "must be shorter than 4096 bytes (PATH_MAX)");
        else return path;
        return null;
    }

    /// <summary>An array of glob patterns (names, or paths under the root with '/').</summary>
    private static List<string> Patterns(JsonInput body, string field)
    {
        var raw = body.Raw(field);
        if (raw is null) return [];
        if (raw.Value.ValueKind != System.Text.Json.JsonValueKind.Array || raw.Value.GetArrayLength() > MaxPatterns)
        {
            body.Fail(field, $"must be an array of at most {MaxPatterns} glob patterns");
            return [];
        }
        var list = new List<string>();
        foreach (var item in raw.Value.EnumerateArray())
        {
            if (item.ValueKind != System.Text.Json.JsonValueKind.String || item.GetString() is not { Length: > 0 and <= GlobPattern.MaxLength } text || text.Contains('\0') || text.Trim('/').Length == 0)
                body.Fail(field, $"every item must be a non-empty glob pattern string of at most {GlobPattern.MaxLength} characters");
            else list.Add(text);
        }
        return list;
    }

    /// <summary>An octal mode string (<c>755</c>, <c>0644</c>, <c>1777</c>).</summary>
    internal static string? Mode(JsonInput body, string field)
    {
        var mode = body.String(field);
        if (mode is not null && !ModePattern().IsMatch(mode)) body.Fail(field, $"'{mode}' must be an octal mode of 3 or 4 digits 0-7, e.g. 755 or 0644");
        return mode is not null && ModePattern().IsMatch(mode) ? mode : null;
    }

    private static string? Owner(JsonInput body, string field)
    {
        var name = body.String(field);
        if (name is null) return null;
        if (!OwnerPattern().IsMatch(name)) body.Fail(field, $"'{name}' must be a user or group name (letters, digits, _ . -, not starting with '-') or a numeric id");
        return OwnerPattern().IsMatch(name) ? name : null;
    }
}
