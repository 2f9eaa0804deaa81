namespace Sandbox.Server.Tests.Infrastructure;

/// <summary>What the host sees of a sandbox: cgroup dirs, mounts, processes. Read-only except <see cref="ForceCleanup"/>.</summary>
public static class HostProbe
{
    private const string CgroupRoot = "/sys/fs/cgroup";

    /// <summary>Directories named <paramref name="id"/> under /sys/fs/cgroup/{controller} (searched a few levels deep).</summary>
    public static List<string> CgroupDirs(string id, string? controller = null)
    {
        var found = new List<string>();
        var roots = controller is null
            ? SafeDirs(CgroupRoot)
            : [Path.Combine(CgroupRoot, controller)];
        foreach (var root in roots)
        {
            var level = new List<string> { root };
            for (var depth = 0; depth < 4 && level.Count > 0; depth++)
            {
                var next = new List<string>();
                foreach (var dir in level)
                foreach (var child in SafeDirs(dir))
                {
                    if (Path.GetFileName(child) == id) found.Add(child);
                    else next.Add(child);
                }
                level = next;
            }
        }
        return found;
    }

    /// <summary>The one cgroup dir of the sandbox for a controller (fails the test if not exactly one).</summary>
    public static string CgroupDir(string id, string controller)
    {
        var dirs = CgroupDirs(id, controller);
        Assert.True(dirs.Count == 1, $"expected one {controller} cgroup dir named {id}, found [{string.Join(", ", dirs)}]");
        return dirs[0];
    }

    public static string ReadCgroupFile(string dir, string file) => File.ReadAllText(Path.Combine(dir, file)).Trim();

    /// <summary>Host pids in a cgroup dir.</summary>
    public static List<int> Procs(string cgroupDir)
    {
        try
        {
            return File.ReadAllLines(Path.Combine(cgroupDir, "cgroup.procs")).Where(l => l.Length > 0).Select(int.Parse).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Start time (field 22 of /proc/pid/stat), to tell a process from a later one with the same pid.</summary>
    public static string? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var afterComm = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return afterComm[19]; // field 22 overall; fields after comm start at field 3
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    public static string CmdLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>Lines of the host's /proc/mounts that mention the text.</summary>
    public static List<string> MountsMentioning(string text) =>
        File.ReadAllLines("/proc/mounts").Where(l => l.Contains(text, StringComparison.Ordinal)).ToList();

    /// <summary>Lines of every host process's mount table (their mount namespaces) that mention the text.</summary>
    public static List<string> AnyNamespaceMountsMentioning(string text)
    {
        var hits = new List<string>();
        foreach (var dir in SafeDirs("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                foreach (var line in File.ReadLines(Path.Combine(dir, "mounts")))
                    if (line.Contains(text, StringComparison.Ordinal)) hits.Add($"pid {pid}: {line}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return hits;
    }

    /// <summary>
    /// Detaches every mount below <paramref name="dir"/> (deepest first): a server killed without a chance to clean up
    /// leaves its sandboxes' loop-mounted filesystems there, and a test run leaves nothing mounted behind.
    /// </summary>
    public static void UnmountUnder(string dir)
    {
        var prefix = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)) + "/";
        var mounts = File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')).Where(f => f.Length > 4)
            .Select(f => f[4].Replace("\\040", " ")).Where(m => m.StartsWith(prefix, StringComparison.Ordinal))
            .Distinct().OrderByDescending(m => m.Length).ToList();
        foreach (var mount in mounts)
        {
            try
            {
                using var umount = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("umount", ["-l", mount]) { UseShellExecute = false, RedirectStandardError = true });
                umount?.WaitForExit(10000);
            }
            catch (Exception)
            {
            }
        }
    }

    /// <summary>Best-effort removal of a sandbox the server failed to delete (its processes and cgroups only).</summary>
    public static void ForceCleanup(string id)
    {
        foreach (var dir in CgroupDirs(id))
        {
            foreach (var pid in Procs(dir))
            {
                try
                {
                    System.Diagnostics.Process.GetProcessById(pid).Kill();
                }
                catch (Exception)
                {
                }
            }
        }
        Thread.Sleep(200);
        foreach (var dir in CgroupDirs(id).OrderByDescending(d => d.Length))
        {
            try
            {
                Directory.Delete(dir);
            }
            catch (Exception)
            {
            }
        }
    }

    private static List<string> SafeDirs(string dir)
    {
        try
        {
            return Directory.GetDirectories(dir).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
