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

    /// <summary><para type="description">Returns an object for each file copied.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void Begin()
    {
        if (Resume && ParameterSetName != FromSandboxSet)
            FailArgument("-Resume continues a download: give it with -FromSandbox (uploads are atomic and always start over)", "SandboxInvalidArgument", null);
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
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
                    if (Directory.Exists(resolved)) throw new NotSupportedException($"'{resolved}' is a directory: copy its files (Get-ChildItem -File -Recurse) one by one");
                    files.Add(resolved);
                }
            });
        foreach (var file in files)
        {
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

    /// <summary>Runs a copy, showing a progress bar (from the pipeline thread) for large files and for files of unknown size.</summary>
    private T Transfer<T>(string source, string destination, long? length, Func<IProgress<long>, CancellationToken, Task<T>> copy)
    {
        var tracker = new TransferProgressTracker(length);
        var activity = $"Copying {source} to {destination}";
        var shown = false;
        try
        {
            return Pump(copy, bytes =>
            {
                if (!tracker.Update(bytes) || !(tracker.IsWorthShowing || shown)) return;
                if (tracker.TotalBytes is null && bytes < TransferProgressTracker.LargeFileBytes) return;
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
}
