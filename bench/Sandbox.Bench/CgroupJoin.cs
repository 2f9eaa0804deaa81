using System.Diagnostics;
using System.Globalization;

namespace Sandbox.Bench;

/// <summary>
/// What joining cgroup v1 hierarchies costs by itself: the server must put every sandbox into cpu, cpuacct,
/// memory, pids and freezer cgroups, and on this kernel the first write of a pid into a v1 cgroup.procs waits
/// for an RCU grace period. Measured on a fresh <c>sleep</c> process: mkdir of the five cgroups + the five writes.
/// </summary>
internal sealed class CgroupJoin(string runId)
{
    private static readonly string[] Controllers = ["cpu", "cpuacct", "memory", "pids", "freezer"];
    private string Parent => $"sbxbench-{runId}";

    public bool Available => Controllers.All(c => Directory.Exists($"/sys/fs/cgroup/{c}"));

    /// <summary>Times the join of a fresh process into five new cgroups; everything is removed afterwards (not timed).</summary>
    public double Measure(string name)
    {
        var psi = new ProcessStartInfo("sleep") { UseShellExecute = false };
        psi.ArgumentList.Add("infinity");
        using var sleeper = Process.Start(psi)!;
        var dirs = Controllers.Select(c => $"/sys/fs/cgroup/{c}/{Parent}/{name}").ToArray();
        try
        {
            var pid = sleeper.Id.ToString(CultureInfo.InvariantCulture);
            var t = Stopwatch.GetTimestamp();
            foreach (var dir in dirs) Directory.CreateDirectory(dir);
            foreach (var dir in dirs) File.WriteAllText(Path.Combine(dir, "cgroup.procs"), pid);
            return Stats.ElapsedMs(t);
        }
        finally
        {
            try { sleeper.Kill(); } catch (InvalidOperationException) { }
            sleeper.WaitForExit(10_000);
            foreach (var dir in dirs) RemoveDir(dir);
        }
    }

    /// <summary>Creates the five cgroups for <paramref name="name"/>; returns their cgroup.procs files.</summary>
    public List<string> Create(string name)
    {
        var files = new List<string>();
        foreach (var c in Controllers)
        {
            var dir = $"/sys/fs/cgroup/{c}/{Parent}/{name}";
            Directory.CreateDirectory(dir);
            files.Add(Path.Combine(dir, "cgroup.procs"));
        }
        return files;
    }

    /// <summary>Creates a memory cgroup only; returns its cgroup.procs file.</summary>
    public string CreateMemoryOnly(string name)
    {
        var dir = $"/sys/fs/cgroup/memory/{Parent}/{name}";
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, "cgroup.procs");
    }

    public void RemoveMemoryOnly(string name) => RemoveDir($"/sys/fs/cgroup/memory/{Parent}/{name}");

    /// <summary>Removes the cgroups of <paramref name="name"/> (their processes must be gone).</summary>
    public void Remove(string name)
    {
        foreach (var c in Controllers) RemoveDir($"/sys/fs/cgroup/{c}/{Parent}/{name}");
    }

    /// <summary>Removes the bench's cgroups (children first); bounded retries while killed processes go.</summary>
    public void Cleanup()
    {
        foreach (var c in Controllers)
        {
            var parent = $"/sys/fs/cgroup/{c}/{Parent}";
            if (!Directory.Exists(parent)) continue;
            foreach (var child in Directory.GetDirectories(parent))
            {
                foreach (var line in SafeLines(Path.Combine(child, "cgroup.procs")))
                    if (int.TryParse(line, out var p)) Native.Kill(p, Native.SigKill);
                RemoveDir(child);
            }
            RemoveDir(parent);
        }
    }

    private static IEnumerable<string> SafeLines(string file)
    {
        try { return File.ReadAllLines(file); }
        catch (IOException) { return []; }
    }

    private static void RemoveDir(string dir)
    {
        for (var i = 0; i < 50 && Directory.Exists(dir); i++)
        {
            try
            {
                Directory.Delete(dir); // rmdir: a cgroup goes once it has no processes
            }
            catch (IOException)
            {
                Thread.Sleep(20);
            }
        }
    }
}
