using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sandbox.Server.Runtime;

/// <summary>The few Linux system calls .NET does not expose: mounts, pipes and descriptor passing.</summary>
internal static unsafe partial class Native
{
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int OCloexec = 0x80000;
    private const int MsgNoSignal = 0x4000;
    private const int MsgCmsgCloexec = 0x40000000;
    public const int MntDetach = 2;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EINVAL = 22;
    public const int ENOENT = 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } followed by 8-aligned data.
    private const int CmsgHeaderSize = 16;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mount(string source, string target, string fstype, nuint flags, string data);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int umount2(string target, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int pipe2(int* fds, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint sendmsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recvmsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chown(string path, int owner, int group);

    [LibraryImport("libc")]
    private static partial uint umask(uint mask);

    public static int Chown(string path, int owner, int group) => chown(path, owner, group);

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint realpath(string path, nint resolved);

    [LibraryImport("libc")]
    private static partial void free(nint p);

    /// <summary>The canonical path (every symlink and <c>..</c> resolved), or null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        var p = realpath(path, 0);
        if (p == 0) return null;
        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            free(p);
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, int owner, int group);

    /// <summary>chown of the entry itself: a symlink is changed, never followed.</summary>
    public static int Lchown(string path, int owner, int group) => lchown(path, owner, group);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    private const int OPath = 0x200000;
    private const int ODirectory = 0x10000;

    /// <summary>An O_PATH descriptor of a directory (to name it as /proc/self/fd/N without its path).</summary>
    public static SafeFileHandle OpenDirectoryPath(string path)
    {
        var fd = open(path, OPath | ODirectory | OCloexec);
        if (fd < 0) throw new Win32Exception(Marshal.GetLastPInvokeError(), $"open {path}");
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;

    /// <summary>What <c>statx(fd, "", AT_EMPTY_PATH)</c> says of an open descriptor (no path is resolved).</summary>
    public readonly record struct FileStat(ulong Device, ulong Inode, long Size, long MtimeSeconds, uint MtimeNanoseconds, long CtimeSeconds, uint CtimeNanoseconds);

    public static FileStat Fstat(SafeFileHandle file)
    {
        // struct statx (linux/stat.h, the same on every architecture): ino at 32, size at 40, ctime at 96, mtime at
        // 112 (each { s64 tv_sec; u32 tv_nsec; s32 reserved }), dev_major at 136, dev_minor at 140; 256 bytes.
        var buffer = stackalloc byte[256];
        var added = false;
        file.DangerousAddRef(ref added);
        try
        {
            if (statx((int)file.DangerousGetHandle(), "", AtEmptyPath, StatxBasicStats, buffer) != 0)
                throw new Win32Exception(Marshal.GetLastPInvokeError(), "statx of an open file");
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
        return new FileStat(
            ((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140),
            *(ulong*)(buffer + 32), *(long*)(buffer + 40),
            *(long*)(buffer + 112), *(uint*)(buffer + 120),
            *(long*)(buffer + 96), *(uint*)(buffer + 104));
    }

    /// <summary>Sets the process's file creation mask (0077: whatever the server creates is its own alone).</summary>
    public static void SetUmask(uint mask) => umask(mask);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int cmd, int arg);

    private const int FSetPipeSize = 1031;
    /// <summary>Output pipes are enlarged from 64 KiB so that large outputs move in fewer, bigger reads.</summary>
    public const int OutputPipeBytes = 1 << 20;

    public static void MountOverlay(string lower, string upper, string work, string target)
    {
        var options = $"lowerdir={lower},upperdir={upper},workdir={work}";
        if (mount("overlay", target, "overlay", 0, options) != 0)
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"mount overlay on {target}");
    }

    /// <summary>Detaches a mount; returns false when nothing was mounted there.</summary>
    public static bool Unmount(string target)
    {
        if (umount2(target, MntDetach) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno is EINVAL or ENOENT) return false;
        throw new Win32Exception(errno, $"umount {target}");
    }

    public static void Kill(int pid, int signal) => kill(pid, signal);

    /// <summary>Creates a pipe whose both ends are close-on-exec (they reach commands only through the helper).</summary>
    public static (SafeFileHandle Read, SafeFileHandle Write) Pipe(int size = 0)
    {
        int* fds = stackalloc int[2];
        if (pipe2(fds, OCloexec) != 0)
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "pipe2");
        if (size > 0) fcntl(fds[0], FSetPipeSize, size); // best effort: the default size still works
        return (new SafeFileHandle(fds[0], ownsHandle: true), new SafeFileHandle(fds[1], ownsHandle: true));
    }

    /// <summary>Sends <paramref name="data"/> with the given descriptors attached (SCM_RIGHTS).</summary>
    public static void SendWithDescriptors(SafeHandle socket, ReadOnlySpan<byte> data, ReadOnlySpan<int> fds)
    {
        var dataLength = fds.Length * sizeof(int);
        var space = CmsgHeaderSize + ((dataLength + 7) & ~7);
        byte* control = stackalloc byte[space];
        new Span<byte>(control, space).Clear();
        *(nuint*)control = (nuint)(CmsgHeaderSize + dataLength);
        *(int*)(control + 8) = SolSocket;
        *(int*)(control + 12) = ScmRights;
        for (var i = 0; i < fds.Length; i++) ((int*)(control + CmsgHeaderSize))[i] = fds[i];

        fixed (byte* bytes = data)
        {
            var iov = new IoVec { Base = bytes, Length = (nuint)data.Length };
            var msg = new MsgHdr { Iov = &iov, IovLength = 1, Control = fds.Length > 0 ? control : null, ControlLength = fds.Length > 0 ? (nuint)space : 0 };
            var fd = (int)socket.DangerousGetHandle();
            while (true)
            {
                var sent = sendmsg(fd, &msg, MsgNoSignal);
                if (sent == data.Length) return;
                var errno = Marshal.GetLastPInvokeError();
                if (sent < 0 && errno == EINTR) continue;
                if (sent < 0 && errno == EAGAIN)
                {
                    Thread.Sleep(1);
                    continue;
                }
                if (sent >= 0) throw new IOException("short sendmsg to the sandbox helper");
                throw new Win32Exception(errno, "sendmsg to the sandbox helper");
            }
        }
    }

    /// <summary>Receives one message of at most <paramref name="buffer"/> bytes and at most one descriptor.</summary>
    public static (int Length, SafeFileHandle? Descriptor) ReceiveWithDescriptor(SafeHandle socket, Span<byte> buffer)
    {
        const int space = CmsgHeaderSize + 8;
        byte* control = stackalloc byte[space];
        fixed (byte* bytes = buffer)
        {
            var iov = new IoVec { Base = bytes, Length = (nuint)buffer.Length };
            var msg = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = space };
            var fd = (int)socket.DangerousGetHandle();
            nint received;
            while (true)
            {
                received = recvmsg(fd, &msg, MsgCmsgCloexec);
                if (received >= 0) break;
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR) continue;
                throw new Win32Exception(errno, "recvmsg from the sandbox helper");
            }
            SafeFileHandle? descriptor = null;
            if (msg.ControlLength >= CmsgHeaderSize + sizeof(int) && *(int*)(control + 8) == SolSocket && *(int*)(control + 12) == ScmRights)
                descriptor = new SafeFileHandle(*(int*)(control + CmsgHeaderSize), ownsHandle: true);
            return ((int)received, descriptor);
        }
    }
}
