using System.Globalization;

namespace Sandbox.Bench;

/// <summary>Reads /proc: MemAvailable, VmRSS, Pss, cgroup members.</summary>
internal static class HostMemory
{
    /// <summary>MemAvailable from /proc/meminfo, in bytes.</summary>
    public static long MemAvailable() => ReadKib("/proc/meminfo", "MemAvailable:") * 1024;

    /// <summary>VmRSS of a process, in bytes (0 when it is gone).</summary>
    public static long Rss(int pid) => ReadKib($"/proc/{pid}/status", "VmRSS:") * 1024;

    /// <summary>Pss of a process from smaps_rollup, in bytes (0 when it is gone or has no mm).</summary>
    public static long Pss(int pid) => ReadKib($"/proc/{pid}/smaps_rollup", "Pss:") * 1024;

    /// <summary>Max - min of the samples of the last <see cref="SettledMemAvailable"/>, in bytes: the noise.</summary>
    public static double LastSpread { get; private set; }

    /// <summary>Median MemAvailable over a few samples after a GC of this process, to smooth out noise.</summary>
    public static long SettledMemAvailable(int samples = 5, int intervalMs = 200)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var values = new List<double>();
        for (var i = 0; i < samples; i++)
        {
            if (i > 0) Thread.Sleep(intervalMs);
            values.Add(MemAvailable());
        }
        LastSpread = values.Max() - values.Min();
        return (long)Stats.Median(values);
    }

    private static long ReadKib(string file, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
                var parts = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[0], CultureInfo.InvariantCulture);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return 0;
    }

    /// <summary>Every pid whose parent chain leads to <paramref name="root"/>, root included.</summary>
    public static List<int> ProcessTree(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(rest[1], CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
            {
            }
        }
        var result = new List<int> { root };
        for (var i = 0; i < result.Count && i < 100_000; i++)
            foreach (var (pid, ppid) in parents)
                if (ppid == result[i]) result.Add(pid);
        return result;
    }

    /// <summary>The pids in every cgroup v1 directory named <paramref name="id"/> under a sandbox-* parent (any controller).</summary>
    public static HashSet<int> CgroupPids(string id)
    {
        var pids = new HashSet<int>();
        foreach (var dir in SandboxCgroupDirs(id))
        {
            try
            {
                foreach (var line in File.ReadLines(Path.Combine(dir, "cgroup.procs")))
                    if (int.TryParse(line, out var pid)) pids.Add(pid);
            }
            catch (IOException)
            {
            }
        }
        return pids;
    }

    /// <summary>/sys/fs/cgroup/&lt;controller&gt;/sandbox-*/&lt;id&gt; directories that exist.</summary>
    public static IEnumerable<string> SandboxCgroupDirs(string id)
    {
        if (!Directory.Exists("/sys/fs/cgroup")) yield break;
        foreach (var controller in Directory.EnumerateDirectories("/sys/fs/cgroup"))
        {
            IEnumerable<string> parents;
            try
            {
                parents = Directory.EnumerateDirectories(controller, "sandbox-*").ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var parent in parents)
            {
                var dir = Path.Combine(parent, id);
                if (Directory.Exists(dir)) yield return dir;
            }
        }
    }

    /// <summary>memory.usage_in_bytes of a cgroup v1 memory directory (0 when unreadable).</summary>
    public static double CgroupMemoryUsage(string dir)
    {
        try
        {
            return long.Parse(File.ReadAllText(Path.Combine(dir, "memory.usage_in_bytes")).Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    public static double Mib(double bytes) => bytes / (1024.0 * 1024.0);
}
