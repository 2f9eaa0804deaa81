namespace Sandbox.Server.Runtime;

/// <summary>
/// A sandbox's writable layer on a filesystem of its own: a sparse ext4 image of exactly its capacity
/// (<c>fs_capacity_bytes</c>), loop-mounted nosuid,nodev at <c>boxes/ID/fs</c>, holding the overlay's upper and work
/// directories. Writing past the capacity fails inside the sandbox with ENOSPC while the host and other sandboxes carry
/// on, and <c>df /</c> inside shows the capacity. The filesystem's root belongs to the sandbox's root (see <see cref="IdMap"/>).
/// </summary>
public sealed class SandboxStorage(ILogger log)
{
    public const string ImageName = "fs.img";
    public const string MountName = "fs";

    public static string ImagePath(string boxDir) => Path.Combine(boxDir, ImageName);
    public static string MountDir(string boxDir) => Path.Combine(boxDir, MountName);
    public static string UpperDir(string boxDir) => Path.Combine(MountDir(boxDir), "upper");
    public static string WorkDir(string boxDir) => Path.Combine(MountDir(boxDir), "work");

    /// <summary>The capacity of an existing image, or null when the sandbox has none yet.</summary>
    public static long? Capacity(string boxDir) => File.Exists(ImagePath(boxDir)) ? new FileInfo(ImagePath(boxDir)).Length : null;

    /// <summary>
    /// Makes the image (when missing) and mounts it (when not mounted). An image of another size than asked is made anew
    /// while it is still empty of files (a warm launcher's default-size filesystem); otherwise it keeps its size.
    /// </summary>
    public async Task EnsureAsync(string boxDir, long capacityBytes, CancellationToken ct)
    {
        var image = ImagePath(boxDir);
        var mount = MountDir(boxDir);
        if (File.Exists(image) && new FileInfo(image).Length != capacityBytes && IsPristine(boxDir))
            await RemoveAsync(boxDir, ct);
        if (!File.Exists(image))
        {
            var staging = image + ".new";
            try
            {
                await using (var f = new FileStream(staging, FileMode.Create, FileAccess.Write))
                    f.SetLength(capacityBytes);
                await HostCommand.RunAsync("mkfs.ext4", ["-q", "-F", "-m", "0", "-E", $"nodiscard,lazy_itable_init=1,lazy_journal_init=1,root_owner={IdMap.HostId}:{IdMap.HostId}", staging], ct);
                File.Move(staging, image);
            }
            catch
            {
                File.Delete(staging);
                throw;
            }
        }
        if (!MountTable.IsMountPoint(mount))
        {
            Directory.CreateDirectory(mount);
            // autoclear: the loop device goes away with the last mount of it.
            await HostCommand.RunAsync("mount", ["-t", "ext4", "-o", "loop,nosuid,nodev,noatime", image, mount], ct);
        }
        foreach (var dir in new[] { UpperDir(boxDir), WorkDir(boxDir) })
        {
            if (Directory.Exists(dir)) continue;
            Directory.CreateDirectory(dir);
            Chown(dir);
        }
        // The upper layer's root is the sandbox's "/": the usual 0755 (the server's umask made it 0700, and no user but
        // root could reach anything). The host side stays closed: the box directory above it is the server's alone.
        File.SetUnixFileMode(UpperDir(boxDir), (UnixFileMode)Convert.ToInt32("755", 8));
        var home = Path.Combine(UpperDir(boxDir), "home");
        if (!Directory.Exists(home))
        {
            Directory.CreateDirectory(Path.Combine(home, "user"));
            Chown(home);
            File.SetUnixFileMode(home, (UnixFileMode)Convert.ToInt32("755", 8));
            // As in the built-in image: owned by its user (1000), group root so that root commands (no capabilities) write too.
            Chown(Path.Combine(home, "user"), IdMap.HostId + 1000, IdMap.HostId);
            File.SetUnixFileMode(Path.Combine(home, "user"), (UnixFileMode)Convert.ToInt32("775", 8));
        }
    }

    /// <summary>True when the writable layer holds nothing but what <see cref="EnsureAsync"/> made.</summary>
    private static bool IsPristine(string boxDir)
    {
        var upper = UpperDir(boxDir);
        if (!MountTable.IsMountPoint(MountDir(boxDir))) return false;
        if (!Directory.Exists(upper)) return true;
        var entries = Directory.EnumerateFileSystemEntries(upper, "*", SearchOption.AllDirectories).ToList();
        return entries.All(e => e == Path.Combine(upper, "home") || e == Path.Combine(upper, "home", "user"));
    }

    /// <summary>Unmounts the filesystem (its loop device is released with it) and deletes the image.</summary>
    public async Task RemoveAsync(string boxDir, CancellationToken ct)
    {
        await UnmountAsync(boxDir, ct);
        File.Delete(ImagePath(boxDir));
    }

    public async Task UnmountAsync(string boxDir, CancellationToken ct)
    {
        var mount = MountDir(boxDir);
        for (var attempt = 0; MountTable.IsMountPoint(mount); attempt++)
        {
            try
            {
                await HostCommand.RunAsync("umount", [mount], ct);
            }
            catch (IOException) when (attempt < 50)
            {
                // Busy for a moment after the sandbox's last process is gone.
                await Task.Delay(20, ct);
            }
            catch (IOException e)
            {
                log.LogWarning("could not unmount {Mount}, detaching it: {Error}", mount, e.Message);
                await HostCommand.RunAsync("umount", ["-l", mount], ct);
            }
        }
    }

    /// <summary>Bytes in use on the sandbox's filesystem, or null when it has none.</summary>
    public static long? UsedBytes(string boxDir)
    {
        var mount = MountDir(boxDir);
        if (!MountTable.IsMountPoint(mount)) return null;
        var drive = new DriveInfo(mount);
        return drive.TotalSize - drive.TotalFreeSpace;
    }

    private static void Chown(string path, int uid = IdMap.HostId, int gid = IdMap.HostId)
    {
        if (Native.Lchown(path, uid, gid) != 0)
            throw new IOException($"chown {path}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
    }
}
