using System.Diagnostics;

namespace Sandbox.Server.Runtime;

/// <summary>
/// The files of snapshots: <c>snapshots/&lt;id&gt;/fs</c> under the data dir. Copies keep modes, owners, times,
/// symlinks, hard links, overlay whiteouts (0/0 character devices) and xattrs such as <c>trusted.overlay.opaque</c>
/// (<c>cp -a</c>, with <c>--reflink=auto</c> so that a filesystem that can share extents does).
/// </summary>
public sealed class SnapshotRuntime(ServerOptions options, SandboxRuntime sandboxes, ILogger<SnapshotRuntime> log)
{
    private readonly string _root = Path.Combine(options.DataDir, "snapshots");

    public string SnapshotDir(string id) => Path.Combine(_root, id);

    /// <summary>The snapshot's files: a captured upper layer, or an unpacked root filesystem.</summary>
    public string FilesDir(string id) => Path.Combine(SnapshotDir(id), "fs");

    public string UpperDirOf(string sandboxId) => sandboxes.UpperDir(sandboxId);

    /// <summary>
    /// Copies a sandbox's upper layer into the snapshot. A running sandbox is frozen (cgroup freezer) for the copy so
    /// that the copy is consistent; a sandbox that was frozen already (paused) stays frozen. <paramref name="freezing"/>
    /// runs before the freeze and <paramref name="thawed"/> after the thaw, so that the state can record a freeze that
    /// a killed server leaves behind (see SandboxManager.ReconcileAsync).
    /// </summary>
    public async Task CaptureUpperAsync(string sandboxId, string snapshotId, bool running, CancellationToken ct, Action? freezing = null, Action? thawed = null)
    {
        var source = UpperDirOf(sandboxId);
        if (!Directory.Exists(source)) throw new InvalidOperationException($"the sandbox has no filesystem to capture ({source} is missing)");
        var target = FilesDir(snapshotId);
        Reset(target);
        var cgroups = sandboxes.Cgroups(sandboxId);
        var thaw = running && cgroups.FreezerState() == Freezer.Thawed;
        if (thaw) freezing?.Invoke();
        try
        {
            if (thaw) await cgroups.FreezeAsync(ct);
            await CopyTreeAsync(source, target, ct);
        }
        finally
        {
            if (thaw)
            {
                try
                {
                    await cgroups.ThawAsync(CancellationToken.None);
                    thawed?.Invoke();
                }
                catch (IOException e)
                {
                    log.LogWarning("could not thaw sandbox {Id} after a snapshot: {Error}", sandboxId, e.Message);
                }
            }
        }
    }

    /// <summary>Fills a new sandbox's upper layer with a captured one (before its first boot).</summary>
    public async Task PopulateUpperAsync(string snapshotId, string sandboxId, CancellationToken ct)
    {
        var upper = UpperDirOf(sandboxId);
        Directory.CreateDirectory(upper);
        await CopyTreeAsync(FilesDir(snapshotId), upper, ct);
    }

    /// <summary>Copies the contents of <paramref name="source"/> into <paramref name="target"/> (which exists) with <c>cp -a</c>.</summary>
    public static async Task CopyTreeAsync(string source, string target, CancellationToken ct)
    {
        Directory.CreateDirectory(target);
        var psi = new ProcessStartInfo("cp") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-a", "--reflink=auto", "--", Path.Combine(source, "."), target + "/" }) psi.ArgumentList.Add(a);
        using var cp = Process.Start(psi) ?? throw new InvalidOperationException("could not start cp");
        var stderr = cp.StandardError.ReadToEndAsync(ct);
        await cp.WaitForExitAsync(ct);
        if (cp.ExitCode != 0) throw new InvalidOperationException($"copying {source} failed: {(await stderr).Trim()}");
    }

    /// <summary>An empty directory at <paramref name="dir"/> (anything there before is removed).</summary>
    public static void Reset(string dir)
    {
        RemoveTree(dir);
        Directory.CreateDirectory(dir);
    }

    /// <summary>Removes a snapshot's directory.</summary>
    public void Remove(string snapshotId) => RemoveTree(SnapshotDir(snapshotId));

    /// <summary>Removes a tree without following symlinks (an image's symlinks may point anywhere on the host).</summary>
    public static void RemoveTree(string dir)
    {
        if (!Directory.Exists(dir) && !File.Exists(dir)) return;
        var psi = new ProcessStartInfo("rm") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { "-rf", "--one-file-system", "--", dir }) psi.ArgumentList.Add(a);
        using var rm = Process.Start(psi) ?? throw new InvalidOperationException("could not start rm");
        var err = rm.StandardError.ReadToEnd();
        rm.WaitForExit();
        if (rm.ExitCode != 0) throw new IOException($"removing {dir} failed: {err.Trim()}");
    }

    /// <summary>Bytes of the regular files under <paramref name="dir"/> (hard links counted once per name).</summary>
    public static long BytesUsed(string dir)
    {
        var info = new DirectoryInfo(dir);
        if (!info.Exists) return 0;
        return info.EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 })
            .Where(f => f.LinkTarget is null).Sum(f => f.Length);
    }

    /// <summary>
    /// Kills <c>cp</c> processes still copying into a snapshot's directory: a SIGKILLed server does not take its children
    /// along, and a copy left running would write into a directory that start-up removes.
    /// </summary>
    public void KillLeftoverCopies(string snapshotId)
    {
        var marker = SnapshotDir(snapshotId) + "/";
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (argv.Length < 2 || Path.GetFileName(argv[0]) != "cp" || !argv.Any(a => a.StartsWith(marker, StringComparison.Ordinal))) continue;
                using var p = Process.GetProcessById(pid);
                p.Kill();
                p.WaitForExit(5000);
                log.LogInformation("killed a copy (pid {Pid}) left running into snapshot {Id}", pid, snapshotId);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }
    }

    /// <summary>Snapshot directories on disk (to remove ones the state does not know).</summary>
    public IEnumerable<string> ExistingIds() =>
        Directory.Exists(_root) ? Directory.EnumerateDirectories(_root).Select(Path.GetFileName).OfType<string>() : [];
}
