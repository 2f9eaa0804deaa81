using System.Diagnostics;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Copies files from the local machine into a sandbox, or from a sandbox to the local machine.</para>
/// </summary>
[Cmdlet(VerbsCommon.Copy, "SandboxItem", HelpUri = HelpLinks.Base + "Copy-SandboxItem.md", SupportsShouldProcess = true, DefaultParameterSetName = ToSandboxSet)]
[OutputType(typeof(SandboxFileTransfer))]
public sealed class CopySandboxItemCommand : SandboxFileCmdlet
{
    private const string ToSandboxSet = "ToSandbox";
    private const string FromSandboxSet = "FromSandbox";
    private const int ActivityId = 0x5AB2;

    /// <summary><para type="description">What to copy: local paths (wildcards allowed) with -ToSandbox, paths in the sandbox with -FromSandbox.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary><para type="description">Where to copy to: a path in the sandbox with -ToSandbox (ending in / for a directory), a local path with -FromSandbox (an existing directory keeps the file name).</para></summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    /// <summary><para type="description">Copies local files into the sandbox (the default).</para></summary>
    [Parameter(ParameterSetName = ToSandboxSet)]
    public SwitchParameter ToSandbox { get; set; }

    /// <summary><para type="description">Copies files of the sandbox to the local machine.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = FromSandboxSet)]
    public SwitchParameter FromSandbox { get; set; }

    /// <summary><para type="description">With -FromSandbox: continues an interrupted download. The bytes go to Destination.partial (its ETag beside it in .partial.etag), which a failed or stopped copy with -Resume leaves behind; the next copy with -Resume asks only for the rest (HTTP Range with If-Range), or for the whole file again when it changed in the sandbox.</para></summary>
    [Parameter]
    public SwitchParameter Resume { get; set; }

    /// <summary><para type="description">Copies directories with everything in them (as a tar stream: modes and symbolic links kept). The copy of a directory goes to Destination/name when Destination is an existing directory, else to Destination itself, which must not exist (a copy never merges into or replaces a tree). Into a sandbox the tree is unpacked in a temporary directory beside the target and renamed into place, so it appears whole or not at all; out of a sandbox every entry is checked before anything is written, and an entry named with '..' or absolutely, or a link pointing outside the tree, refuses the whole copy (SandboxUnsafeArchive).</para></summary>
    [Parameter]
    public SwitchParameter Recurse { get; set; }

    /// <summary><para type="description">Returns an object for each file or directory copied.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void Begin()
    {
        if (Resume && ParameterSetName != FromSandboxSet)
            FailArgument("-Resume continues a download: give it with -FromSandbox (uploads are atomic and always start over)", "SandboxInvalidArgument", null);
    }

    /// <summary><para type="description">Runs the command as a background job and returns the job at once (a SandboxJob, seen by Get-Job, Receive-Job, Wait-Job and Stop-Job; Stop-Job cancels it as Ctrl+C would). The job uses the connection this command would use and the current directory.</para></summary>
    [Parameter]
    public SwitchParameter AsJob { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (AsJob)
        {
            StartAsJob();
            return;
        }
        if (CurrentSandbox() is not { } sandbox) return;
        if (ParameterSetName == FromSandboxSet) Download(sandbox);
        else Upload(sandbox);
    }

    private void Upload(Sandbox.Client.Sandbox sandbox)
    {
        var files = new List<string>();
        foreach (var path in Path)
            TryItem(path, () =>
            {
                foreach (var resolved in GetResolvedProviderPathFromPSPath(path, out var provider))
                {
                    if (provider.Name != "FileSystem") throw new ArgumentException($"'{path}' is not a file system path");
                    if (Directory.Exists(resolved) && !Recurse) throw new NotSupportedException($"'{resolved}' is a directory: add -Recurse to copy it with everything in it");
                    files.Add(resolved);
                }
            });
        foreach (var file in files)
        {
            if (Directory.Exists(file))
            {
                UploadTree(sandbox, file);
                continue;
            }
            var target = SandboxPaths.UploadTarget(file, Destination, files.Count > 1);
            CopyOne(sandbox, SandboxTransferDirection.ToSandbox, file, target, () => new FileInfo(file).Length, async (progress, ct) =>
            {
                var result = await Client.Files.UploadFileAsync(sandbox, file, target, new() { Progress = progress }, ct).ConfigureAwait(false);
                return (result.Path, result.Written);
            });
        }
    }

    /// <summary>What resumed downloads report, written as verbose messages from the pipeline thread.</summary>
    private System.Collections.Concurrent.ConcurrentQueue<string> Resumed { get; } = new();

    private void Download(Sandbox.Client.Sandbox sandbox)
    {
        var local = GetUnresolvedProviderPathFromPSPath(Destination);
        foreach (var path in Path)
        {
            var target = SandboxPaths.DownloadTarget(path, local, Path.Length > 1);
            if (Recurse && DownloadTree(sandbox, path, target)) continue;
            CopyOne(sandbox, SandboxTransferDirection.FromSandbox, path, target, () => RemoteLength(sandbox, path), async (progress, ct) =>
            {
                var result = await Client.Files.DownloadFileAsync(sandbox, path, target, Resume.IsPresent, new() { Progress = progress }, ct).ConfigureAwait(false);
                if (result.ResumedFrom > 0) Resumed.Enqueue($"{sandbox.Name}:{path}: resumed at byte {result.ResumedFrom}, {result.Transferred} bytes received");
                return (System.IO.Path.GetFullPath(target), result.Length);
            });
            while (Resumed.TryDequeue(out var message)) WriteVerbose(message);
        }
    }

    /// <summary>
    /// The size of a file in the sandbox (a HEAD request), so that a download's progress shows its total and percent; null
    /// when the endpoint cannot tell (leap0 has no HEAD) or the file is not there (the download then reports that).
    /// </summary>
    private long? RemoteLength(Sandbox.Client.Sandbox sandbox, string path)
    {
        try
        {
            return Await(Client.Files.GetInfoAsync(sandbox, path, null, CancellationToken)).Length;
        }
        catch (SandboxApiException)
        {
            return null;
        }
    }

    /// <summary>One file either way: the confirmation, the copy with its progress, and -PassThru's record of it.</summary>
    private void CopyOne(Sandbox.Client.Sandbox sandbox, SandboxTransferDirection direction, string source, string target, Func<long?> length,
        Func<IProgress<long>, CancellationToken, Task<(string Destination, long Length)>> copy)
    {
        var (what, action) = direction == SandboxTransferDirection.ToSandbox
            ? ($"{source} -> {sandbox.Name}:{target}", "Copy file into sandbox")
            : ($"{sandbox.Name}:{source} -> {target}", "Copy file from sandbox");
        if (!ShouldProcess(what, action)) return;
        TryItem(source, () =>
        {
            var watch = Stopwatch.StartNew();
            var (destination, written) = Transfer(source, target, length(), copy);
            if (PassThru)
                WriteObject(new SandboxFileTransfer
                {
                    Sandbox = sandbox.Name,
                    Direction = direction,
                    Source = source,
                    Destination = destination,
                    Length = written,
                    Duration = watch.Elapsed,
                });
        });
    }

    /// <summary>Runs a copy, showing a progress bar (from the pipeline thread) for large files, files of unknown size and every tree (<paramref name="always"/>).</summary>
    private T Transfer<T>(string source, string destination, long? length, Func<IProgress<long>, CancellationToken, Task<T>> copy, bool always = false)
    {
        var tracker = new TransferProgressTracker(length);
        var activity = $"Copying {source} to {destination}";
        var shown = false;
        try
        {
            return Pump(copy, bytes =>
            {
                if (!tracker.Update(bytes) || !(tracker.IsWorthShowing || shown || always)) return;
                if (!always && tracker.TotalBytes is null && bytes < TransferProgressTracker.LargeFileBytes) return;
                shown = true;
                WriteProgress(new ProgressRecord(ActivityId, activity, tracker.StatusText)
                {
                    PercentComplete = tracker.PercentComplete,
                    SecondsRemaining = tracker.SecondsRemaining,
                });
            });
        }
        finally
        {
            if (shown) CompleteProgress(ActivityId, activity);
        }
    }

    // ---------------------------------------------------------------- directory trees (-Recurse)

    /// <summary>A word for a POSIX shell: single-quoted, with embedded quotes closed and reopened.</summary>
    private static string Sh(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Runs a script of the tree copy in the sandbox; a non-zero exit becomes an error naming what the script said.</summary>
    private string RunScript(Sandbox.Client.Sandbox sandbox, string script, string what)
    {
        // Runs as the sandbox user (what it unpacks cannot reach beyond what that user may write); no time-out, a tree may be large.
        var result = Await(Client.Commands.RunAsync(sandbox, new CommandRequest { Command = script, Shell = "/bin/sh", TimeoutSeconds = 24 * 3600 }, CancellationToken));
        if (result.ExitCode == 17) throw new SandboxDestinationExistsException($"{sandbox.Name}:{result.Stderr.Trim()} exists already: a directory copy does not merge into or replace it; remove it or choose another destination");
        if (result.ExitCode != 0) throw new IOException($"{what} failed in sandbox '{sandbox.Name}' (exit {result.ExitCode}): {result.Stderr.Trim()}");
        return result.Stdout;
    }

    /// <summary>
    /// A local directory into the sandbox: packed into a local tar, uploaded beside nothing (under /tmp), unpacked by the
    /// sandbox's tar into a fresh directory beside the target and renamed into place.
    /// </summary>
    private void UploadTree(Sandbox.Client.Sandbox sandbox, string directory)
    {
        var name = SandboxPaths.FileName(directory);
        if (!ShouldProcess($"{directory} -> {sandbox.Name}:{Destination}", "Copy directory into sandbox")) return;
        TryItem(directory, () =>
        {
            var watch = Stopwatch.StartNew();
            var archive = System.IO.Path.GetTempFileName();
            var remote = $"/tmp/.sandbox-copy-{Guid.NewGuid():N}.tar";
            try
            {
                SandboxTreeSize size;
                using (var stream = File.Create(archive)) size = SandboxTarTree.Pack(directory, name, stream);
                var length = new FileInfo(archive).Length;
                Transfer($"{directory} ({size.Files} files, {size.Bytes} bytes)", $"{sandbox.Name}:{Destination}", length, async (progress, ct) =>
                    (await Client.Files.UploadFileAsync(sandbox, archive, remote, new() { Progress = progress }, ct).ConfigureAwait(false)).Written, always: true);
                var dest = Destination;
                var script = $$"""
                    a={{Sh(remote)}}; d={{Sh(dest)}}; n={{Sh(name)}}
                    trap 'rm -f "$a"' EXIT
                    case "$d" in ''|.|'~') d=$HOME ;; '~/'*) d=$HOME/${d#'~/'} ;; esac
                    case "$d" in */) mkdir -p -- "$d"; d=${d%/} ;; esac
                    [ -d "$d" ] && d=$d/$n
                    if [ -e "$d" ] || [ -L "$d" ]; then printf '%s' "$d" >&2; exit 17; fi
                    p=$(dirname -- "$d"); mkdir -p -- "$p" || exit 1
                    t=$(mktemp -d "$p/.copy-XXXXXX") || exit 1
                    if ! tar -x -p --no-same-owner -f "$a" -C "$t"; then rm -rf "$t"; exit 1; fi
                    mv -T -- "$t/$n" "$d" || { rm -rf "$t"; exit 1; }
                    rmdir "$t"; cd -- "$d" && pwd -P
                    """;
                var landed = RunScript(sandbox, script, "unpacking the tree").Trim();
                if (PassThru) WriteObject(TreeTransfer(sandbox, SandboxTransferDirection.ToSandbox, directory, landed, size, watch.Elapsed));
            }
            finally
            {
                File.Delete(archive);
            }
        });
    }

    /// <summary>
    /// A sandbox directory to the local machine: the sandbox's tar packs it under /tmp, the archive is downloaded, and every
    /// entry is checked before the tree is written beside the target and moved into place. False when the path is not a
    /// directory in the sandbox (it is then copied as a file).
    /// </summary>
    private bool DownloadTree(Sandbox.Client.Sandbox sandbox, string path, string target)
    {
        var script = $$"""
            s={{Sh(path)}}
            [ -d "$s" ] || { echo file; exit 0; }
            s=$(cd -- "$s" && pwd -P) || exit 1
            [ "$s" = / ] && { echo 'the root directory cannot be copied' >&2; exit 1; }
            a=$(mktemp /tmp/.sandbox-copy-XXXXXX) || exit 1
            tar -c -f "$a" -C "$(dirname -- "$s")" -- "$(basename -- "$s")" || { rm -f "$a"; exit 1; }
            printf 'dir\n%s\n%s\n%s\n%s\n' "$a" "$(basename -- "$s")" "$(stat -c %s "$a")" "$(find "$s" -type f | wc -l)"
            """;
        string[] lines = [];
        if (!TryItem(path, () => lines = RunScript(sandbox, script, "packing the tree").Split('\n', StringSplitOptions.RemoveEmptyEntries))) return true;
        if (lines is not ["dir", var remote, var root, var length, var files, ..]) return false;
        try
        {
            if (!ShouldProcess($"{sandbox.Name}:{path} -> {target}", "Copy directory from sandbox")) return true;
            TryItem(path, () =>
            {
                var watch = Stopwatch.StartNew();
                if (System.IO.Path.Exists(target)) throw new SandboxDestinationExistsException($"'{System.IO.Path.GetFullPath(target)}' exists already: a directory copy does not merge into or replace it; remove it or choose another destination");
                var archive = System.IO.Path.GetTempFileName();
                try
                {
                    Transfer($"{sandbox.Name}:{path} ({files.Trim()} files)", target, long.Parse(length, System.Globalization.CultureInfo.InvariantCulture), async (progress, ct) =>
                        await Client.Files.DownloadFileAsync(sandbox, remote, archive, new() { Progress = progress }, ct).ConfigureAwait(false), always: true);
                    var size = SandboxTarTree.Extract(archive, root, target);
                    if (PassThru) WriteObject(TreeTransfer(sandbox, SandboxTransferDirection.FromSandbox, path, System.IO.Path.GetFullPath(target), size, watch.Elapsed));
                }
                finally
                {
                    File.Delete(archive);
                }
            });
        }
        finally
        {
            TryItem(path, () => RunScript(sandbox, $"rm -f -- {Sh(remote)}", "removing the temporary archive"));
        }
        return true;
    }

    private static SandboxFileTransfer TreeTransfer(Sandbox.Client.Sandbox sandbox, SandboxTransferDirection direction, string source, string destination, SandboxTreeSize size, TimeSpan duration) => new()
    {
        Sandbox = sandbox.Name,
        Direction = direction,
        Source = source,
        Destination = destination,
        Length = size.Bytes,
        Files = size.Files,
        Duration = duration,
    };
}
