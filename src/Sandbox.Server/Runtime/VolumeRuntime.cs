using System.Diagnostics;

namespace Sandbox.Server.Runtime;

/// <summary>A host directory bound into a sandbox (an OCI bind mount, nosuid and nodev).</summary>
public sealed record BindMount(string Source, string Target);

/// <summary>A failure of a volume operation that the caller reports as it sees fit.</summary>
public sealed class VolumeOperationException(string message) : Exception(message);

/// <summary>How a grow was done.</summary>
public enum GrowResult
{
    /// <summary>resize2fs on the mounted filesystem: running sandboxes see the new size at once.</summary>
    Online,
    /// <summary>Unmounted, e2fsck + resize2fs on the image, mounted again.</summary>
    Offline,
}

/// <summary>
/// Volumes on the host: a sparse ext4 image <c>DATA/volumes/{id}.img</c> of exactly the volume's size (no reserved blocks),
/// attached to a loop device and mounted at <c>DATA/volumes/{id}.mnt</c> while the server runs and a sandbox needed it.
/// Sandboxes get a bind of that mount. An image is only ever attached to one loop device: an existing one is reused
/// (two loop devices over one image would be two ext4 instances writing the same blocks).
/// </summary>
public sealed class VolumeRuntime
{
    private readonly string _dir;
    private readonly ILogger<VolumeRuntime> _log;

    public VolumeRuntime(ServerOptions options, ILogger<VolumeRuntime> log)
    {
        _log = log;
        _dir = Path.Combine(options.DataDir, "volumes");
        SandboxRuntime.MakeTraversable(_dir); // runc binds volumes as the sandbox's root user
    }

    public string ImagePath(string id) => Path.Combine(_dir, id + ".img");

    private static async Task<long> OwnerOfAsync(string path, CancellationToken ct) =>
        long.TryParse((await HostCommand.RunAsync("stat", ["-c", "%u", path], ct)).Trim(), out var uid) ? uid : -1;
    public string MountDir(string id) => Path.Combine(_dir, id + ".mnt");

    /// <summary>Makes the image: sparse, exactly <paramref name="sizeBytes"/> long, ext4 without reserved blocks.</summary>
    public async Task CreateAsync(string id, long sizeBytes, CancellationToken ct)
    {
        var image = ImagePath(id);
        try
        {
            await using (var f = new FileStream(image, FileMode.CreateNew, FileAccess.Write))
                f.SetLength(sizeBytes);
            await RunAsync("mkfs.ext4", ["-q", "-F", "-m", "0", "-E", $"nodiscard,root_owner={IdMap.HostId}:{IdMap.HostId}", image], ct);
        }
        catch
        {
            File.Delete(image);
            throw;
        }
    }

    /// <summary>Mounts the volume on the host when it is not mounted (reusing the loop device already over the image).</summary>
    public async Task EnsureMountedAsync(string id, CancellationToken ct)
    {
        var mnt = MountDir(id);
        if (MountTable.IsMountPoint(mnt)) return;
        var image = ImagePath(id);
        if (!File.Exists(image)) throw new VolumeOperationException($"the image of volume {id} is missing ({image})");
        var loop = (await LoopDevicesAsync(image, ct)).FirstOrDefault();
        if (loop is null) loop = (await RunAsync("losetup", ["--find", "--show", image], ct)).Trim();
        else await RunAsync("losetup", ["-c", loop], ct); // a size change the device has not seen yet
        Directory.CreateDirectory(mnt);
        await RunAsync("mount", ["-t", "ext4", "-o", "nosuid,nodev", loop, mnt], ct);
        // Volumes made before sandboxes ran in a user namespace belong to host root: move them into the sandboxes' range.
        if (await OwnerOfAsync(mnt, ct) == 0) await IdMap.ShiftTreeAsync(mnt, ct);
        _log.LogDebug("volume {Id} mounted at {Mount} from {Loop}", id, mnt, loop);
    }

    /// <summary>
    /// Detaches the host mount and releases the image's loop devices. A device that sandboxes still hold is set to
    /// auto-clear by the kernel and goes away with the last of them.
    /// </summary>
    public async Task UnmountAsync(string id, CancellationToken ct)
    {
        var mnt = MountDir(id);
        if (MountTable.IsMountPoint(mnt)) await RunAsync("umount", ["-l", mnt], ct);
        foreach (var loop in await LoopDevicesAsync(ImagePath(id), ct))
        {
            try
            {
                await RunAsync("losetup", ["-d", loop], ct);
            }
            catch (VolumeOperationException e)
            {
                _log.LogWarning("could not release {Loop} of volume {Id}: {Error}", loop, id, e.Message);
            }
        }
    }

    /// <summary>
    /// Grows the image to <paramref name="newSize"/> and its filesystem with it: online when it is mounted and the kernel
    /// allows (CAP_SYS_RESOURCE), else offline when <paramref name="mayUnmount"/>. When neither is possible the image is put
    /// back to <paramref name="oldSize"/> and <see cref="VolumeOperationException"/> says why.
    /// </summary>
    public async Task<GrowResult> GrowAsync(string id, long oldSize, long newSize, bool mayUnmount, CancellationToken ct)
    {
        var image = ImagePath(id);
        var mnt = MountDir(id);
        var wasMounted = MountTable.IsMountPoint(mnt);
        SetLength(image, newSize);
        string? onlineError = null;
        try
        {
            var loops = await LoopDevicesAsync(image, ct);
            foreach (var loop in loops) await RunAsync("losetup", ["-c", loop], ct);
            if (wasMounted && loops.Count > 0)
            {
                try
                {
                    await RunAsync("resize2fs", [loops[0]], ct);
                    return GrowResult.Online;
                }
                catch (VolumeOperationException e)
                {
                    onlineError = e.Message;
                }
            }
            if (loops.Count > 0 || wasMounted)
            {
                if (!mayUnmount) throw new VolumeOperationException(OnlineRefused(onlineError));
                await UnmountAsync(id, ct);
                if ((await LoopDevicesAsync(image, ct)).Count > 0)
                    throw new VolumeOperationException("the volume's filesystem is still held by a sandbox, so it cannot be grown offline; " + OnlineRefused(onlineError));
            }
        }
        catch
        {
            // The filesystem has not grown: the image may shrink back to its old size safely.
            SetLength(image, oldSize);
            foreach (var loop in await LoopDevicesAsync(image, CancellationToken.None)) await TryRunAsync("losetup", ["-c", loop]);
            if (wasMounted) await EnsureMountedAsync(id, CancellationToken.None);
            throw;
        }
        try
        {
            // e2fsck exits 1 when it corrected something; resize2fs insists on a freshly checked filesystem.
            await RunAsync("e2fsck", ["-f", "-y", image], ct, okExitCodes: [0, 1]);
            await RunAsync("resize2fs", [image], ct);
        }
        finally
        {
            if (wasMounted) await EnsureMountedAsync(id, CancellationToken.None);
        }
        return GrowResult.Offline;
    }

    private static string OnlineRefused(string? error) =>
        error is not null && error.Contains("Permission denied", StringComparison.Ordinal)
            ? "the kernel refused an online resize (it needs CAP_SYS_RESOURCE, which this server lacks); stop the sandboxes that use the volume and resize again"
            : $"online resize failed ({error ?? "not mounted"}); stop the sandboxes that use the volume and resize again";

    /// <summary>Removes the mount, the loop devices and the image.</summary>
    public async Task DestroyAsync(string id, CancellationToken ct)
    {
        await UnmountAsync(id, ct);
        var mnt = MountDir(id);
        if (Directory.Exists(mnt) && !MountTable.IsMountPoint(mnt)) Directory.Delete(mnt);
        File.Delete(ImagePath(id));
    }

    /// <summary>Removes images and mount points the state does not know (a server killed half-way through a create or delete).</summary>
    public async Task SweepOrphansAsync(IReadOnlySet<string> known)
    {
        var ids = Directory.EnumerateFileSystemEntries(_dir)
            .Select(p => Path.GetFileName(p))
            .Where(n => n.EndsWith(".img", StringComparison.Ordinal) || n.EndsWith(".mnt", StringComparison.Ordinal))
            .Select(n => n[..^4]).Distinct().Where(id => !known.Contains(id)).ToList();
        foreach (var id in ids)
        {
            try
            {
                await DestroyAsync(id, CancellationToken.None);
            }
            catch (Exception e)
            {
                _log.LogWarning("could not remove leftover volume {Id}: {Error}", id, e.Message);
            }
        }
    }

    private async Task<List<string>> LoopDevicesAsync(string image, CancellationToken ct)
    {
        if (!File.Exists(image)) return [];
        var output = await RunAsync("losetup", ["-n", "-O", "NAME", "-j", image], ct);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
    }

    private static void SetLength(string image, long size)
    {
        using var f = new FileStream(image, FileMode.Open, FileAccess.Write);
        f.SetLength(size);
    }

    private async Task TryRunAsync(string file, string[] args)
    {
        try
        {
            await RunAsync(file, args, CancellationToken.None);
        }
        catch (VolumeOperationException e)
        {
            _log.LogWarning("{File} failed: {Error}", file, e.Message);
        }
    }

    private static async Task<string> RunAsync(string file, string[] args, CancellationToken ct, int[]? okExitCodes = null)
    {
        try
        {
            return await HostCommand.RunAsync(file, args, ct, okExitCodes);
        }
        catch (IOException e)
        {
            throw new VolumeOperationException(e.Message);
        }
    }
}
