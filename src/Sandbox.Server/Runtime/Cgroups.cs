namespace Sandbox.Server.Runtime;

/// <summary>Limits applied to one sandbox's cgroups.</summary>
public sealed record ResourceLimits(double Vcpus, long MemoryBytes, int PidsMax);

/// <summary>
/// One sandbox's cgroup v1 directories (cpu, cpuacct, memory, pids, freezer), under a root
/// named after the data directory so that two servers on one machine never share a cgroup.
/// </summary>
public sealed class SandboxCgroups(string root, string id)
{
    public static readonly string[] Controllers = ["cpu", "cpuacct", "memory", "pids", "freezer"];
    private const string Mount = "/sys/fs/cgroup";
    private const int CfsPeriodMicros = 100_000;

    public string Directory(string controller) => Path.Combine(Mount, controller, root, id);

    public IEnumerable<string> Directories => Controllers.Select(Directory);

    /// <summary>Ids of every sandbox cgroup under this server's root, in any controller.</summary>
    public static IEnumerable<string> ExistingIds(string root) =>
        Controllers.Select(c => Path.Combine(Mount, c, root)).Where(System.IO.Directory.Exists)
            .SelectMany(System.IO.Directory.EnumerateDirectories).Select(Path.GetFileName).OfType<string>().Distinct();

    /// <summary>Removes the per-server parent directories once no sandbox cgroup is left under them.</summary>
    public static void RemoveRootIfEmpty(string root)
    {
        foreach (var hierarchy in System.IO.Directory.EnumerateDirectories(Mount))
        {
            var dir = Path.Combine(hierarchy, root);
            try
            {
                if (System.IO.Directory.Exists(dir) && !System.IO.Directory.EnumerateDirectories(dir).Any()) System.IO.Directory.Delete(dir);
            }
            catch (IOException)
            {
                // Still in use: a sandbox outlives the server by design.
            }
        }
    }

    public static void CheckAvailable()
    {
        foreach (var controller in Controllers)
            if (!System.IO.Directory.Exists(Path.Combine(Mount, controller)))
                throw new InvalidOperationException($"cgroup v1 controller '{controller}' is not mounted at {Mount}/{controller}");
    }

    public void CreateDirectories()
    {
        foreach (var dir in Directories) System.IO.Directory.CreateDirectory(dir);
    }

    /// <summary>Writes the limits; cheap, unlike moving a process in (see sandbox-init's launcher).</summary>
    public void ApplyLimits(ResourceLimits limits)
    {
        File.WriteAllText(Path.Combine(Directory("cpu"), "cpu.cfs_period_us"), CfsPeriodMicros.ToString());
        File.WriteAllText(Path.Combine(Directory("cpu"), "cpu.cfs_quota_us"), ((long)(limits.Vcpus * CfsPeriodMicros)).ToString());
        File.WriteAllText(Path.Combine(Directory("memory"), "memory.limit_in_bytes"), limits.MemoryBytes.ToString());
        File.WriteAllText(Path.Combine(Directory("pids"), "pids.max"), limits.PidsMax.ToString());
        // A thawed freezer: a sandbox left frozen by a crash must boot thawed.
        this.Request(Freezer.Thawed);
    }

    public IReadOnlyList<int> Processes()
    {
        try
        {
            return File.ReadAllLines(Path.Combine(Directory("pids"), "cgroup.procs"))
                .Where(l => l.Length > 0).Select(int.Parse).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    public bool HasProcesses => Processes().Count > 0;

    /// <summary>
    /// Kills every process. The freezer stops a fork bomb from outrunning the kill loop:
    /// frozen processes cannot fork, and SIGKILL is delivered when they thaw.
    /// </summary>
    public async Task KillAllAsync(CancellationToken ct = default)
    {
        var canFreeze = this.HasFreezer();
        if (canFreeze) this.TryRequest(Freezer.Frozen);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var pids = Processes();
            if (pids.Count == 0) break;
            foreach (var pid in pids) Native.Kill(pid, 9);
            if (canFreeze) this.TryRequest(Freezer.Thawed);
            await Task.Delay(2, ct);
        }
        if (canFreeze) this.TryRequest(Freezer.Thawed);
        if (HasProcesses) throw new IOException($"processes of sandbox {id} survived SIGKILL");
    }

    /// <summary>
    /// The sandbox's directory in every mounted hierarchy: runc joins all of them (cpuset, devices, blkio, the named
    /// systemd one...), not only the controllers the server sets limits in.
    /// </summary>
    private IEnumerable<string> AllHierarchies =>
        System.IO.Directory.EnumerateDirectories(Mount).Select(h => Path.Combine(h, root, id)).Where(System.IO.Directory.Exists);

    /// <summary>Removes the cgroup directories (they must be empty of processes).</summary>
    public async Task RemoveAsync()
    {
        foreach (var dir in Directories.Concat(AllHierarchies).Distinct().ToList())
        {
            for (var attempt = 0; System.IO.Directory.Exists(dir); attempt++)
            {
                try
                {
                    System.IO.Directory.Delete(dir);
                }
                catch (IOException) when (attempt < 200)
                {
                    // The kernel releases a cgroup a moment after its last process is reaped.
                    await Task.Delay(5);
                }
            }
        }
    }

    public long? ReadLong(string controller, string file)
    {
        try
        {
            return long.Parse(File.ReadAllText(Path.Combine(Directory(controller), file)).Trim());
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return null;
        }
    }

}
