using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Sandbox.Server.Runtime;

/// <summary>
/// A command on a pseudo-terminal inside a sandbox (the helper's <c>pty</c> verb): <see cref="Master"/> is the terminal's
/// master end, a descriptor of the sandbox's own /dev/pts passed back by the helper (never opened by a path here).
/// </summary>
public sealed partial class PtyProcess : ISandboxProcess
{
    private readonly Socket _control;
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PtyProcess(Socket control, int pid, SafeFileHandle master, int? exited)
    {
        _control = control;
        Pid = pid;
        Master = master;
        Stream = new FileStream(master, FileAccess.ReadWrite, bufferSize: 0, isAsync: false);
        if (exited is { } code) _exit.TrySetResult(code);
        else _ = HelperClient.WatchExitAsync(_control, _exit);
    }

    public int Pid { get; }
    public SafeFileHandle Master { get; }
    /// <summary>Reads what the terminal shows, writes what is typed.</summary>
    public FileStream Stream { get; }
    public Task<int> Exited => _exit.Task;

    // As an exec session's process: typing and the screen are the one terminal stream; a terminal has no separate stderr.
    Stream? ISandboxProcess.Stdin => Stream;
    Stream ISandboxProcess.Stdout => Stream;
    Stream ISandboxProcess.Stderr => System.IO.Stream.Null;

    /// <summary>Starts <paramref name="spec"/> on a new terminal of <paramref name="cols"/> x <paramref name="rows"/>.</summary>
    public static async Task<PtyProcess> StartAsync(string socketPath, CommandSpec spec, int cols, int rows, CancellationToken ct)
    {
        var socket = await HelperClient.ConnectAsync(socketPath, ct);
        try
        {
            List<string> items = ["pty", cols.ToString(), rows.ToString(), spec.WorkingDirectory, spec.Argv.Count.ToString(), .. spec.Argv,
                spec.Environment.Count.ToString(), .. spec.Environment];
            HelperClient.SendItems(socket, items);
            while (!socket.Poll(TimeSpan.FromMilliseconds(20), SelectMode.SelectRead)) ct.ThrowIfCancellationRequested();
            var buffer = new byte[256];
            var (length, fd) = Native.ReceiveWithDescriptor(socket.SafeHandle, buffer);
            var lines = Encoding.ASCII.GetString(buffer, 0, length).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (fd is not null && lines.Length > 0 && lines[0].StartsWith("S ") && int.TryParse(lines[0][2..], out var pid))
            {
                int? exited = lines.Length > 1 && lines[1].StartsWith("X ") && int.TryParse(lines[1][2..], out var code) ? code : null;
                return new PtyProcess(socket, pid, fd, exited);
            }
            fd?.Dispose();
            if (lines.Length > 0 && lines[0].StartsWith("E ")) throw HelperClient.ParseErrorLine(lines[0]);
            throw new SandboxUnreachableException($"unexpected helper reply '{string.Join(" | ", lines)}'");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        public ushort Rows, Cols, XPixel, YPixel;
    }

    private const ulong TiocSWinSz = 0x5414;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ioctl(int fd, ulong request, ref WinSize size);

    /// <summary>TIOCSWINSZ on the master: the command gets SIGWINCH and the new size.</summary>
    public void Resize(int cols, int rows)
    {
        var size = new WinSize { Cols = (ushort)cols, Rows = (ushort)rows };
        var added = false;
        try
        {
            Master.DangerousAddRef(ref added);
            if (ioctl((int)Master.DangerousGetHandle(), TiocSWinSz, ref size) < 0)
                throw new IOException($"TIOCSWINSZ failed: errno {Marshal.GetLastPInvokeError()}");
        }
        finally
        {
            if (added) Master.DangerousRelease();
        }
    }

    /// <summary>SIGKILL to the command's whole session.</summary>
    public void Kill()
    {
        try
        {
            _control.Send("K"u8);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_exit.Task.IsCompleted) Kill();
        await Stream.DisposeAsync();
        _control.Dispose();
    }
}
