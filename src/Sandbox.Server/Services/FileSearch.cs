using System.Text;
using Sandbox.Server.Runtime;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary><c>POST /glob</c>: entries under <see cref="Path"/> whose relative path matches <see cref="Pattern"/>.</summary>
public sealed record GlobRequest(string Path, GlobPattern Pattern, int Limit);

/// <summary><c>POST /grep</c>: lines holding <see cref="Literal"/> in the regular files under <see cref="Path"/> that <see cref="Files"/> admits.</summary>
public sealed record GrepRequest(string Path, string Literal, GlobPattern? Files, int Limit);

public sealed record GlobMatch(string Path, bool IsDir, long SizeBytes, DateTimeOffset ModifiedAt);

public sealed record GrepMatch(string Path, long Line, string Text);

/// <summary>Matches in path order; <see cref="Truncated"/> when the limit or one of the server's bounds cut the search short.</summary>
public sealed record SearchResult<T>(IReadOnlyList<T> Matches, bool Truncated);

/// <summary>
/// Glob and grep inside a sandbox. The directory tree is listed by the sandbox's own helper, inside the sandbox's mount
/// namespace and root (<see cref="HelperClient.WalkAsync"/>): symlinks are reported, never followed, and nothing outside
/// the sandbox's root view can be named, let alone read. Grep opens each file through the helper as downloads do
/// (regular files only, never on /proc or /sys). Both are bounded: <see cref="TimeBudget"/>, <see cref="MaxEntries"/>
/// walked, and for grep <see cref="MaxBytes"/> read and <see cref="MaxLineBytes"/> per line; past a bound the answer
/// says <c>truncated</c>.
/// </summary>
public sealed class FileSearch(SandboxManager manager, SandboxRuntime runtime, CommandLauncher launcher)
{
    public const int DefaultLimit = 1000;
    public const int MaxLimit = 10000;
    public static readonly TimeSpan TimeBudget = TimeSpan.FromSeconds(30);
    public const int MaxEntries = 200_000;
    public const long MaxBytes = 256L << 20;
    /// <summary>Longer lines are searched in their first this many bytes only.</summary>
    public const int MaxLineBytes = 64 << 10;
    /// <summary>A matching line's text is cut to this many characters.</summary>
    public const int MaxTextChars = 2000;
    private const int WalkMaxDepth = 64;

    public async Task<SearchResult<GlobMatch>> GlobAsync(string sandboxId, GlobRequest request, CancellationToken ct)
    {
        var sandbox = await ReadyAsync(sandboxId, request.Path);
        var matches = new List<GlobMatch>();
        var truncated = await WalkAsync(sandbox, request.Path, request.Pattern.MaxDepth ?? WalkMaxDepth, ct, (entry, _) =>
        {
            if (!request.Pattern.IsMatch(entry.RelativePath)) return Task.FromResult(true);
            if (matches.Count == request.Limit) return Task.FromResult(false);
            matches.Add(new GlobMatch(Join(request.Path, entry.RelativePath), entry.Type == 'd', entry.Size, entry.Modified));
            return Task.FromResult(true);
        });
        return new SearchResult<GlobMatch>(matches.OrderBy(m => m.Path, StringComparer.Ordinal).ToList(), truncated);
    }

    public async Task<SearchResult<GrepMatch>> GrepAsync(string sandboxId, GrepRequest request, CancellationToken ct)
    {
        var sandbox = await ReadyAsync(sandboxId, request.Path);
        var literal = Encoding.UTF8.GetBytes(request.Literal);
        var matches = new List<GrepMatch>();
        long bytesRead = 0;
        var full = false;
        var truncated = await WalkAsync(sandbox, request.Path, request.Files?.MaxDepth ?? WalkMaxDepth, ct, async (entry, token) =>
        {
            if (entry.Type != 'f' || request.Files?.IsMatch(entry.RelativePath) == false) return true;
            var path = Join(request.Path, entry.RelativePath);
            Microsoft.Win32.SafeHandles.SafeFileHandle file;
            try
            {
                file = await launcher.OpenFileAsync(sandbox, path, write: false, token);
            }
            catch (DomainException)
            {
                return true; // gone meanwhile, unreadable, or not a regular file any more: not searched
            }
            using (file)
            {
                var (read, more) = await ScanAsync(file, path, literal, matches, request.Limit, MaxBytes - bytesRead, token);
                bytesRead += read;
                full = !more;
                return more;
            }
        });
        return new SearchResult<GrepMatch>(matches.OrderBy(m => m.Path, StringComparer.Ordinal).ThenBy(m => m.Line).ToList(), truncated || full);
    }

    private async Task<SandboxRecord> ReadyAsync(string sandboxId, string path)
    {
        CommandLauncher.RejectPseudoFilesystem(path);
        var sandbox = await manager.RequireReadyAsync(sandboxId); // wakes a stopped sandbox
        manager.Touch(sandboxId);
        return sandbox;
    }

    private static string Join(string root, string relative) => root.TrimEnd('/') + "/" + relative;

    /// <summary>
    /// Walks under <paramref name="path"/>, handing each entry to <paramref name="visit"/> until it answers false.
    /// True when the walk was cut short (by <paramref name="visit"/>, the entry bound or the time budget).
    /// </summary>
    private async Task<bool> WalkAsync(SandboxRecord sandbox, string path, int maxDepth, CancellationToken ct, Func<WalkEntry, CancellationToken, Task<bool>> visit)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(TimeBudget);
        var seen = 0;
        try
        {
            await foreach (var entry in HelperClient.WalkAsync(runtime.SocketPath(sandbox.Id), path, maxDepth, budget.Token))
            {
                if (++seen > MaxEntries) return true;
                if (!await visit(entry, budget.Token)) return true;
            }
            return false;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return true; // the time budget: what was found so far, marked truncated
        }
        catch (HelperException e) when (e.Stage == "proto")
        {
            throw new RejectedException("NotSupported",
                $"sandbox '{sandbox.Name}' was booted by an older server whose helper cannot list files; stop and start it to use glob and grep");
        }
        catch (Exception e) when (e is HelperException or SandboxUnreachableException)
        {
            throw CommandLauncher.FileError(sandbox, path, e);
        }
    }

    /// <summary>Adds the file's matching lines; (bytes read, false when the limit or the byte budget was reached).</summary>
    private static async Task<(long Read, bool More)> ScanAsync(Microsoft.Win32.SafeHandles.SafeFileHandle file, string path, byte[] literal,
        List<GrepMatch> matches, int limit, long budget, CancellationToken ct)
    {
        var chunk = new byte[64 << 10];
        var line = new byte[MaxLineBytes];
        var lineLength = 0;
        long lineNumber = 1, offset = 0;
        void Check()
        {
            var text = line.AsSpan(0, lineLength);
            if (text.IndexOf(literal) < 0) return;
            var decoded = Encoding.UTF8.GetString(text).TrimEnd('\r');
            matches.Add(new GrepMatch(path, lineNumber, decoded.Length > MaxTextChars ? decoded[..MaxTextChars] : decoded));
        }
        while (true)
        {
            if (offset >= budget) return (offset, false);
            var n = await RandomAccess.ReadAsync(file, chunk.AsMemory(0, (int)Math.Min(chunk.Length, budget - offset)), offset, ct);
            if (n == 0) break;
            // A NUL in the first block: a binary file, not searched (as grep -I).
            if (offset == 0 && chunk.AsSpan(0, Math.Min(n, 8192)).IndexOf((byte)0) >= 0) return (n, true);
            offset += n;
            var data = chunk.AsSpan(0, n);
            while (data.Length > 0)
            {
                var newline = data.IndexOf((byte)'\n');
                var part = newline < 0 ? data : data[..newline];
                var room = Math.Min(part.Length, line.Length - lineLength);
                part[..room].CopyTo(line.AsSpan(lineLength));
                lineLength += room;
                if (newline < 0) break;
                Check();
                if (matches.Count >= limit) return (offset, false);
                lineNumber++;
                lineLength = 0;
                data = data[(newline + 1)..];
            }
        }
        if (lineLength > 0) Check();
        return (offset, matches.Count < limit);
    }
}
