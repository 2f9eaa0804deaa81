using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Sandbox.Server.Runtime;

/// <summary>
/// Sets the hostname of a running sandbox from the server: a dedicated thread joins the sandbox's UTS namespace
/// (<c>setns</c>, which a multi-threaded process may do for UTS), calls <c>sethostname</c>, and ends, so no thread of
/// the server's pool ever runs in another namespace. Used when a pool replica is handed over under a new name.
/// </summary>
internal static partial class UtsHostname
{
    private const int CloneNewUts = 0x04000000;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sethostname(byte[] name, nuint length);

    /// <summary>A process of the sandbox that runs in its own UTS namespace (not the outer bwrap, which stays in the host's).</summary>
    public static int? FindSandboxProcess(SandboxCgroups cgroups)
    {
        string own;
        try
        {
            own = NamespaceOf("self") ?? "";
        }
        catch (IOException)
        {
            return null;
        }
        foreach (var pid in cgroups.Processes())
        {
            try
            {
                var ns = NamespaceOf(pid.ToString());
                if (ns is not null && own.Length > 0 && ns != own) return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended meanwhile.
            }
        }
        return null;
    }

    /// <summary>The raw link text of <c>/proc/{pid}/ns/uts</c>, e.g. <c>uts:[4026531838]</c>.</summary>
    private static string? NamespaceOf(string pid) => new FileInfo($"/proc/{pid}/ns/uts").LinkTarget;

    /// <summary>Sets the hostname inside the UTS namespace of <paramref name="pid"/>, which must not be the server's own.</summary>
    public static void Set(int pid, string hostname)
    {
        var own = NamespaceOf("self");
        var target = NamespaceOf(pid.ToString());
        if (own is null || target is null || own == target)
            throw new InvalidOperationException($"process {pid} is not in a UTS namespace of its own; the host's hostname is never changed");
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var ns = File.OpenHandle($"/proc/{pid}/ns/uts", FileMode.Open, FileAccess.Read);
                // The pid may have been reused since the check: the namespace actually opened decides.
                if (new FileInfo($"/proc/self/fd/{ns.DangerousGetHandle()}").LinkTarget is not { } opened || opened == own)
                    throw new InvalidOperationException($"process {pid} is not in a UTS namespace of its own");
                if (setns((int)ns.DangerousGetHandle(), CloneNewUts) != 0)
                    throw new Win32Exception(Marshal.GetLastPInvokeError(), $"setns into the UTS namespace of {pid}");
                var bytes = System.Text.Encoding.UTF8.GetBytes(hostname);
                if (sethostname(bytes, (nuint)bytes.Length) != 0)
                    throw new Win32Exception(Marshal.GetLastPInvokeError(), "sethostname");
            }
            catch (Exception e)
            {
                error = e;
            }
        }, 256 * 1024) { IsBackground = true, Name = "sethostname" };
        thread.Start();
        thread.Join();
        if (error is not null) throw error;
    }
}
