namespace Sandbox.Server.Services;

/// <summary>Bounds on what a sandbox may ask for.</summary>
public static class Limits
{
    public const long MinMemoryBytes = 64L << 20;
    public const int MaxVcpus = 64;

    /// <summary>The host's physical memory: no sandbox may be promised more.</summary>
    public static readonly long HostMemoryBytes = ReadHostMemory();

    private static long ReadHostMemory()
    {
        foreach (var line in File.ReadLines("/proc/meminfo"))
            if (line.StartsWith("MemTotal:"))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return 1L << 40;
    }
}
