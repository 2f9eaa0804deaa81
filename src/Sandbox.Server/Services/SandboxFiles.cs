using System.Text;
using Sandbox.Server.Runtime;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>One entry as <c>lstat</c> sees it inside the sandbox (owner and group named from the sandbox's own databases).</summary>
public sealed record FileEntry(string Path, char Type, long Size, string Mode, long ModifiedSeconds, string Owner, string Group, string? LinkTarget)
{
    public bool IsDir => Type == 'd';
    public bool IsSymlink => Type == 'l';
    public string Name => Path == "/" ? "/" : Path[(Path.LastIndexOf('/') + 1)..];
}

/// <summary>A directory tree, children by name; <see cref="Children"/> is null for anything but a directory.</summary>
public sealed record TreeNode(string Name, bool IsDir, List<TreeNode>? Children);

/// <summary>
/// Filesystem operations inside a sandbox that the helper has no verb of its own for (stat, list, tree, mkdir, delete,
/// chmod/chown, move, copy, exists). Each runs as a program inside the sandbox, started by the sandbox's helper like any
/// command (its mount namespace and root: <c>..</c> and symlinks resolve against the sandbox's own root and can never
/// reach the host), as the sandbox's root without capabilities, and with every path passed as its own argument: no path
/// is ever put into shell text. The programs are GNU coreutils and findutils (the built-in images have them; a template
/// without them answers 400 <c>ToolMissing</c>). Each is bounded in time (<see cref="ToolTimeout"/>) and in output
/// (<see cref="MaxListingBytes"/>: past it the request is refused, never answered in part).
/// </summary>
public sealed class SandboxFiles(SandboxManager manager, SandboxRuntime runtime)
{
    public static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);
    /// <summary>leap0's bound on a request or an answer.</summary>
    public const long MaxListingBytes = 10L << 20;
    public const int MaxDepth = 64;
    private const int MaxErrorBytes = 16 << 10;
    private const string Path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    // type, size, mode (octal), mtime, owner, group, link target, path: NUL after each.
    private const string EntryFormat = @"%y\0%s\0%m\0%T@\0%u\0%g\0%l\0%p\0";

    /// <summary>The sandbox made ready (a paused one resumed, a stopped one started) and its activity noted.</summary>
    public async Task<SandboxRecord> ReadyAsync(string sandboxId)
    {
        var sandbox = await manager.RequireReadyAsync(sandboxId);
        manager.Touch(sandboxId);
        return sandbox;
    }

    /// <summary>
    /// An absolute path with <c>.</c>, empty segments and a trailing <c>/</c> gone (<c>..</c> stays: the sandbox resolves
    /// it, as it resolves symlinks). Relative paths are relative to /home/user.
    /// </summary>
    public static string Normalize(string path)
    {
        var parts = CommandLauncher.ResolvePath(path).Split('/').Where(p => p is not ("" or ".")).ToList();
        return "/" + string.Join('/', parts);
    }

    public async Task<FileEntry> StatAsync(SandboxRecord sandbox, string path, bool followLink, CancellationToken ct)
    {
        path = Normalize(path);
        var r = await RunAsync(sandbox, ["find", followLink ? "-H" : "-P", path, "-maxdepth", "0", "-printf", EntryFormat], ct);
        r.ThrowIfFailed(path);
        return ParseEntries(r.Stdout).Single();
    }

    /// <summary>True when something is at the path (a symlink is there even if its target is not).</summary>
    public async Task<bool> ExistsAsync(SandboxRecord sandbox, string path, CancellationToken ct)
    {
        path = Normalize(path);
        var r = await RunAsync(sandbox, ["find", "-P", path, "-maxdepth", "0", "-printf", "x"], ct);
        if (r.ExitCode == 0) return r.Stdout.Length > 0;
        if (r.Stderr.Contains("No such file or directory") || r.Stderr.Contains("Not a directory")) return false;
        r.ThrowIfFailed(path);
        return false;
    }

    /// <summary>The entries under a directory (a symlink to one is followed), <paramref name="depth"/> levels down, minus <paramref name="exclude"/>.</summary>
    public async Task<List<FileEntry>> ListAsync(SandboxRecord sandbox, string path, int depth, IReadOnlyList<string> exclude, CancellationToken ct)
    {
        path = await RequireDirectoryAsync(sandbox, path, ct);
        var r = await RunAsync(sandbox, ["find", "-H", path, "-mindepth", "1", "-maxdepth", depth.ToString(), .. Prune(path, exclude), "-printf", EntryFormat], ct);
        r.ThrowIfFailed(path, partialOk: true);
        return ParseEntries(r.Stdout).OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
    }

    public async Task<List<TreeNode>> TreeAsync(SandboxRecord sandbox, string path, int depth, IReadOnlyList<string> exclude, CancellationToken ct)
    {
        path = await RequireDirectoryAsync(sandbox, path, ct);
        var r = await RunAsync(sandbox, ["find", "-H", path, "-mindepth", "1", "-maxdepth", depth.ToString(), .. Prune(path, exclude), "-printf", @"%y\0%P\0"], ct);
        r.ThrowIfFailed(path, partialOk: true);
        var root = new TreeNode("", true, []);
        var dirs = new Dictionary<string, TreeNode> { [""] = root };
        var fields = Fields(r.Stdout);
        for (var i = 0; i + 1 < fields.Count; i += 2)
        {
            var relative = fields[i + 1];
            var slash = relative.LastIndexOf('/');
            var parent = slash < 0 ? "" : relative[..slash];
            if (!dirs.TryGetValue(parent, out var node)) continue; // its directory was not listed (unreadable)
            var isDir = fields[i] == "d";
            var child = new TreeNode(relative[(slash + 1)..], isDir, isDir ? [] : null);
            node.Children!.Add(child);
            if (isDir) dirs[relative] = child;
        }
        foreach (var dir in dirs.Values) dir.Children!.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return root.Children!;
    }

    public async Task MakeDirectoryAsync(SandboxRecord sandbox, string path, bool parents, string mode, CancellationToken ct)
    {
        path = Normalize(path);
        CommandLauncher.RejectPseudoFilesystem(path);
        var r = await RunAsync(sandbox, parents ? ["mkdir", "-p", "-m", mode, "--", path] : ["mkdir", "-m", mode, "--", path], ct);
        if (r.ExitCode != 0 && r.Stderr.Contains("File exists"))
            throw new RejectedException("AlreadyExists", $"{path} already exists (set recursive to accept an existing directory)");
        r.ThrowIfFailed(path); // -m sets the new directory's mode whatever the umask; an existing one (with -p) keeps its own
    }

    public async Task DeleteAsync(SandboxRecord sandbox, string path, bool recursive, CancellationToken ct)
    {
        path = Normalize(path);
        if (path == "/") throw new RejectedException("RefusedPath", "the sandbox's root directory is not deleted");
        CommandLauncher.RejectPseudoFilesystem(path);
        var r = await RunAsync(sandbox, recursive ? ["rm", "-r", "--", path] : ["rm", "-d", "--", path], ct);
        if (r.ExitCode != 0 && r.Stderr.Contains("Directory not empty"))
            throw new RejectedException("DirectoryNotEmpty", $"{path} is a directory that is not empty: set recursive to delete it with its contents");
        r.ThrowIfFailed(path);
    }

    public async Task SetPermissionsAsync(SandboxRecord sandbox, string path, string? mode, string? owner, string? group, CancellationToken ct)
    {
        path = Normalize(path);
        CommandLauncher.RejectPseudoFilesystem(path);
        if (owner is not null || group is not null)
        {
            var r = await RunAsync(sandbox, owner is null ? ["chgrp", "--", group!, path] : ["chown", "--", group is null ? owner : $"{owner}:{group}", path], ct);
            if (r.ExitCode != 0 && (r.Stderr.Contains("invalid user") || r.Stderr.Contains("invalid group")))
                throw new RejectedException("InvalidOwner", $"{r.Stderr.Trim()} (owners and groups are looked up in the sandbox's /etc/passwd and /etc/group)");
            r.ThrowIfFailed(path);
        }
        if (mode is not null) (await RunAsync(sandbox, ["chmod", mode, "--", path], ct)).ThrowIfFailed(path);
    }

    /// <summary>rename(2) semantics (<c>mv -T</c>): the destination is the new name, never a directory to move into.</summary>
    public Task MoveAsync(SandboxRecord sandbox, string source, string destination, bool overwrite, CancellationToken ct) =>
        TransferAsync(sandbox, "mv", source, destination, overwrite, recursive: true, ct);

    /// <summary><c>cp -T</c>: a file's content (a symlink followed), or with <paramref name="recursive"/> a directory (symlinks copied as symlinks).</summary>
    public Task CopyAsync(SandboxRecord sandbox, string source, string destination, bool recursive, bool overwrite, CancellationToken ct) =>
        TransferAsync(sandbox, "cp", source, destination, overwrite, recursive, ct);

    // The checks and the program in one small script, the paths its positional parameters ("$1", "$2"): never shell text.
    private const string TransferScript = """
        [ -e "$1" ] || [ -L "$1" ] || exit 90
        if [ "$3" = keep ] && { [ -e "$2" ] || [ -L "$2" ]; }; then exit 91; fi
        if [ "$4" = cp ]; then
          if [ -d "$1" ] && [ "$5" != recursive ]; then exit 92; fi
          exec cp -T -R --preserve=mode,timestamps -- "$1" "$2"
        fi
        exec mv -T -- "$1" "$2"
        """;

    private async Task TransferAsync(SandboxRecord sandbox, string verb, string source, string destination, bool overwrite, bool recursive, CancellationToken ct)
    {
        source = Normalize(source);
        destination = Normalize(destination);
        CommandLauncher.RejectPseudoFilesystem(source);
        CommandLauncher.RejectPseudoFilesystem(destination);
        if (source == "/" || destination == "/") throw new RejectedException("RefusedPath", "the sandbox's root directory is neither moved, copied nor replaced");
        var r = await RunAsync(sandbox, ["/bin/sh", "-c", TransferScript, "sh", source, destination, overwrite ? "replace" : "keep", verb, recursive ? "recursive" : "flat"], ct);
        switch (r.ExitCode)
        {
            case 90: throw new NotFoundException("NotFound", $"no such file or directory in the sandbox: {source}");
            case 91:
                var message = $"{destination} already exists: set overwrite to replace it";
                throw verb == "cp" ? new ConflictException("AlreadyExists", message) : new RejectedException("AlreadyExists", message);
            case 92: throw new RejectedException("IsADirectory", $"{source} is a directory: set recursive to copy it with its contents");
        }
        if (r.ExitCode != 0 && r.Stderr.Contains("No such file or directory"))
            throw new RejectedException("NotADirectory", $"the directory of {destination} does not exist: {r.Stderr.Trim()}");
        r.ThrowIfFailed(destination);
    }

    private async Task<string> RequireDirectoryAsync(SandboxRecord sandbox, string path, CancellationToken ct)
    {
        path = Normalize(path);
        CommandLauncher.RejectPseudoFilesystem(path);
        var entry = await StatAsync(sandbox, path, followLink: true, ct);
        if (entry.IsSymlink) throw new NotFoundException("NotFound", $"{path} is a symlink to {entry.LinkTarget}, which does not exist in the sandbox");
        if (!entry.IsDir) throw new RejectedException("NotADirectory", $"{path} is not a directory");
        return path;
    }

    /// <summary>find's expression pruning the excluded: a pattern without '/' matches names, one with '/' paths under the root.</summary>
    private static List<string> Prune(string root, IReadOnlyList<string> exclude)
    {
        if (exclude.Count == 0) return [];
        var expression = new List<string> { "(" };
        foreach (var pattern in exclude)
        {
            if (expression.Count > 1) expression.Add("-o");
            if (pattern.Contains('/')) expression.AddRange(["-path", EscapeGlob(root == "/" ? "" : root) + "/" + pattern.Trim('/')]);
            else expression.AddRange(["-name", pattern]);
        }
        expression.AddRange([")", "-prune", "-o"]);
        return expression;
    }

    private static string EscapeGlob(string literal)
    {
        var sb = new StringBuilder();
        foreach (var c in literal)
        {
            if (c is '*' or '?' or '[' or ']' or '\\') sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    private static List<string> Fields(byte[] output)
    {
        var fields = new List<string>();
        var start = 0;
        for (var i = 0; i < output.Length; i++)
        {
            if (output[i] != 0) continue;
            fields.Add(Encoding.UTF8.GetString(output, start, i - start));
            start = i + 1;
        }
        return fields;
    }

    private static List<FileEntry> ParseEntries(byte[] output)
    {
        var fields = Fields(output);
        var entries = new List<FileEntry>();
        for (var i = 0; i + 7 < fields.Count; i += 8)
        {
            var type = fields[i] switch { "d" => 'd', "f" => 'f', "l" => 'l', _ => 'o' };
            var seconds = fields[i + 3].Split('.')[0];
            entries.Add(new FileEntry(fields[i + 7], type, long.Parse(fields[i + 1]), fields[i + 2], long.Parse(seconds), fields[i + 4], fields[i + 5],
                type == 'l' ? fields[i + 6] : null));
        }
        return entries;
    }

    /// <summary>How a program runs: its directory, more environment, its time bound, and what to say when it is not installed.</summary>
    public sealed record ToolOptions(string? WorkingDirectory = null, IReadOnlyList<string>? Env = null, TimeSpan? Timeout = null, string? Missing = null);

    public sealed record ToolResult(int ExitCode, byte[] Stdout, string Stderr)
    {
        /// <summary>
        /// A failed program as the API's error, from its message (run with <c>LC_ALL=C</c>). With <paramref name="partialOk"/>
        /// a listing that could not read some directory (permission denied) counts as done.
        /// </summary>
        public void ThrowIfFailed(string path, bool partialOk = false)
        {
            if (ExitCode == 0) return;
            var why = Stderr.Trim();
            if (why.Length > 1000) why = why[..1000] + "...";
            if (why.Contains("No such file or directory")) throw new NotFoundException("NotFound", $"no such file or directory in the sandbox: {path}");
            if (partialOk && why.Contains("Permission denied")) return;
            if (why.Contains("Permission denied") || why.Contains("Operation not permitted"))
                throw new RejectedException("PermissionDenied", $"permission denied in the sandbox: {why}");
            if (why.Contains("Not a directory")) throw new RejectedException("NotADirectory", $"a parent of {path} is not a directory: {why}");
            if (why.Contains("No space left")) throw new RejectedException("NoSpace", $"no space left in the sandbox: {why}");
            throw new RejectedException("FileError", why.Length > 0 ? why : $"{path}: failed with exit code {ExitCode}");
        }
    }

    /// <summary>
    /// Runs <paramref name="argv"/> inside the sandbox (no shell unless argv names one) and collects its output:
    /// stdout up to <see cref="MaxListingBytes"/> (past it the program is killed and the request refused), stderr's first
    /// <see cref="MaxErrorBytes"/>.
    /// </summary>
    public async Task<ToolResult> RunAsync(SandboxRecord sandbox, IReadOnlyList<string> argv, CancellationToken ct, ToolOptions? options = null)
    {
        using var activity = manager.BeginActivity(sandbox.Id);
        options ??= new ToolOptions();
        var timeout = options.Timeout ?? ToolTimeout;
        var spec = new CommandSpec(argv, [Path, "LC_ALL=C", "HOME=/root", .. options.Env ?? []], options.WorkingDirectory ?? "/", WithStdin: false);
        RunningCommand command;
        try
        {
            command = await HelperClient.StartAsync(runtime.SocketPath(sandbox.Id), spec, ct);
        }
        catch (HelperException e) when (e.Stage == "chdir")
        {
            throw e.Errno == 2
                ? new NotFoundException("NotFound", $"no such directory in the sandbox: {spec.WorkingDirectory}")
                : new RejectedException("NotADirectory", $"cannot work in {spec.WorkingDirectory}: {e.InnerMessage()}");
        }
        catch (HelperException e) when (e.Stage == "exec" && options.Missing is { } missing)
        {
            throw new RejectedException("ToolMissing", missing);
        }
        catch (HelperException e) when (e.Stage == "exec")
        {
            throw new RejectedException("ToolMissing",
                $"'{argv[0]}' cannot run in sandbox '{sandbox.Name}' ({e.InnerMessage()}): the local server's filesystem operations run GNU coreutils and findutils inside the sandbox, which its image lacks");
        }
        catch (HelperException e) when (e.Stage == "fork")
        {
            throw new UnavailableException("SandboxBusy", $"the sandbox cannot start another process (its pids limit is reached): {e.InnerMessage()}");
        }
        catch (SandboxUnreachableException e)
        {
            throw new UnavailableException("SandboxUnavailable", $"sandbox '{sandbox.Name}' does not answer: {e.Message}");
        }
        await using (command)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(timeout);
            var stdout = ReadAsync(command.Stdout, MaxListingBytes, deadline.Token);
            var stderr = ReadAsync(command.Stderr, MaxErrorBytes, deadline.Token, drain: true);
            try
            {
                var (output, outputCut) = await stdout;
                if (outputCut)
                {
                    command.Kill();
                    throw new RejectedException("TooLarge",
                        $"the answer would be over {MaxListingBytes >> 20} MiB (leap0's bound): narrow the path, set max_depth or exclude directories");
                }
                var (errors, _) = await stderr;
                var code = await command.Exited.WaitAsync(deadline.Token);
                return new ToolResult(code, output, Encoding.UTF8.GetString(errors));
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                command.Kill();
                throw new TimedOutException("FileOperationTimeout", $"'{argv[0]}' did not finish within {timeout.TotalSeconds} s in the sandbox and was killed");
            }
            catch (SandboxUnreachableException e)
            {
                throw new UnavailableException("SandboxUnavailable", $"sandbox '{sandbox.Name}' does not answer: {e.Message}");
            }
        }
    }

    /// <summary>
    /// Up to <paramref name="limit"/> bytes of the stream; (bytes, true) when there was more (read no further, or with
    /// <paramref name="drain"/> read to the end and dropped, so that the program never blocks on its pipe).
    /// </summary>
    private static async Task<(byte[] Bytes, bool Cut)> ReadAsync(Stream stream, long limit, CancellationToken ct, bool drain = false)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[64 << 10];
        int n;
        while ((n = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > limit)
            {
                buffer.Write(chunk, 0, (int)(limit - buffer.Length));
                if (!drain) return (buffer.ToArray(), true);
                while (await stream.ReadAsync(chunk, ct) > 0) { }
                return (buffer.ToArray(), true);
            }
            buffer.Write(chunk, 0, n);
        }
        return (buffer.ToArray(), false);
    }
}
