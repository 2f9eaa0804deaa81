using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Sandbox.Server.Launcher;

/// <summary>How to run the server.</summary>
public sealed class ServerStartInfo
{
    /// <summary>The program: the self-contained <c>Sandbox.Server</c>, or <c>dotnet</c> with the DLL as first argument.</summary>
    public required string FileName { get; init; }

    /// <summary>Its arguments (<c>--listen</c>, <c>--data-dir</c>, ...).</summary>
    public IList<string> Arguments { get; init; } = new List<string>();

    /// <summary>Environment variables added to the launcher's own.</summary>
    public IDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The working directory; the launcher's when null.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// Null: the server is a child whose output comes through pipes and is kept in memory (test fixtures, the bench). A path:
    /// the server runs detached in its own session (Ctrl+C in the terminal does not reach it, and it outlives this process),
    /// its output appended to this file, which is where the ready line is read from (the module).
    /// </summary>
    public string? LogFile { get; init; }

    /// <summary>
    /// The <c>dotnet</c> host that runs a framework-dependent <c>Sandbox.Server.dll</c>: this process's own when it is
    /// dotnet, else the one in <c>DOTNET_ROOT</c>, else <c>dotnet</c> on the PATH.
    /// </summary>
    public static string DotnetHost()
    {
        var self = System.Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        var root = System.Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, "dotnet"))) return Path.Combine(root, "dotnet");
        return "dotnet";
    }
}

/// <summary>The server could not be started, ended before it was ready, or printed no ready line in time.</summary>
public sealed class ServerStartException(string message, int? exitCode, string logTail, Exception? innerException = null)
    : Exception(message, innerException)
{
    /// <summary>The exit code when the server ended before it was ready; null for a time-out.</summary>
    public int? ExitCode { get; } = exitCode;

    /// <summary>The last lines the server printed.</summary>
    public string LogTail { get; } = logTail;
}

/// <summary>
/// One local server process: started here, awaited until it prints its <see cref="ServerReady"/> line, its output kept, and
/// stopped with SIGTERM then SIGKILL. The module, the client and server test fixtures and the bench all start the server
/// through this class, so that there is one way to know that a server is ready.
/// </summary>
public sealed class ServerLauncher : IDisposable
{
    private const int MaxLogChars = 200_000;
    private readonly object _gate = new();
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource<ServerReady> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Process _process;
    private readonly string? _logFile;
    private long _logOffset;
    private string _partialLine = "";

    private ServerLauncher(Process process, string? logFile, long logOffset)
    {
        _process = process;
        _logFile = logFile;
        _logOffset = logOffset;
    }

    /// <summary>The id of the process started (for a detached server, the shell that execs into it: the same id).</summary>
    public int ProcessId => _process.Id;

    /// <summary>True once the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once the process has ended (for a detached server, the shell's, which exec'd into it: the same).</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>The ready line, once it arrived.</summary>
    public ServerReady? Ready => _ready.Task.IsCompletedSuccessfully ? _ready.Task.Result : null;

    /// <summary>What the server printed since it was started here (the last 200 000 characters), one <c>[out]</c>/<c>[err]</c> line each.</summary>
    public string Log
    {
        get
        {
            PollLogFile();
            lock (_gate) return _log.ToString();
        }
    }

    /// <summary>The last <paramref name="lines"/> lines of <see cref="Log"/>.</summary>
    public string LogTail(int lines = 20)
    {
        var all = Log.TrimEnd().Split('\n');
        return all.Length == 1 && all[0].Length == 0 ? "(the server printed nothing)" : string.Join(System.Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)));
    }

    /// <summary>Starts the server.</summary>
    /// <exception cref="System.ComponentModel.Win32Exception">The program could not be run.</exception>
    /// <exception cref="PlatformNotSupportedException">A detached server was asked for where there is no POSIX shell.</exception>
    public static ServerLauncher Start(ServerStartInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return info.LogFile is null ? StartAttached(info) : StartDetached(info, info.LogFile);
    }

    private static ServerLauncher StartAttached(ServerStartInfo info)
    {
        var psi = new ProcessStartInfo(info.FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = info.WorkingDirectory ?? "",
        };
        foreach (var a in info.Arguments) psi.ArgumentList.Add(a);
        foreach (var (k, v) in info.Environment) psi.Environment[k] = v;
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var launcher = new ServerLauncher(process, null, 0);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null) launcher.OnLine("out", e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) launcher.OnLine("err", e.Data);
        };
        process.Exited += (_, _) => launcher.OnExited();
        if (!process.Start()) throw new InvalidOperationException($"could not start {info.FileName}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return launcher;
    }

    private static ServerLauncher StartDetached(ServerStartInfo info, string logFile)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("a detached server needs a POSIX shell");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logFile))!);
        var offset = File.Exists(logFile) ? new FileInfo(logFile).Length : 0;
        // A new session (setsid) keeps the terminal's Ctrl+C away from the server; output goes to the log, not to pipes that
        // would break when this process exits. exec keeps one process id from the shell to the server.
        var setsid = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = info.WorkingDirectory ?? "" };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"exec {(setsid is null ? "" : "'" + setsid + "' ")}\"$0\" \"$@\" </dev/null >>\"$SANDBOX_SERVER_LOG\" 2>&1");
        psi.ArgumentList.Add(info.FileName);
        foreach (var a in info.Arguments) psi.ArgumentList.Add(a);
        foreach (var (k, v) in info.Environment) psi.Environment[k] = v;
        psi.Environment["SANDBOX_SERVER_LOG"] = logFile;
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var launcher = new ServerLauncher(process, logFile, offset);
        process.Exited += (_, _) => launcher.OnExited();
        if (!process.Start()) throw new InvalidOperationException($"could not start {info.FileName}");
        return launcher;
    }

    /// <summary>
    /// Waits for the ready line. On a time-out or cancellation the server is left running (the caller decides: <see cref="Kill"/>
    /// or <see cref="StopAsync(TimeSpan, CancellationToken)"/>).
    /// </summary>
    /// <exception cref="ServerStartException">The server ended first, or printed no ready line within <paramref name="timeout"/>.</exception>
    public async Task<ServerReady> WaitForReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        // Bounded by the deadline; a detached server's log is read every 100 ms (an attached one's lines arrive as events).
        while (true)
        {
            PollLogFile();
            if (_ready.Task.IsCompleted) return await _ready.Task.ConfigureAwait(false);
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new ServerStartException($"the server printed no ready line within {timeout.TotalSeconds:0} s", null, LogTail());
            try
            {
                await _ready.Task.WaitAsync(_logFile is null ? left : TimeSpan.FromMilliseconds(Math.Min(100, left.TotalMilliseconds)), cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    /// <summary>Stops the server: SIGTERM (it shuts down cleanly), then SIGKILL after <paramref name="grace"/>.</summary>
    /// <returns>True when it ended.</returns>
    public Task<bool> StopAsync(TimeSpan grace, CancellationToken cancellationToken = default) =>
        _process.HasExited ? Task.FromResult(true) : StopProcessAsync(_process, grace, entireProcessTree: false, cancellationToken);

    /// <summary>SIGKILL to the server alone, no chance to clean up (its sandboxes' processes stay, as after a crash).</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>Waits for the process to end (bounded by the token).</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken = default) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>
    /// Stops a server by process id (one started by another process, e.g. another shell): SIGTERM, then SIGKILL after
    /// <paramref name="grace"/>.
    /// </summary>
    /// <param name="pid">The server's process id.</param>
    /// <param name="grace">How long SIGTERM has before SIGKILL.</param>
    /// <param name="entireProcessTree">Whether SIGKILL also goes to the server's child processes.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when it ended; false when it was still there 10 s after SIGKILL.</returns>
    public static async Task<bool> StopByIdAsync(int pid, TimeSpan grace, bool entireProcessTree, CancellationToken cancellationToken = default)
    {
        Process process;
        try
        {
            process = Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            return true; // already gone
        }
        using (process) return await StopProcessAsync(process, grace, entireProcessTree, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<bool> StopProcessAsync(Process process, TimeSpan grace, bool entireProcessTree, CancellationToken ct)
    {
        try
        {
            if (OperatingSystem.IsWindows()) process.Kill(entireProcessTree: true);
            else SysKill(process.Id, SigTerm);
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                wait.CancelAfter(grace);
                try
                {
                    await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
                    return true;
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                }
            }
            process.Kill(entireProcessTree);
            using var hard = CancellationTokenSource.CreateLinkedTokenSource(ct);
            hard.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(hard.Token).ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return false;
            }
        }
        catch (InvalidOperationException)
        {
            return true; // the process is gone
        }
    }

    /// <summary>Releases the process handle; the server itself is not stopped (see <see cref="StopAsync(TimeSpan, CancellationToken)"/>).</summary>
    public void Dispose() => _process.Dispose();

    private void OnLine(string stream, string line)
    {
        lock (_gate)
        {
            if (_log.Length > MaxLogChars) _log.Remove(0, MaxLogChars / 2);
            _log.Append('[').Append(stream).Append("] ").Append(line).Append('\n');
        }
        if (stream == "out" && ServerReady.TryParse(line, out var ready)) _ready.TrySetResult(ready!);
    }

    private void OnExited()
    {
        PollLogFile();
        int? code;
        try
        {
            code = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            code = null;
        }
        _ready.TrySetException(new ServerStartException($"the server exited with code {code?.ToString() ?? "?"} before it was ready", code, LogTail()));
    }

    /// <summary>A detached server: reads what was appended to its log since the last look, line by line.</summary>
    private void PollLogFile()
    {
        if (_logFile is null) return;
        string text;
        lock (_gate)
        {
            try
            {
                using var stream = new FileStream(_logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                if (stream.Length <= _logOffset) return;
                stream.Position = _logOffset;
                using var reader = new StreamReader(stream, Encoding.UTF8);
                text = reader.ReadToEnd();
                _logOffset = stream.Length;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return;
            }
            text = _partialLine + text;
            var end = text.LastIndexOf('\n');
            _partialLine = end < 0 ? text : text[(end + 1)..];
            text = end < 0 ? "" : text[..end];
        }
        if (text.Length == 0) return;
        foreach (var line in text.Split('\n')) OnLine("out", line.TrimEnd('\r'));
    }

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);
}
