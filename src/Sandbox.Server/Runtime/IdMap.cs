using System.Runtime.InteropServices;

namespace Sandbox.Server.Runtime;

/// <summary>
/// The user namespace mapping of every sandbox: uid/gid 0-65535 inside are 100000-165535 on the host, so root in a
/// sandbox is an unprivileged user outside it, and files a sandbox makes belong to that range on the host.
/// </summary>
public static class IdMap
{
    public const int HostId = 100000;
    public const int Size = 65536;
    /// <summary>Ids beyond the mapped range land on nobody (65534), as unmapped ids show inside a user namespace.</summary>
    private const int Nobody = 65534;

    /// <summary>
    /// A host uid to own one sandbox's user namespace: outside the mapped range, unused by anyone, drawn at random from
    /// a range large enough that two live sandboxes practically never share one (they would share per-user limits).
    /// </summary>
    public static int NewOwner() => Random.Shared.Next(1 << 24, int.MaxValue - 1);

    public static int ToHost(long id) => HostId + (id is >= 0 and < Size ? (int)id : Nobody);

    /// <summary>
    /// Shifts the owners of a tree made outside any sandbox (an unpacked image, a copied root filesystem) into the
    /// range, so that its root-owned files are owned by the sandbox's root. Symlinks are changed, never followed.
    /// </summary>
    public static async Task ShiftTreeAsync(string root, CancellationToken ct)
    {
        // find prints owner, group and path for every entry without following links; paths are NUL-terminated.
        var output = await HostCommand.RunAsync("find", [root, "-xdev", "-printf", "%U %G %p\\0"], ct);
        foreach (var entry in output.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var first = entry.IndexOf(' ');
            var second = entry.IndexOf(' ', first + 1);
            var uid = long.Parse(entry[..first]);
            var gid = long.Parse(entry[(first + 1)..second]);
            if (uid is >= HostId and < HostId + Size && gid is >= HostId and < HostId + Size) continue;
            var path = entry[(second + 1)..];
            var isLink = new FileInfo(path).LinkTarget is not null;
            var mode = isLink ? default : File.GetUnixFileMode(path);
            if (Native.Lchown(path, ToHost(uid), ToHost(gid)) != 0)
                throw new IOException($"chown {path}: errno {Marshal.GetLastPInvokeError()}");
            // chown clears set-id bits; inside, where the owner is the sandbox's own, they keep their meaning.
            if (!isLink && (mode & (UnixFileMode.SetUser | UnixFileMode.SetGroup)) != 0) File.SetUnixFileMode(path, mode);
        }
    }
}
