using Microsoft.Win32.SafeHandles;
using Sandbox.Server.Runtime;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>A command as a client asks for it, over HTTP or the WebSocket.</summary>
/// <summary>An open file's validators: its length, its modification time (whole seconds) and a strong ETag.</summary>
public sealed record FileVersion(long Length, DateTimeOffset LastModified, string ETag);

/// <remarks>
/// <paramref name="Env"/> and <paramref name="Cwd"/> are the older generation's fields; <paramref name="RunConfig"/> the
/// current one's command layer (the Api refuses both at once).
/// </remarks>
public sealed record CommandRequest(string Command, string Shell, IReadOnlyDictionary<string, string> Env, string? Cwd, RunConfigRecord? RunConfig = null);

/// <summary>Starts commands and opens files inside sandboxes, turning helper failures into API errors.</summary>
public sealed class CommandLauncher(SandboxRuntime runtime)
{
    public const string HomeDir = "/home/user";
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>Relative paths are relative to /home/user, as the reference says.</summary>
    public static string ResolvePath(string path) => path.StartsWith('/') ? path : $"{HomeDir}/{path}";

    /// <summary>
    /// The command as the helper runs it. run_config layers, later winning: the defaults (root, /home/user, PATH, HOME,
    /// USER, LANG, HOSTNAME), the sandbox's <c>env</c>, the sandbox's run_config (create, PATCH), then the command's
    /// run_config or its older <c>env</c>/<c>cwd</c>; user and work_dir replace, env_vars merge. A user other than root
    /// is resolved in the sandbox's own /etc/passwd and /etc/group, and sets USER and HOME before env_vars do.
    /// </summary>
    public async Task<CommandSpec> SpecAsync(SandboxRecord sandbox, CommandRequest request, bool withStdin, CancellationToken ct)
    {
        var command = request.RunConfig ?? new RunConfigRecord { EnvVars = request.Env, WorkDir = request.Cwd is null ? null : ResolvePath(request.Cwd) };
        var layers = new RunConfigRecord { EnvVars = sandbox.Env }.Merge(sandbox.RunConfig).Merge(command);
        var env = new Dictionary<string, string>
        {
            ["PATH"] = DefaultPath,
            ["HOME"] = HomeDir,
            ["USER"] = "root",
            ["LANG"] = "C.UTF-8",
            ["HOSTNAME"] = sandbox.Name,
        };
        SandboxUser? user = null;
        if (layers.User is { } who && who is not ("root" or "0" or "root:root" or "0:0"))
        {
            var resolved = await Exec.SandboxUsers.ResolveAsync(this, sandbox, who, ct);
            user = resolved.User;
            env["USER"] = resolved.Name ?? resolved.User.Uid.ToString();
            if (resolved.Home is { } home) env["HOME"] = home;
        }
        foreach (var (k, v) in layers.EnvVars ?? new Dictionary<string, string>()) env[k] = v;
        return new CommandSpec([request.Shell, "-c", request.Command], env.Select(kv => $"{kv.Key}={kv.Value}").ToList(), layers.WorkDir ?? HomeDir, withStdin)
        {
            User = user,
        };
    }

    public Task<RunningCommand> StartAsync(SandboxRecord sandbox, CommandRequest request, bool withStdin, CancellationToken ct) =>
        LaunchAsync(sandbox, request, withStdin, spec => HelperClient.StartAsync(runtime.SocketPath(sandbox.Id), spec, ct), ct);

    /// <summary>
    /// The command on a new pseudo-terminal of the sandbox's own /dev/pts (the helper's <c>pty</c> verb, as leap0's
    /// terminal sessions), <paramref name="cols"/> x <paramref name="rows"/>, TERM xterm-256color unless the request sets it.
    /// </summary>
    public Task<PtyProcess> StartPtyAsync(SandboxRecord sandbox, CommandRequest request, int cols, int rows, CancellationToken ct) =>
        LaunchAsync(sandbox, request, false, spec =>
        {
            if (spec.User is not null)
                throw new RejectedException("NotSupported", "pseudo-terminals run as the sandbox's root: a run_config user is not supported for them by the local server");
            var env = spec.Environment.Any(e => e.StartsWith("TERM=", StringComparison.Ordinal)) ? spec.Environment : [.. spec.Environment, "TERM=xterm-256color"];
            return PtyProcess.StartAsync(runtime.SocketPath(sandbox.Id), spec with { Environment = env }, cols, rows, ct);
        }, ct);

    /// <summary>Builds the command's spec and starts it with <paramref name="start"/>, turning helper failures into API errors.</summary>
    private async Task<T> LaunchAsync<T>(SandboxRecord sandbox, CommandRequest request, bool withStdin, Func<CommandSpec, Task<T>> start, CancellationToken ct)
    {
        CommandSpec? spec = null;
        try
        {
            spec = await SpecAsync(sandbox, request, withStdin, ct);
            return await start(spec);
        }
        catch (HelperException e) when (e.Stage == "exec")
        {
            throw new RejectedException("CommandNotFound", $"cannot run shell '{request.Shell}': {e.InnerMessage()}");
        }
        catch (HelperException e) when (e.Stage == "chdir")
        {
            throw new RejectedException("InvalidWorkingDirectory", $"cannot use '{spec?.WorkingDirectory ?? request.Cwd}' as the working directory: {e.InnerMessage()}");
        }
        catch (HelperException e) when (e.Stage == "user")
        {
            throw new RejectedException("InvalidUser", $"cannot run as run_config.user {Describe(spec?.User)}: {e.InnerMessage()}");
        }
        catch (HelperException e) when (e.Stage == "proto" && spec?.User is not null)
        {
            // A helper of an older server (the sandbox booted before run_config existed) has no execas.
            throw new RejectedException("InvalidUser",
                $"sandbox '{sandbox.Name}' was booted by an older server whose helper cannot switch users; stop and start it to run commands as {Describe(spec.User)}");
        }
        catch (HelperException e) when (e.Stage == "fork")
        {
            throw new UnavailableException("SandboxBusy", $"the sandbox cannot start another process (its pids limit is reached): {e.InnerMessage()}");
        }
        catch (SandboxUnreachableException e)
        {
            throw new UnavailableException("SandboxUnavailable", $"sandbox '{sandbox.Name}' does not answer: {e.Message}");
        }
    }

    private static string Describe(SandboxUser? user) =>
        user is null ? "root" : $"uid {user.Uid} gid {user.Gid}{(user.Groups.Count > 0 ? $" groups {string.Join(",", user.Groups)}" : "")}";

    /// <summary>
    /// The paths never transferred, whatever the helper would say: /proc and /sys (kernel pseudo-files whose sizes lie
    /// and whose reads fail or have effects). Checked on the lexically normalised path; symlinks into them are refused
    /// by the helper, which looks at the filesystem of what it opened.
    /// </summary>
    public static void RejectPseudoFilesystem(string path)
    {
        var segments = new List<string>();
        foreach (var part in ResolvePath(path).Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..")
            {
                if (segments.Count > 0) segments.RemoveAt(segments.Count - 1);
                continue;
            }
            segments.Add(part);
        }
        if (segments.Count > 0 && segments[0] is "proc" or "sys") throw PseudoFile(path, "/" + segments[0]);
    }

    private static DomainException PseudoFile(string path, string where) =>
        new RejectedException("NotARegularFile",
            $"{ResolvePath(path)} is on {where}, a kernel pseudo-filesystem: only regular files are transferred, files under /proc and /sys are not");

    /// <summary>
    /// Opens a temp file beside <paramref name="path"/> for an atomic upload (see <see cref="HelperUpload"/>); with a helper
    /// too old for that, the target itself, truncated (the returned upload's commit then does nothing).
    /// </summary>
    public async Task<IFileUpload> BeginUploadAsync(SandboxRecord sandbox, string path, CancellationToken ct)
    {
        RejectPseudoFilesystem(path);
        try
        {
            var upload = await HelperClient.BeginUploadAsync(runtime.SocketPath(sandbox.Id), path, ct);
            if (upload is not null) return new AtomicUpload(upload, sandbox, path);
        }
        catch (Exception e) when (e is HelperException or SandboxUnreachableException)
        {
            throw FileError(sandbox, path, e);
        }
        return new DirectUpload(await OpenFileAsync(sandbox, path, write: true, ct));
    }

    public interface IFileUpload : IDisposable
    {
        SafeFileHandle File { get; }
        Task CommitAsync(CancellationToken ct);
    }

    private sealed class AtomicUpload(HelperUpload upload, SandboxRecord sandbox, string path) : IFileUpload
    {
        public SafeFileHandle File => upload.File;

        public async Task CommitAsync(CancellationToken ct)
        {
            try
            {
                await upload.CommitAsync(ct);
            }
            catch (Exception e) when (e is HelperException or SandboxUnreachableException)
            {
                throw FileError(sandbox, path, e);
            }
        }

        public void Dispose() => upload.Dispose();
    }

    private sealed class DirectUpload(SafeFileHandle file) : IFileUpload
    {
        public SafeFileHandle File => file;
        public Task CommitAsync(CancellationToken ct) => Task.CompletedTask;
        public void Dispose() => file.Dispose();
    }

    public async Task<SafeFileHandle> OpenFileAsync(SandboxRecord sandbox, string path, bool write, CancellationToken ct)
    {
        RejectPseudoFilesystem(path);
        try
        {
            return await HelperClient.OpenFileAsync(runtime.SocketPath(sandbox.Id), path, write, ct);
        }
        catch (Exception e) when (e is HelperException or SandboxUnreachableException)
        {
            throw FileError(sandbox, path, e);
        }
    }

    /// <summary>
    /// Opens a file for reading (inside the sandbox, by its init) and describes the open file: its length, modification
    /// time and a strong entity tag made of device, inode, size, mtime and ctime (nanoseconds), so any write, rename over
    /// or metadata change gives a new tag. The description is read from the descriptor, never from a host path.
    /// </summary>
    public async Task<(SafeFileHandle File, FileVersion Version)> OpenForReadAsync(SandboxRecord sandbox, string path, CancellationToken ct)
    {
        var file = await OpenFileAsync(sandbox, path, write: false, ct);
        try
        {
            var st = Native.Fstat(file);
            var modified = DateTimeOffset.FromUnixTimeSeconds(st.MtimeSeconds);
            var tag = $"\"{st.Device:x}-{st.Inode:x}-{st.Size:x}-{st.MtimeSeconds:x}.{st.MtimeNanoseconds:x}-{st.CtimeSeconds:x}.{st.CtimeNanoseconds:x}\"";
            return (file, new FileVersion(st.Size, modified, tag));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>A helper's failure on <paramref name="path"/> as the API's error (404 NotFound, 400 IsADirectory, ...).</summary>
    internal static DomainException FileError(SandboxRecord sandbox, string path, Exception error)
    {
        if (error is SandboxUnreachableException u)
            return new UnavailableException("SandboxUnavailable", $"sandbox '{sandbox.Name}' does not answer: {u.Message}");
        var e = (HelperException)error;
        var resolved = ResolvePath(path);
        if (e.Stage == "pseudofs") return PseudoFile(path, "/proc, /sys or another kernel filesystem (through a symlink)");
        return e.Errno switch
        {
            2 => new NotFoundException("NotFound", $"no such file in the sandbox: {resolved}"),
            21 => new RejectedException("IsADirectory", $"{resolved} is a directory"),
            20 => new RejectedException("NotADirectory", $"a parent of {resolved} is not a directory"),
            22 or 6 => new RejectedException("NotARegularFile", $"{resolved} is not a regular file (only regular files are transferred: not devices, FIFOs or sockets)"),
            1 or 13 or 30 => new RejectedException("PermissionDenied", $"permission denied: {resolved}"),
            28 => new RejectedException("NoSpace", $"no space left for {resolved}"),
            36 => new RejectedException("NameTooLong", $"path too long: {resolved}"),
            _ => new RejectedException("FileError", $"{resolved}: {e.InnerMessage()}"),
        };
    }
}

internal static class HelperExceptionText
{
    public static string InnerMessage(this HelperException e) => new System.ComponentModel.Win32Exception(e.Errno).Message;
}
