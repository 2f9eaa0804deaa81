namespace Sandbox.Server.Runtime;

/// <summary>A sandbox's resource counters, as <c>GET /boxes/{name}/metrics</c> answers them.</summary>
public sealed record SandboxUsage(double CpuSeconds, long MemoryBytes, long Pids, long DiskBytes);

/// <summary>
/// The one way the server drives the cgroup v1 freezer (pause and resume, a snapshot's consistent copy, the kill loop,
/// a boot that must start thawed), and the counters of cpuacct, memory and pids. Frozen processes keep their memory
/// and use no CPU; a thaw resumes them where they stopped.
/// </summary>
public static class Freezer
{
    public const string Frozen = "FROZEN";
    public const string Thawed = "THAWED";
    private static readonly TimeSpan FreezeTimeout = TimeSpan.FromSeconds(10);

    private static string StatePath(SandboxCgroups cgroups) => Path.Combine(cgroups.Directory("freezer"), "freezer.state");

    /// <summary>The freezer's state (<c>THAWED</c>, <c>FREEZING</c>, <c>FROZEN</c>), or null without a freezer cgroup.</summary>
    public static string? FreezerState(this SandboxCgroups cgroups)
    {
        try
        {
            return File.ReadAllText(StatePath(cgroups)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Freezes every process and returns once the kernel reports FROZEN (FREEZING means some are still on their way).</summary>
    public static Task FreezeAsync(this SandboxCgroups cgroups, CancellationToken ct = default) => SetAsync(cgroups, Frozen, ct);

    /// <summary>Thaws every process and returns once the kernel reports THAWED.</summary>
    public static Task ThawAsync(this SandboxCgroups cgroups, CancellationToken ct = default) => SetAsync(cgroups, Thawed, ct);

    /// <summary>True when the sandbox has a freezer cgroup.</summary>
    public static bool HasFreezer(this SandboxCgroups cgroups) => File.Exists(StatePath(cgroups));

    /// <summary>Writes a state without waiting for the kernel to reach it (a boot that must start thawed).</summary>
    public static void Request(this SandboxCgroups cgroups, string state) => File.WriteAllText(StatePath(cgroups), state);

    /// <summary>As <see cref="Request"/>, for the kill loop: a freezer that went away with its cgroup is no error.</summary>
    public static void TryRequest(this SandboxCgroups cgroups, string state)
    {
        try
        {
            cgroups.Request(state);
        }
        catch (IOException)
        {
        }
    }

    private static async Task SetAsync(SandboxCgroups cgroups, string state, CancellationToken ct)
    {
        var path = StatePath(cgroups);
        if (!File.Exists(path)) throw new IOException($"no freezer cgroup at {path}");
        var deadline = DateTime.UtcNow + FreezeTimeout;
        var attempt = 0;
        while (true)
        {
            // Writing again nudges a freeze that met a process in an uninterruptible wait.
            if (attempt++ % 50 == 0) File.WriteAllText(path, state);
            if (cgroups.FreezerState() == state) return;
            if (DateTime.UtcNow > deadline)
            {
                if (state == Frozen) File.WriteAllText(path, Thawed);
                throw new IOException($"the freezer did not reach {state} within {FreezeTimeout.TotalSeconds} s");
            }
            await Task.Delay(1, ct);
        }
    }

    /// <summary>CPU seconds, memory and pids from the cgroup counters; zero where a counter is missing (a stopped sandbox).</summary>
    public static (double CpuSeconds, long MemoryBytes, long Pids) Counters(this SandboxCgroups cgroups) =>
        ((cgroups.ReadLong("cpuacct", "cpuacct.usage") ?? 0) / 1e9,
         cgroups.ReadLong("memory", "memory.usage_in_bytes") ?? 0,
         cgroups.ReadLong("pids", "pids.current") ?? 0);
}
