using System.Runtime.InteropServices;

namespace Sandbox.Server.Runtime;

/// <summary>
/// A sandbox's init seen from the host: the process of the sandbox's cgroup that is pid 1 of its own pid namespace
/// (whatever launches it: bubblewrap today, another runtime tomorrow), held through a pidfd so that its exit is an
/// event (the pidfd turns readable) and a later process with the same pid is never mistaken for it.
/// </summary>
public sealed class InitProcess : IDisposable
{
    private int _fd;

    private InitProcess(int pid, int fd)
    {
        Pid = pid;
        _fd = fd;
    }

    /// <summary>The init's pid on the host.</summary>
    public int Pid { get; }

    /// <summary>The pidfd (for <see cref="InitEvents"/>), or -1 once disposed.</summary>
    public int Fd => Volatile.Read(ref _fd);

    /// <summary>
    /// Finds the init among the cgroup's processes and opens a pidfd on it; null when the cgroup holds no live process
    /// that is pid 1 of a pid namespace other than the server's.
    /// </summary>
    public static InitProcess? Find(SandboxCgroups cgroups)
    {
        foreach (var pid in cgroups.Processes())
        {
            if (!IsNamespaceInit(pid)) continue;
            var fd = InitNative.PidfdOpen(pid);
            if (fd < 0) continue; // it ended meanwhile
            // The pid could have been reused between the read and the open: check again through the open pidfd's pid.
            if (IsNamespaceInit(pid) && !InitNative.HasExited(fd)) return new InitProcess(pid, fd);
            InitNative.Close(fd);
        }
        return null;
    }

    /// <summary>pid 1 in the innermost pid namespace of <paramref name="pid"/> (and not the host's own init), not a zombie.</summary>
    private static bool IsNamespaceInit(int pid)
    {
        try
        {
            string[]? nspid = null;
            var zombie = false;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("State:", StringComparison.Ordinal)) zombie = line.Contains('Z') || line.Contains('X');
                else if (line.StartsWith("NSpid:", StringComparison.Ordinal))
                {
                    nspid = line[6..].Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                    break;
                }
            }
            return !zombie && nspid is { Length: >= 2 } && nspid[^1] == "1";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>True once the process has exited (its pidfd is readable).</summary>
    public bool HasExited => Fd is var fd && (fd < 0 || InitNative.HasExited(fd));

    /// <summary>
    /// How it ended, e.g. "killed by signal 9 (SIGKILL)" or "exited with status 1", when the kernel tells (pidfd
    /// PIDFD_INFO_EXIT, Linux 6.15+, available once the process is reaped; or a zombie's /proc stat); else null.
    /// Waits up to <paramref name="wait"/> for the reaping.
    /// </summary>
    public async Task<string?> ExitDescriptionAsync(TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            var fd = Fd;
            if (fd < 0) return null;
            var status = InitNative.ExitStatus(fd) ?? ZombieExitStatus(Pid);
            if (status is { } s) return Describe(s);
            if (DateTime.UtcNow >= deadline) return null;
            await Task.Delay(10);
        }
    }

    /// <summary>Field 52 of /proc/pid/stat (the wait status) while the process is a zombie.</summary>
    private static int? ZombieExitStatus(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state); field 52 is fields[49].
            return fields[0] == "Z" && fields.Length > 49 && int.TryParse(fields[49], out var code) ? code : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>A wait status in words.</summary>
    public static string Describe(int status)
    {
        var signal = status & 0x7f;
        if (signal == 0) return $"exited with status {(status >> 8) & 0xff}";
        return $"killed by signal {signal}{(SignalName(signal) is { } name ? $" ({name})" : "")}";
    }

    private static string? SignalName(int signal) => signal switch
    {
        1 => "SIGHUP", 2 => "SIGINT", 3 => "SIGQUIT", 4 => "SIGILL", 6 => "SIGABRT", 7 => "SIGBUS", 8 => "SIGFPE", 9 => "SIGKILL",
        11 => "SIGSEGV", 13 => "SIGPIPE", 14 => "SIGALRM", 15 => "SIGTERM", 24 => "SIGXCPU", 25 => "SIGXFSZ", 31 => "SIGSYS",
        _ => null,
    };

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) InitNative.Close(fd);
    }
}

/// <summary>
/// One epoll instance over the pidfds of many inits: <see cref="Wait"/> blocks a dedicated thread until one of them
/// exits (or the timeout passes), so hundreds of sandboxes cost one sleeping thread and no polling of their processes.
/// </summary>
public sealed class InitEvents : IDisposable
{
    private readonly int _epoll;

    public InitEvents()
    {
        _epoll = InitNative.EpollCreate();
        if (_epoll < 0) throw new IOException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Reports the exit of <paramref name="init"/> under <paramref name="key"/>. An fd closed later leaves the set by itself.</summary>
    public bool Add(InitProcess init, long key) => init.Fd >= 0 && InitNative.EpollAdd(_epoll, init.Fd, key);

    public void Remove(InitProcess init)
    {
        if (init.Fd >= 0) InitNative.EpollDelete(_epoll, init.Fd);
    }

    /// <summary>Keys of inits that exited; empty after <paramref name="timeoutMs"/> without one.</summary>
    public List<long> Wait(int timeoutMs) => InitNative.EpollWait(_epoll, timeoutMs);

    public void Dispose() => InitNative.Close(_epoll);
}

internal static unsafe partial class InitNative
{
    private const int SysPidfdOpenNumber = 434; // the same number on every architecture
    private const int EpollCloexec = 0x80000;
    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private const uint EpollIn = 0x001;
    private const short PollIn = 0x001;
    // _IOWR(PIDFS_IOCTL_MAGIC 0xFF, 11, struct pidfd_info) with the 64-byte first version of the struct.
    private const ulong PidfdGetInfo = (3UL << 30) | (64UL << 16) | (0xFFUL << 8) | 11;
    private const ulong PidfdInfoExit = 1 << 3;

    // struct epoll_event { u32 events; u64 data; } is packed (12 bytes) on x86-64 only; elsewhere data is 8-aligned.
    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PidfdInfo
    {
        public ulong Mask;
        public ulong CgroupId;
        public uint Pid, Tgid, Ppid, Ruid, Rgid, Euid, Egid, Suid, Sgid, Fsuid, Fsgid;
        public int ExitCode;
    }

    [LibraryImport("libc", EntryPoint = "pidfd_open", SetLastError = true)]
    private static partial int SysPidfdOpen(int pid, uint flags);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall2(long number, long a, long b);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int SysClose(int fd);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int SysPoll(PollFd* fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int SysIoctl(int fd, ulong request, void* arg);

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int SysEpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int SysEpollCtl(int epfd, int op, int fd, byte* ev);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int SysEpollWait(int epfd, byte* events, int max, int timeout);

    private static bool _noPidfdOpenInLibc;

    public static int PidfdOpen(int pid)
    {
        if (!_noPidfdOpenInLibc)
        {
            try
            {
                return SysPidfdOpen(pid, 0);
            }
            catch (EntryPointNotFoundException)
            {
                _noPidfdOpenInLibc = true; // glibc before 2.36
            }
        }
        return (int)Syscall2(SysPidfdOpenNumber, pid, 0);
    }

    public static void Close(int fd) => SysClose(fd);

    public static bool HasExited(int fd)
    {
        var p = new PollFd { Fd = fd, Events = PollIn };
        return SysPoll(&p, 1, 0) > 0 && (p.Revents & PollIn) != 0;
    }

    /// <summary>The wait status of an exited and reaped process, when the kernel keeps it for pidfds (Linux 6.15+).</summary>
    public static int? ExitStatus(int fd)
    {
        var info = new PidfdInfo { Mask = PidfdInfoExit };
        if (SysIoctl(fd, PidfdGetInfo, &info) != 0) return null;
        return (info.Mask & PidfdInfoExit) != 0 ? info.ExitCode : null;
    }

    public static int EpollCreate() => SysEpollCreate1(EpollCloexec);

    public static bool EpollAdd(int epoll, int fd, long key)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = EpollIn;
        *(long*)(ev + DataOffset) = key;
        return SysEpollCtl(epoll, EpollCtlAdd, fd, ev) == 0;
    }

    public static void EpollDelete(int epoll, int fd)
    {
        var ev = stackalloc byte[16];
        SysEpollCtl(epoll, EpollCtlDel, fd, ev);
    }

    public static List<long> EpollWait(int epoll, int timeoutMs)
    {
        const int Max = 64;
        var events = stackalloc byte[Max * 16];
        var n = SysEpollWait(epoll, events, Max, timeoutMs);
        var keys = new List<long>(Math.Max(0, n));
        for (var i = 0; i < n; i++) keys.Add(*(long*)(events + i * EventSize + DataOffset));
        return keys;
    }
}
