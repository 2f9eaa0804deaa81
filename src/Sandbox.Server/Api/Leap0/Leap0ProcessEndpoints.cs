using System.Text.Json;
using Sandbox.Server.Services;
using Sandbox.Server.Services.Exec;

namespace Sandbox.Server.Api.Leap0;

/// <summary>
/// leap0's one-shot commands and the sandbox's directories: <c>/v1/sandbox/{id}/process/execute</c> (through the same
/// <see cref="ExecService"/> as LangSmith's <c>POST /execute</c>: a paused or stopped sandbox wakes) and
/// <c>/system/user-home-dir</c>, <c>/system/workdir</c> (what a command of the sandbox gets as <c>HOME</c> and as its
/// working directory: the sandbox's run_config, its user's home from the sandbox's own /etc/passwd).
/// </summary>
public static class Leap0ProcessEndpoints
{
    /// <summary>leap0's default command timeout, in seconds.</summary>
    public const long DefaultTimeoutSeconds = 30;
    public const long MaxTimeoutSeconds = 24 * 3600;
    public const string Shell = "/bin/sh";

    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/sandbox/{id}/process/execute", Execute);
        v1.MapGet("/sandbox/{id}/system/user-home-dir", async (string id, SandboxManager m, CommandLauncher l, HttpContext ctx) =>
            Results.Json(new { user_home_dir = (await DefaultsAsync(id, m, l, ctx.RequestAborted)).Home }));
        v1.MapGet("/sandbox/{id}/system/workdir", async (string id, SandboxManager m, CommandLauncher l, HttpContext ctx) =>
            Results.Json(new { workdir = (await DefaultsAsync(id, m, l, ctx.RequestAborted)).WorkDir }));
    }

    /// <summary>The HOME and working directory a command gets with no cwd of its own (the sandbox woken to look up its user).</summary>
    private static async Task<(string Home, string WorkDir)> DefaultsAsync(string id, SandboxManager manager, CommandLauncher launcher, CancellationToken ct)
    {
        var sandbox = await manager.RequireReadyAsync(id);
        manager.Touch(id);
        var spec = await launcher.SpecAsync(sandbox, new CommandRequest("", Shell, new Dictionary<string, string>(), null), withStdin: false, ct);
        var home = spec.Environment.Select(e => e.Split('=', 2)).FirstOrDefault(kv => kv[0] == "HOME")?[1] ?? CommandLauncher.HomeDir;
        return (home, spec.WorkingDirectory);
    }

    /// <summary>
    /// <c>{command, cwd?, timeout? (s, default 30), envs?}</c> -> 200 <c>{exit_code, stdout, stderr}</c>, run with
    /// <c>/bin/sh -c</c>. Past its timeout the command is killed and the answer is 408 <c>CommandTimeout</c>.
    /// </summary>
    private static async Task Execute(string id, HttpContext ctx, ExecService exec)
    {
        var body = await JsonInput.ReadAsync(ctx.Request);
        var command = body.String("command", required: true);
        if (command is { Length: 0 }) body.Fail("command", "must not be empty");
        if (command is not null && command.Contains('\0')) body.Fail("command", "must not contain NUL characters");
        var cwd = body.String("cwd");
        if (cwd is { Length: 0 }) body.Fail("cwd", "must be a directory path (or omitted for the sandbox's workdir)");
        if (cwd is not null && cwd.Contains('\0')) body.Fail("cwd", "must not contain NUL characters");
        var env = body.Environment("envs") ?? [];
        var timeout = body.Integer("timeout", 1, MaxTimeoutSeconds) ?? DefaultTimeoutSeconds;
        body.ThrowIfInvalid();
        using var outcome = await exec.RunToEndAsync(id, new CommandRequest(command!, Shell, env, cwd), timeout, ctx.RequestAborted);

        // Streamed onto the response (no string of the whole output is built), as LangSmith's /execute does.
        var response = ctx.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json; charset=utf-8";
        var pipe = response.BodyWriter;
        using (var writer = new Utf8JsonWriter(pipe, ExecWebSocket.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("exit_code", outcome.ExitCode);
            writer.WritePropertyName("stdout");
            await outcome.Stdout.WriteJsonStringAsync(writer, pipe, ctx.RequestAborted);
            writer.WritePropertyName("stderr");
            await outcome.Stderr.WriteJsonStringAsync(writer, pipe, ctx.RequestAborted);
            writer.WriteEndObject();
            writer.Flush();
        }
        await pipe.FlushAsync(ctx.RequestAborted);
    }
}
