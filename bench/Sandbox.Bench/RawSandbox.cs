using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Sandbox.Bench;

/// <summary>
/// The raw baseline: what a sandbox costs with no server in between. An overlay root mounted with one
/// mount(2) call (lowerdir=/, the same as the server's <c>base</c> template), then bubblewrap over it with
/// the same namespaces as the server's sandboxes, started with .NET's Process.Start (as the server starts
/// its launcher). Ready = bwrap's <c>--info-fd</c> has told the child pid (the pid a user would nsenter).
/// </summary>
internal sealed class RawSandbox : IDisposable
{
    private readonly string _dir;
    private readonly string _merged;
    private readonly Process _bwrap;
    private bool _mounted;
    private bool _disposed;

    public int ChildPid { get; }
    public int BwrapPid => _bwrap.Id;

    private RawSandbox(string dir, string merged, Process bwrap, int childPid)
    {
        _dir = dir;
        _merged = merged;
        _bwrap = bwrap;
        _mounted = true;
        ChildPid = childPid;
    }

    /// <summary>Creates dirs, mounts the overlay, starts bwrap and returns once the child pid is known.</summary>
    public static RawSandbox Start(string root, string name, params string[] command) => StartUntil(root, name, null, command);

    /// <summary>
    /// As <see cref="Start(string,string,string[])"/>; with <paramref name="readyLine"/>, also waits until the
    /// command inside has printed that line (a process has run in the finished sandbox).
    /// </summary>
    public static RawSandbox StartUntil(string root, string name, string? readyLine, params string[] command) =>
        StartIn(root, name, readyLine, [], command);

    /// <summary>
    /// As <see cref="StartUntil"/>, with bwrap started inside the given cgroups: a /bin/sh wrapper writes its
    /// own pid into each cgroup.procs, then execs bwrap (what the server's launcher does before bwrap).
    /// </summary>
    public static RawSandbox StartIn(string root, string name, string? readyLine, IReadOnlyList<string> cgroupProcsFiles, params string[] command)
    {
        var dir = Path.Combine(root, name);
        var upper = Path.Combine(dir, "upper");
        var work = Path.Combine(dir, "work");
        var merged = Path.Combine(dir, "merged");
        Directory.CreateDirectory(Path.Combine(upper, "home", "user"));
        Directory.CreateDirectory(work);
        Directory.CreateDirectory(merged);
        Native.MountOverlay("/", upper, work, merged);
        Process? bwrap = null;
        try
        {
            var psi = new ProcessStartInfo(cgroupProcsFiles.Count == 0 ? "bwrap" : "/bin/sh")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            if (cgroupProcsFiles.Count > 0)
            {
                psi.ArgumentList.Add("-c");
                psi.ArgumentList.Add("n=$1; shift; while [ \"$n\" -gt 0 ]; do echo $$ > \"$1\" || exit 111; shift; n=$((n-1)); done; exec bwrap \"$@\"");
                psi.ArgumentList.Add("sh");
                psi.ArgumentList.Add(cgroupProcsFiles.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                foreach (var f in cgroupProcsFiles) psi.ArgumentList.Add(f);
            }
            string[] args =
            [
                "--bind", merged, "/",
                "--proc", "/proc",
                "--dev", "/dev",
                "--tmpfs", "/tmp",
                "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net", "--unshare-cgroup-try",
                "--hostname", name,
                "--cap-drop", "ALL",
                "--chdir", "/home/user",
                "--info-fd", "2",
                "--",
            ];
            foreach (var a in args) psi.ArgumentList.Add(a);
            foreach (var a in command) psi.ArgumentList.Add(a);
            bwrap = Process.Start(psi) ?? throw new InvalidOperationException("could not start bwrap");
            var childPid = ReadChildPid(bwrap, readyLine);
            var sandbox = new RawSandbox(dir, merged, bwrap, childPid);
            bwrap = null;
            return sandbox;
        }
        catch
        {
            if (bwrap is not null)
            {
                try { bwrap.Kill(); } catch (InvalidOperationException) { }
                bwrap.WaitForExit(5000);
                bwrap.Dispose();
            }
            Native.Unmount(merged);
            DeleteIfUnmounted(dir, merged);
            throw;
        }
    }

    /// <summary>
    /// Reads bwrap's info JSON up to its closing brace. It goes to fd 2 (bwrap closes the info fd in the
    /// sandbox, and the command's stdout stays free for its ready line). A watchdog bounds the wait.
    /// </summary>
    private static int ReadChildPid(Process bwrap, string? readyLine)
    {
        using var watchdog = new Timer(_ =>
        {
            try { bwrap.Kill(); } catch (Exception) { }
        }, null, 15_000, Timeout.Infinite);
        var json = new StringBuilder();
        for (var i = 0; i < 64; i++)
        {
            var line = bwrap.StandardError.ReadLine();
            if (line is null)
            {
                bwrap.WaitForExit(5000);
                throw new InvalidOperationException($"bwrap ended before telling its child pid: {json}");
            }
            json.Append(line).Append('\n');
            if (line.StartsWith('}')) break;
        }
        int pid;
        try
        {
            using var doc = JsonDocument.Parse(json.ToString());
            pid = doc.RootElement.GetProperty("child-pid").GetInt32();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException)
        {
            throw new InvalidOperationException($"bwrap wrote no child pid: {json}");
        }
        for (var i = 0; readyLine is not null && i < 64; i++)
        {
            var line = bwrap.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the sandbox's command ended before printing its ready line");
            if (line == readyLine) break;
        }
        return pid;
    }

    /// <summary>SIGKILL to the namespace's pid 1 (ends every process in it), wait for bwrap, unmount, remove the dirs.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Native.Kill(ChildPid, Native.SigKill);
        if (!_bwrap.WaitForExit(10_000))
        {
            try { _bwrap.Kill(entireProcessTree: true); } catch (Exception) { }
            _bwrap.WaitForExit(5_000);
        }
        _bwrap.Dispose();
        if (_mounted)
        {
            Native.Unmount(_merged);
            _mounted = false;
        }
        DeleteIfUnmounted(_dir, _merged);
    }

    private static void DeleteIfUnmounted(string dir, string merged)
    {
        if (Mounts.Under(dir).Count > 0) return; // never recurse into a mounted tree: the final cleanup reports it
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Mount table queries, so that no recursive delete ever walks into a mount.</summary>
internal static class Mounts
{
    /// <summary>Mount points at or under <paramref name="dir"/> in this mount namespace, deepest first.</summary>
    public static List<string> Under(string dir)
    {
        var prefix = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir));
        var result = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length < 5) continue;
            var point = Unescape(fields[4]);
            if (point == prefix || point.StartsWith(prefix + "/", StringComparison.Ordinal)) result.Add(point);
        }
        return result.OrderByDescending(p => p.Length).ToList();
    }

    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 3 < s.Length && char.IsAsciiDigit(s[i + 1]))
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(s[i]);
        }
        return sb.ToString();
    }
}
