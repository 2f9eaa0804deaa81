using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Sandbox.Bench;

/// <summary>The system calls the raw baselines need: mount(2), umount2(2), lchown(2), kill(2).</summary>
internal static partial class Native
{
    private const int MntDetach = 2;
    private const int Einval = 22;
    private const int Enoent = 2;
    public const int SigKill = 9;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mount(string source, string target, string fstype, nuint flags, string data);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int sys_kill(int pid, int signal);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, int owner, int group);

    /// <summary>lchown(2); throws on failure.</summary>
    public static void Chown(string path, int uid, int gid)
    {
        if (lchown(path, uid, gid) != 0) throw new Win32Exception(Marshal.GetLastPInvokeError(), $"chown {path}");
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    /// <summary>mount -t overlay overlay -o lowerdir=L,upperdir=U,workdir=W target, as one mount(2) call.</summary>
    public static void MountOverlay(string lower, string upper, string work, string target)
    {
        if (mount("overlay", target, "overlay", 0, $"lowerdir={lower},upperdir={upper},workdir={work}") != 0)
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"mount overlay on {target}");
    }

    /// <summary>Lazily detaches a mount; false when nothing was mounted there.</summary>
    public static bool Unmount(string target)
    {
        if (umount2(target, MntDetach) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno is Einval or Enoent) return false;
        throw new Win32Exception(errno, $"umount {target}");
    }

    public static bool Kill(int pid, int signal) => pid > 0 && sys_kill(pid, signal) == 0;
}
