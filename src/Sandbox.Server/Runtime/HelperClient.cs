using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Sandbox.Server.Runtime;

/// <summary>What a command needs: argv, environment, working directory, and whether it reads stdin.</summary>
public sealed record CommandSpec(IReadOnlyList<string> Argv, IReadOnlyList<string> Environment, string WorkingDirectory, bool WithStdin)
{
    /// <summary>Who the command runs as inside the sandbox; null: the sandbox's root (uid 0, which is unprivileged on the host).</summary>
    public SandboxUser? User { get; init; }
}

/// <summary>A user inside a sandbox, as ids of the sandbox's user namespace (0-65535).</summary>
public sealed record SandboxUser(int Uid, int Gid, IReadOnlyList<int> Groups);

/// <summary>One entry of a walk: its path relative to the walked directory, its type (d, f, l, o), size and mtime.</summary>
public sealed record WalkEntry(string RelativePath, char Type, long Size, DateTimeOffset Modified);

/// <summary>A failure reported by the in-sandbox helper: the stage that failed and the errno.</summary>
public sealed class HelperException(string stage, int errno)
    : Exception($"sandbox helper: {stage} failed: {new System.ComponentModel.Win32Exception(errno).Message}")
{
    public string Stage { get; } = stage;
    public int Errno { get; } = errno;
}

/// <summary>The helper could not be reached: the sandbox is not running.</summary>
public sealed class SandboxUnreachableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Talks to <c>sandbox-init serve</c> over a sandbox's control socket (protocol in native/sandbox-init.c).</summary>
public static class HelperClient
{
    public static async Task<Socket> ConnectAsync(string socketPath, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
            return socket;
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            socket.Dispose();
            throw new SandboxUnreachableException($"the sandbox's helper does not answer at {socketPath}", e);
        }
    }

    private static byte[] Encode(IEnumerable<string> items)
    {
        var body = new MemoryStream();
        body.Write(stackalloc byte[4]);
        foreach (var item in items)
        {
            if (item.Contains('\0')) throw new ArgumentException("strings sent to the sandbox may not contain NUL characters");
            body.Write(Encoding.UTF8.GetBytes(item));
            body.WriteByte(0);
        }
        var bytes = body.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)(bytes.Length - 4));
        return bytes;
    }

    private static void Send(Socket socket, byte[] message, ReadOnlySpan<int> fds)
    {
        // The header travels with the descriptors; the rest goes as ordinary stream bytes.
        Native.SendWithDescriptors(socket.SafeHandle, message.AsSpan(0, 4), fds);
        var rest = message.AsSpan(4);
        while (rest.Length > 0)
        {
            var n = socket.Send(rest);
            rest = rest[n..];
        }
    }

    /// <summary>Reads one '\n'-terminated reply line, byte by byte so that nothing after it is consumed.</summary>
    internal static async Task<string?> ReadLineAsync(Socket socket, CancellationToken ct)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            var n = await socket.ReceiveAsync(one, SocketFlags.None, ct);
            if (n == 0) return line.Length == 0 ? null : line.ToString();
            if (one[0] == (byte)'\n') return line.ToString();
            line.Append((char)one[0]);
        }
    }

    /// <summary>Completes <paramref name="exit"/> with the helper's "X &lt;status&gt;" line, or fails it when the helper went away.</summary>
    internal static async Task WatchExitAsync(Socket control, TaskCompletionSource<int> exit)
    {
        try
        {
            var line = await ReadLineAsync(control, CancellationToken.None);
            if (line is not null && line.StartsWith("X ") && int.TryParse(line[2..], out var code)) exit.TrySetResult(code);
            else exit.TrySetException(new SandboxUnreachableException("the sandbox stopped while the command ran"));
        }
        catch (Exception e)
        {
            exit.TrySetException(new SandboxUnreachableException("lost the connection to the sandbox's helper", e));
        }
    }

    internal static void SendItems(Socket socket, IEnumerable<string> items) => Send(socket, Encode(items), []);

    internal static HelperException ParseErrorLine(string line) => ParseError(line);

    private static HelperException ParseError(string line)
    {
        var parts = line.Split(' ');
        return new HelperException(parts.Length > 1 ? parts[1] : "unknown", parts.Length > 2 && int.TryParse(parts[2], out var e) ? e : 0);
    }

    public static async Task<int> PingAsync(string socketPath, CancellationToken ct)
    {
        using var socket = await ConnectAsync(socketPath, ct);
        Send(socket, Encode(["ping"]), []);
        var line = await ReadLineAsync(socket, ct);
        if (line is null || !line.StartsWith("P ")) throw new SandboxUnreachableException($"unexpected helper reply '{line}'");
        return int.Parse(line[2..]);
    }

    /// <summary>Opens a file inside the sandbox (path resolved by the helper, in the sandbox's namespace).</summary>
    public static async Task<SafeFileHandle> OpenFileAsync(string socketPath, string path, bool write, CancellationToken ct)
    {
        using var socket = await ConnectAsync(socketPath, ct);
        Send(socket, Encode(["open", write ? "w" : "r", path]), []);
        // The helper answers "F\n" with the descriptor attached, or an error line; wait until it is readable.
        while (!socket.Poll(TimeSpan.FromMilliseconds(50), SelectMode.SelectRead)) ct.ThrowIfCancellationRequested();
        var buffer = new byte[128];
        var (length, fd) = Native.ReceiveWithDescriptor(socket.SafeHandle, buffer);
        var reply = Encoding.ASCII.GetString(buffer, 0, length).TrimEnd('\n');
        if (fd is not null && reply == "F") return fd;
        fd?.Dispose();
        if (reply.StartsWith("E ")) throw ParseError(reply);
        throw new SandboxUnreachableException($"unexpected helper reply '{reply}'");
    }

    /// <summary>
    /// Starts an atomic upload: the helper creates a temp file beside <paramref name="path"/> and passes it back.
    /// Null when the helper predates the <c>upload</c> request (a sandbox booted by an older server).
    /// </summary>
    public static async Task<HelperUpload?> BeginUploadAsync(string socketPath, string path, CancellationToken ct)
    {
        var socket = await ConnectAsync(socketPath, ct);
        try
        {
            Send(socket, Encode(["upload", path]), []);
            while (!socket.Poll(TimeSpan.FromMilliseconds(50), SelectMode.SelectRead)) ct.ThrowIfCancellationRequested();
            var buffer = new byte[128];
            var (length, fd) = Native.ReceiveWithDescriptor(socket.SafeHandle, buffer);
            var reply = Encoding.ASCII.GetString(buffer, 0, length).TrimEnd('\n');
            if (fd is not null && reply == "T") return new HelperUpload(socket, fd);
            fd?.Dispose();
            socket.Dispose();
            if (reply.StartsWith("E proto ")) return null;
            if (reply.StartsWith("E ")) throw ParseError(reply);
            throw new SandboxUnreachableException($"unexpected helper reply '{reply}'");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The entries under a directory inside the sandbox, depth first, as its helper lists them (lstat values; symlinks
    /// never followed; kernel pseudo-filesystems not entered). Stopping the enumeration closes the connection, which ends
    /// the helper's walk. A helper that predates <c>walk</c> answers <c>E proto</c> (<see cref="HelperException"/>).
    /// </summary>
    public static async IAsyncEnumerable<WalkEntry> WalkAsync(string socketPath, string path, int maxDepth,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        using var socket = await ConnectAsync(socketPath, ct);
        Send(socket, Encode(["walk", path, maxDepth.ToString()]), []);
        var line = await ReadLineAsync(socket, ct);
        if (line is null) throw new SandboxUnreachableException("the sandbox's helper closed the connection");
        if (line.StartsWith("E ")) throw ParseError(line);
        if (line != "W") throw new SandboxUnreachableException($"unexpected helper reply '{line}'");
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var buffer = new byte[64 << 10];
        int start = 0, end = 0;
        string? header = null;
        while (true)
        {
            // The next NUL-terminated string in the buffer, reading more as needed.
            var nul = Array.IndexOf(buffer, (byte)0, start, end - start);
            if (nul < 0)
            {
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                if (end == buffer.Length) throw new SandboxUnreachableException("the sandbox's helper sent an over-long walk record");
                var n = await stream.ReadAsync(buffer.AsMemory(end), ct);
                if (n == 0) throw new SandboxUnreachableException("the sandbox's helper ended the walk early");
                end += n;
                continue;
            }
            var text = Encoding.UTF8.GetString(buffer, start, nul - start);
            start = nul + 1;
            if (header is null)
            {
                if (text == ".") yield break;
                header = text;
                continue;
            }
            var record = header;
            header = null;
            var parts = record.Split(' ');
            if (parts.Length != 3 || parts[0].Length != 1 || !long.TryParse(parts[1], out var size) || !long.TryParse(parts[2], out var mtime))
                throw new SandboxUnreachableException($"unexpected walk record '{record}'");
            yield return new WalkEntry(text, parts[0][0], size, DateTimeOffset.FromUnixTimeSeconds(mtime));
        }
    }

    /// <summary>Starts a command. The returned object owns the command's pipes and its control connection.</summary>
    public static async Task<RunningCommand> StartAsync(string socketPath, CommandSpec spec, CancellationToken ct)
    {
        var socket = await ConnectAsync(socketPath, ct);
        SafeFileHandle? stdinRead = null, stdinWrite = null;
        var (stdoutRead, stdoutWrite) = Native.Pipe(Native.OutputPipeBytes);
        var (stderrRead, stderrWrite) = Native.Pipe(Native.OutputPipeBytes);
        try
        {
            if (spec.WithStdin) (stdinRead, stdinWrite) = Native.Pipe();
            var items = spec.User is { } user
                ? ["execas", user.Uid.ToString(), user.Gid.ToString(), user.Groups.Count.ToString(), .. user.Groups.Select(g => g.ToString())]
                : new List<string> { "exec" };
            items.AddRange([spec.WorkingDirectory, spec.Argv.Count.ToString()]);
            items.AddRange(spec.Argv);
            items.Add(spec.Environment.Count.ToString());
            items.AddRange(spec.Environment);
            int[] fds = stdinRead is null
                ? [(int)stdoutWrite.DangerousGetHandle(), (int)stderrWrite.DangerousGetHandle()]
                : [(int)stdinRead.DangerousGetHandle(), (int)stdoutWrite.DangerousGetHandle(), (int)stderrWrite.DangerousGetHandle()];
            Send(socket, Encode(items), fds);
            // Our copies of the command's ends must close, or we would never see end-of-file.
            stdoutWrite.Dispose();
            stderrWrite.Dispose();
            stdinRead?.Dispose();
            var line = await ReadLineAsync(socket, ct);
            if (line is null) throw new SandboxUnreachableException("the sandbox's helper closed the connection");
            if (line.StartsWith("E ")) throw ParseError(line);
            if (!line.StartsWith("S ")) throw new SandboxUnreachableException($"unexpected helper reply '{line}'");
            return new RunningCommand(socket, int.Parse(line[2..]), stdinWrite, stdoutRead, stderrRead);
        }
        catch
        {
            socket.Dispose();
            stdoutRead.Dispose();
            stderrRead.Dispose();
            stdoutWrite.Dispose();
            stderrWrite.Dispose();
            stdinRead?.Dispose();
            stdinWrite?.Dispose();
            throw;
        }
    }
}

/// <summary>
/// A process started by a sandbox's helper, as exec sessions see it: a command on pipes (<see cref="RunningCommand"/>)
/// or on a pseudo-terminal (<see cref="PtyProcess"/>, whose one terminal stream is both stdin and stdout).
/// </summary>
public interface ISandboxProcess : IAsyncDisposable
{
    /// <summary>The process's pid inside the sandbox's pid namespace.</summary>
    int Pid { get; }
    Stream? Stdin { get; }
    Stream Stdout { get; }
    Stream Stderr { get; }
    /// <summary>Completes with the exit code (128 + signal when killed by a signal).</summary>
    Task<int> Exited { get; }
    void Kill();
}

/// <summary>A command running inside a sandbox: its output pipes, its stdin, its exit, and a way to kill it.</summary>
public sealed class RunningCommand : ISandboxProcess
{
    private readonly Socket _control;
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _killed;

    internal RunningCommand(Socket control, int pid, SafeFileHandle? stdin, SafeFileHandle stdout, SafeFileHandle stderr)
    {
        _control = control;
        Pid = pid;
        Stdin = stdin is null ? null : new FileStream(stdin, FileAccess.Write, bufferSize: 0);
        Stdout = new FileStream(stdout, FileAccess.Read, bufferSize: 0);
        Stderr = new FileStream(stderr, FileAccess.Read, bufferSize: 0);
        _ = HelperClient.WatchExitAsync(_control, _exit);
    }

    /// <summary>The command's pid inside the sandbox's pid namespace.</summary>
    public int Pid { get; }
    public Stream? Stdin { get; }
    public Stream Stdout { get; }
    public Stream Stderr { get; }

    /// <summary>Completes with the exit code (128 + signal when killed by a signal).</summary>
    public Task<int> Exited => _exit.Task;

    public bool WasKilled => _killed != 0;

    /// <summary>SIGKILL to the command's whole process group.</summary>
    public void Kill()
    {
        Interlocked.Exchange(ref _killed, 1);
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
        if (Stdin is not null) await Stdin.DisposeAsync();
        await Stdout.DisposeAsync();
        await Stderr.DisposeAsync();
        _control.Dispose();
    }
}

/// <summary>
/// An upload in progress: <see cref="File"/> is the temp file inside the sandbox. <see cref="CommitAsync"/> renames it over
/// the target; disposing without a commit (client gone, error) makes the helper remove it. If the server dies, the helper
/// sees the connection close and removes it too.
/// </summary>
public sealed class HelperUpload(Socket control, SafeFileHandle file) : IDisposable
{
    public SafeFileHandle File { get; } = file;

    public async Task CommitAsync(CancellationToken ct)
    {
        await control.SendAsync("C"u8.ToArray(), SocketFlags.None, ct);
        var line = await HelperClient.ReadLineAsync(control, ct);
        if (line == "R") return;
        if (line is not null && line.StartsWith("E "))
        {
            var parts = line.Split(' ');
            throw new HelperException(parts.Length > 1 ? parts[1] : "rename", parts.Length > 2 && int.TryParse(parts[2], out var e) ? e : 0);
        }
        throw new SandboxUnreachableException($"unexpected helper reply '{line}' to the upload's commit");
    }

    public void Dispose()
    {
        File.Dispose();
        control.Dispose();
    }
}
