using Microsoft.AspNetCore.Connections;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Sandbox.Server.Services;
using Sandbox.Server.Services.Exec;

namespace Sandbox.Server.Api;

/// <summary>Each sandbox's dataplane: execute, upload, download (<see cref="FileDownload"/>; the WebSocket is in <see cref="ExecWebSocket"/>).</summary>
public static class DataplaneEndpoints
{
    public static void Map(WebApplication app)
    {
        var dp = app.MapGroup(Json.DataplanePath + "/{id}");
        dp.MapPost("/execute", Execute);
        dp.MapPost("/upload", Upload);
        dp.MapMethods("/download", [HttpMethods.Get, HttpMethods.Head], FileDownload.ServeAsync);
        dp.MapGet("/execute/ws", (string id, HttpContext ctx, ExecWebSocket ws) => ws.HandleAsync(id, ctx));
    }

    /// <summary>Reads the command fields shared by POST /execute and the WebSocket's first frame.</summary>
    public static CommandRequest ReadCommand(JsonInput body)
    {
        var command = body.String("command", required: true);
        var shell = body.String("shell") ?? "/bin/bash";
        var env = body.Environment("env") ?? [];
        var cwd = body.String("cwd");
        if (command is not null && command.Contains('\0')) body.Fail("command", "must not contain NUL characters");
        if (shell.Length == 0 || shell.Contains('\0')) body.Fail("shell", "must be a program name or path");
        var runConfig = RunConfigInput.Read(body);
        // The current generation's rule (its SDKs refuse it first): run_config replaces env and cwd, never beside them.
        if (runConfig is not null && (body.Has("env") || body.Has("cwd")))
            throw ApiException.BadRequest("InvalidRequest",
                "give run_config or the deprecated env/cwd, not both: put the variables in run_config.env_vars and the directory in run_config.work_dir");
        return new CommandRequest(command ?? "", shell, env, cwd, runConfig);
    }

    private static async Task Execute(string id, HttpContext ctx, ExecService exec)
    {
        var body = await JsonInput.ReadAsync(ctx.Request);
        var request = ReadCommand(body);
        var timeout = body.Number("timeout", 0.001, 24 * 3600) ?? 60;
        body.ThrowIfInvalid();
        using var outcome = await exec.RunToEndAsync(id, request, timeout, ctx.RequestAborted);
        await WriteResultAsync(ctx.Response, outcome.Stdout, outcome.Stderr, outcome.ExitCode, ctx.RequestAborted);
    }

    /// <summary>
    /// The ExecutionResult, serialised straight onto the response in pieces: no string, byte array or JSON
    /// document of the whole output is ever built (a NUL byte costs 6 bytes of JSON).
    /// </summary>
    private static async Task WriteResultAsync(HttpResponse response, CapturedOutput stdout, CapturedOutput stderr, int exitCode, CancellationToken ct)
    {
        response.StatusCode = 200;
        response.ContentType = "application/json; charset=utf-8";
        var pipe = response.BodyWriter;
        using (var writer = new Utf8JsonWriter(pipe, ExecWebSocket.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("stdout");
            await stdout.WriteJsonStringAsync(writer, pipe, ct);
            writer.WritePropertyName("stderr");
            await stderr.WriteJsonStringAsync(writer, pipe, ct);
            writer.WriteNumber("exit_code", exitCode);
            writer.WriteBoolean("stdout_truncated", stdout.Truncated);
            writer.WriteBoolean("stderr_truncated", stderr.Truncated);
            writer.WriteNumber("stdout_bytes", stdout.Total);
            writer.WriteNumber("stderr_bytes", stderr.Total);
            writer.WriteEndObject();
            writer.Flush();
        }
        await pipe.FlushAsync(ct);
    }

    public static string RequirePath(HttpRequest req)
    {
        var path = (string?)req.Query["path"];
        if (string.IsNullOrEmpty(path)) throw ValidationException.For(["query", "path"], "field required: the file's path in the sandbox", "missing");
        if (path.Contains('\0')) throw ValidationException.For(["query", "path"], "must not contain NUL characters");
        if (System.Text.Encoding.UTF8.GetByteCount(CommandLauncher.ResolvePath(path)) >= 4096)
            throw ValidationException.For(["query", "path"], "must be shorter than 4096 bytes (PATH_MAX)", "string_too_long");
        return path;
    }

    private static async Task<IResult> Upload(string id, HttpRequest req, SandboxManager manager, CommandLauncher launcher)
    {
        var path = RequirePath(req);
        CommandLauncher.RejectPseudoFilesystem(path);
        if (!MediaTypeHeaderValue.TryParse(req.ContentType, out var contentType) || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 } boundary)
            throw ValidationException.For(["body"], "must be multipart/form-data with a 'file' field", "multipart_type");
        if (boundary.Length > 70)
            throw ValidationException.For(["body"], "the multipart boundary must be 1-70 characters (RFC 2046)", "multipart_type");
        var sandbox = await manager.RequireReadyAsync(id);
        manager.Touch(id);
        var ct = req.HttpContext.RequestAborted;

        // Streamed section by section: the file goes straight from the socket into a temp file beside the target
        // inside the sandbox, renamed over it only once the whole part has arrived (an interrupted upload leaves the
        // old file as it was, and the helper removes the temp).
        var reader = new MultipartReader(boundary, req.Body) { BodyLengthLimit = null };
        while (await ReadMultipartAsync(req, () => reader.ReadNextSectionAsync(ct), ["body"]) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                || HeaderUtilities.RemoveQuotes(disposition.Name).Value != "file")
                continue; // the next ReadNextSectionAsync skips this part's body
            using var upload = await launcher.BeginUploadAsync(sandbox, path, ct);
            long written = 0;
            await using (var file = new FileStream(upload.File, FileAccess.Write, bufferSize: 0))
            {
                // Reads and writes apart: a broken body is the client's 422, a failed write the sandbox's 400.
                var buffer = new byte[1 << 20];
                while (await ReadMultipartAsync(req, () => section.Body.ReadAsync(buffer, ct).AsTask(), ["body", "file"]) is var n and > 0)
                {
                    try
                    {
                        await file.WriteAsync(buffer.AsMemory(0, n), ct);
                    }
                    catch (IOException e) when (!ct.IsCancellationRequested)
                    {
                        var resolved = CommandLauncher.ResolvePath(path);
                        throw e.HResult is 28 or 122
                            ? ApiException.BadRequest("NoSpace", $"no space left for {resolved} after {written} bytes: {e.Message}")
                            : ApiException.BadRequest("FileError", $"{resolved}: writing failed after {written} bytes: {e.Message}");
                    }
                    written += n;
                }
            }
            await upload.CommitAsync(ct);
            return Results.Json(new { path = CommandLauncher.ResolvePath(path), written });
        }
        throw ValidationException.For(["body", "file"], "field required: a multipart part named 'file'", "missing");
    }

    /// <summary>
    /// Runs one read of the multipart body. A body that breaks the multipart format (a part cut off before its closing
    /// boundary, malformed part headers, lines over the limits) is a 422 naming <paramref name="loc"/>; a client that
    /// went away is a cancellation (nothing to answer).
    /// </summary>
    private static async Task<T> ReadMultipartAsync<T>(HttpRequest req, Func<Task<T>> read, string[] loc)
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (e is IOException or InvalidDataException && !req.HttpContext.RequestAborted.IsCancellationRequested
                                  && e is not (BadHttpRequestException or ConnectionResetException))
        {
            var what = loc.Length > 1 ? $"multipart part '{loc[^1]}'" : "multipart body";
            throw ValidationException.For(loc, $"{what} is malformed or truncated (no closing boundary): {e.Message}", "multipart_invalid");
        }
    }

    private static Task ReadMultipartAsync(HttpRequest req, Func<Task> read, string[] loc) =>
        ReadMultipartAsync(req, async () =>
        {
            await read();
            return true;
        }, loc);
}
