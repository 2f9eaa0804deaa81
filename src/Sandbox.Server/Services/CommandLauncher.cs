using Microsoft.Win32.SafeHandles;
using Sandbox.Server.Api;
using Sandbox.Server.Runtime;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>A command as a client asks for it, over HTTP or the WebSocket.</summary>
public sealed record CommandRequest(string Command, string Shell, IReadOnlyDictionary<string, string> Env, string? Cwd);

/// <summary>Starts commands and opens files inside sandboxes, turning helper failures into API errors.</summary>
public sealed class CommandLauncher(SandboxRuntime runtime)
{
    public const string HomeDir = "/home/user";
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>Relative paths are relative to /home/user, as the reference says.</summary>
    public static string ResolvePath(string path) => path.StartsWith('/') ? path : $"{HomeDir}/{path}";

    public static CommandSpec Spec(SandboxRecord sandbox, CommandRequest request, bool withStdin)
    {
        // Later sources win: defaults, then the sandbox's env, then the command's own.
        var env = new Dictionary<string, string>
        {
            ["PATH"] = DefaultPath,
            ["HOME"] = HomeDir,
            ["USER"] = "root",
            ["LANG"] = "C.UTF-8",
            ["HOSTNAME"] = sandbox.Name,
        };
        foreach (var (k, v) in sandbox.Env) env[k] = v;
        foreach (var (k, v) in request.Env) env[k] = v;
        return new CommandSpec(
            [request.Shell, "-c", request.Command],
            env.Select(kv => $"{kv.Key}={kv.Value}").ToList(),
            request.Cwd is null ? HomeDir : ResolvePath(request.Cwd),
            withStdin);
    }

    public async Task<RunningCommand> StartAsync(SandboxRecord sandbox, CommandRequest request, bool withStdin, CancellationToken ct)
    {
        try
        {
            return await HelperClient.StartAsync(runtime.SocketPath(sandbox.Id), Spec(sandbox, request, withStdin), ct);
        }
        catch (HelperException e) when (e.Stage == "exec")
        {
            throw ApiException.BadRequest("CommandNotFound", $"cannot run shell '{request.Shell}': {e.InnerMessage()}");
        }
        catch (HelperException e) when (e.Stage == "chdir")
        {
            throw ApiException.BadRequest("InvalidWorkingDirectory", $"cannot use '{request.Cwd}' as the working directory: {e.InnerMessage()}");
        }
        catch (HelperException e) when (e.Stage == "fork")
        {
            throw new ApiException(503, "SandboxBusy", $"the sandbox cannot start another process (its pids limit is reached): {e.InnerMessage()}");
        }
        catch (SandboxUnreachableException e)
        {
            throw new ApiException(503, "SandboxUnavailable", $"sandbox '{sandbox.Name}' does not answer: {e.Message}");
        }
    }

    public async Task<SafeFileHandle> OpenFileAsync(SandboxRecord sandbox, string path, bool write, CancellationToken ct)
    {
        try
        {
            return await HelperClient.OpenFileAsync(runtime.SocketPath(sandbox.Id), path, write, ct);
        }
        catch (HelperException e)
        {
            var resolved = ResolvePath(path);
            throw e.Errno switch
            {
                2 => ApiException.NotFound("NotFound", $"no such file in the sandbox: {resolved}"),
                21 => ApiException.BadRequest("IsADirectory", $"{resolved} is a directory"),
                20 => ApiException.BadRequest("NotADirectory", $"a parent of {resolved} is not a directory"),
                22 or 6 => ApiException.BadRequest("NotARegularFile", $"{resolved} is not a regular file"),
                1 or 13 or 30 => ApiException.BadRequest("PermissionDenied", $"permission denied: {resolved}"),
                28 => ApiException.BadRequest("NoSpace", $"no space left for {resolved}"),
                _ => ApiException.BadRequest("FileError", $"{resolved}: {e.InnerMessage()}"),
            };
        }
        catch (SandboxUnreachableException e)
        {
            throw new ApiException(503, "SandboxUnavailable", $"sandbox '{sandbox.Name}' does not answer: {e.Message}");
        }
    }
}

internal static class HelperExceptionText
{
    public static string InnerMessage(this HelperException e) => new System.ComponentModel.Win32Exception(e.Errno).Message;
}
