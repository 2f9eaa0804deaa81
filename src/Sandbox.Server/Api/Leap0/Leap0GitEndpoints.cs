using System.Text;
using Sandbox.Server.Services;

namespace Sandbox.Server.Api.Leap0;

/// <summary>
/// leap0's <c>/v1/sandbox/{id}/git/*</c>: git run inside the sandbox (<see cref="SandboxFiles.RunAsync"/>: the sandbox's
/// own git, root without capabilities, in the repository's directory), every value its own argument. Values that git
/// would read as options (a leading <c>-</c>) are refused. The answer is <c>{output, exit_code}</c> (stdout then stderr),
/// whatever git's exit code; a git missing from the image is 400 <c>ToolMissing</c>.
/// </summary>
public static class Leap0GitEndpoints
{
    public static readonly TimeSpan GitTimeout = TimeSpan.FromMinutes(5);
    private const string Missing = "git is not installed in the sandbox (its image has no git on PATH); the git endpoints run the sandbox's own git";

    private delegate List<string>? ArgvReader(JsonInput body);

    public static void Map(RouteGroupBuilder v1)
    {
        var git = v1.MapGroup("/sandbox/{id}/git");
        Verb(git, "status", _ => ["status"]);
        Verb(git, "reset", _ => ["reset"]);
        Verb(git, "diff-unstaged", b => ["diff", .. Context(b)]);
        Verb(git, "diff-staged", b => ["diff", "--cached", .. Context(b)]);
        Verb(git, "diff", b =>
        {
            var context = Context(b);
            return Ref(b, "target", required: true) is { } target ? ["diff", .. context, target, "--"] : null;
        });
        Verb(git, "log", b =>
        {
            List<string> argv = ["log"];
            if (b.Integer("max_count", 1, uint.MaxValue) is { } n) argv.Add($"--max-count={n}");
            if (Ref(b, "start_timestamp") is { } since) argv.Add($"--since={since}");
            if (Ref(b, "end_timestamp") is { } until) argv.Add($"--until={until}");
            return argv;
        });
        Verb(git, "show", b => Ref(b, "revision", required: true) is { } rev ? ["show", rev, "--"] : null);
        Verb(git, "branches", b =>
        {
            List<string> argv = ["branch"];
            switch (b.String("branch_type"))
            {
                case null or "local": break;
                case "remote": argv.Add("-r"); break;
                case "all": argv.Add("-a"); break;
                default: b.Fail("branch_type", "must be one of local, remote, all"); break;
            }
            if (Ref(b, "contains") is { } c) argv.AddRange(["--contains", c]);
            if (Ref(b, "not_contains") is { } nc) argv.AddRange(["--no-contains", nc]);
            return argv;
        });
        Verb(git, "create-branch", b =>
        {
            var name = Ref(b, "name", required: true);
            var checkout = b.Bool("checkout") ?? false;
            var basis = Ref(b, "base_branch");
            if (name is null) return null;
            List<string> argv = checkout ? ["checkout", "-b", name] : ["branch", name];
            if (basis is not null) argv.Add(basis);
            return argv;
        });
        Verb(git, "checkout-branch", b =>
        {
            var branch = Ref(b, "branch", required: true);
            var create = b.Bool("create") ?? false;
            return branch is null ? null : create ? ["checkout", "-b", branch] : ["checkout", branch, "--"];
        });
        Verb(git, "delete-branch", b =>
        {
            var name = Ref(b, "name", required: true);
            var force = b.Bool("force") ?? false;
            return name is null ? null : ["branch", force ? "-D" : "-d", name];
        });
        Verb(git, "add", b => Files(b) is { } files ? ["add", "--", .. files] : null);
        Verb(git, "push", b => PushPull(b, "push"));
        Verb(git, "pull", b => PushPull(b, "pull"));
        git.MapPost("/commit", Commit);
        git.MapPost("/clone", Clone);
    }

    private static void Verb(RouteGroupBuilder git, string name, ArgvReader read) =>
        git.MapPost("/" + name, async (string id, HttpContext ctx, SandboxFiles files) =>
        {
            var body = await JsonInput.ReadAsync(ctx.Request);
            var path = Leap0FileEndpoints.PathField(body, "path");
            var argv = read(body);
            var auth = Credentials(body);
            body.ThrowIfInvalid();
            var sandbox = await files.ReadyAsync(id);
            var r = await RunGitAsync(files, sandbox, path!, [.. auth, .. argv!], ctx.RequestAborted);
            return Results.Json(Result(r));
        });

    private static object Result(SandboxFiles.ToolResult r) => new { output = Encoding.UTF8.GetString(r.Stdout) + r.Stderr, exit_code = r.ExitCode };

    private static Task<SandboxFiles.ToolResult> RunGitAsync(SandboxFiles files, Sandbox.Server.State.SandboxRecord sandbox, string path, List<string> args, CancellationToken ct) =>
        files.RunAsync(sandbox, ["git", .. args], ct, new SandboxFiles.ToolOptions(SandboxFiles.Normalize(path), ["EMAIL=sandbox@localhost", "GIT_TERMINAL_PROMPT=0"], GitTimeout, Missing));

    private static async Task<IResult> Commit(string id, HttpContext ctx, SandboxFiles files)
    {
        var body = await JsonInput.ReadAsync(ctx.Request);
        var path = Leap0FileEndpoints.PathField(body, "path");
        var message = body.String("message", required: true);
        if (message is { Length: 0 }) body.Fail("message", "must not be empty");
        if (message is not null && message.Contains('\0')) body.Fail("message", "must not contain NUL characters");
        var author = Text(body, "author");
        var email = Text(body, "email");
        var allowEmpty = body.Bool("allow_empty") ?? false;
        body.ThrowIfInvalid();
        var sandbox = await files.ReadyAsync(id);
        List<string> argv = [];
        if (author is not null) argv.AddRange(["-c", $"user.name={author}"]);
        if (email is not null) argv.AddRange(["-c", $"user.email={email}"]);
        argv.AddRange(["commit", "-m", message!]);
        if (allowEmpty) argv.Add("--allow-empty");
        var r = await RunGitAsync(files, sandbox, path!, argv, ctx.RequestAborted);
        var sha = "";
        if (r.ExitCode == 0)
        {
            var head = await RunGitAsync(files, sandbox, path!, ["rev-parse", "HEAD"], ctx.RequestAborted);
            if (head.ExitCode == 0) sha = Encoding.UTF8.GetString(head.Stdout).Trim();
        }
        return Results.Json(new { sha, result = Result(r) });
    }

    /// <summary><c>{url, path, branch?, commit_id?, depth?, username?, password?}</c>: <c>git clone</c> into <c>path</c> (run in /), then the commit checked out.</summary>
    private static async Task<IResult> Clone(string id, HttpContext ctx, SandboxFiles files)
    {
        var body = await JsonInput.ReadAsync(ctx.Request);
        var url = Ref(body, "url", required: true);
        var path = Leap0FileEndpoints.PathField(body, "path");
        var branch = Ref(body, "branch");
        var commit = Ref(body, "commit_id");
        var depth = body.Integer("depth", 1, int.MaxValue);
        var auth = Credentials(body);
        body.ThrowIfInvalid();
        var sandbox = await files.ReadyAsync(id);
        var target = SandboxFiles.Normalize(path!);
        List<string> argv = [.. auth, "clone"];
        if (branch is not null) argv.AddRange(["--branch", branch]);
        if (depth is not null) argv.Add($"--depth={depth}");
        argv.AddRange(["--", url!, target]);
        var r = await RunGitAsync(files, sandbox, "/", argv, ctx.RequestAborted);
        if (r.ExitCode == 0 && commit is not null)
        {
            var checkout = await RunGitAsync(files, sandbox, target, ["checkout", commit, "--"], ctx.RequestAborted);
            r = new SandboxFiles.ToolResult(checkout.ExitCode, [.. r.Stdout, .. checkout.Stdout], r.Stderr + checkout.Stderr);
        }
        return Results.Json(Result(r));
    }

    private static List<string>? PushPull(JsonInput b, string verb)
    {
        var remote = Ref(b, "remote");
        var branch = Ref(b, "branch");
        List<string> argv = [verb];
        if (verb == "push" && (b.Bool("set_upstream") ?? false)) argv.Add("--set-upstream");
        if (verb == "pull" && (b.Bool("rebase") ?? false)) argv.Add("--rebase");
        if (branch is not null && remote is null) remote = "origin";
        if (remote is not null) argv.Add(remote);
        if (branch is not null) argv.Add(branch);
        return argv;
    }

    /// <summary>username/password as an HTTP Basic header for this one git run (never written to the repository's config).</summary>
    private static List<string> Credentials(JsonInput b)
    {
        var user = Text(b, "username");
        var password = Text(b, "password");
        if (user is null && password is null) return [];
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user ?? ""}:{password ?? ""}"));
        return ["-c", "credential.helper=", "-c", $"http.extraHeader=Authorization: Basic {token}"];
    }

    private static List<string> Context(JsonInput b) => b.Integer("context_lines", 0, 100_000) is { } n ? [$"--unified={n}"] : [];

    private static List<string>? Files(JsonInput b)
    {
        var raw = b.Raw("files");
        if (raw is not { ValueKind: System.Text.Json.JsonValueKind.Array } || raw.Value.GetArrayLength() is 0 or > 10_000)
        {
            b.Fail("files", "field required: a list of 1-10000 paths to stage (\".\" for everything)");
            return null;
        }
        var files = raw.Value.EnumerateArray().Select(f => f.ValueKind == System.Text.Json.JsonValueKind.String ? f.GetString() : null).ToList();
        if (files.Any(f => f is null or "" || f.Contains('\0'))) b.Fail("files", "every item must be a non-empty path without NUL");
        return files!;
    }

    /// <summary>A ref, revision, URL or date: a string git cannot take for an option.</summary>
    private static string? Ref(JsonInput b, string field, bool required = false)
    {
        var value = b.String(field, required);
        if (value is null) return null;
        if (value.Length == 0 || value.StartsWith('-') || value.Contains('\0') || value.Length > 4096)
        {
            b.Fail(field, "must be a non-empty value that does not start with '-' (git would read it as an option)");
            return null;
        }
        return value;
    }

    private static string? Text(JsonInput b, string field)
    {
        var value = b.String(field);
        if (value is not null && (value.Contains('\0') || value.Contains('\n'))) b.Fail(field, "must not contain NUL or newline characters");
        return value;
    }
}
