using System.Text.Json.Serialization;

namespace Sandbox.Client;

/// <summary>A sandbox's resource use (<c>GET /boxes/{name}/metrics</c>, local server extension).</summary>
public sealed class SandboxMetrics
{
    /// <summary>The sandbox's name (set by the client from the request; not on the wire).</summary>
    [JsonIgnore]
    public string Name { get; set; } = "";

    /// <summary>The same as <see cref="Name"/>, for pipeline binding to parameters named <c>SandboxName</c>.</summary>
    [JsonIgnore]
    public string SandboxName => Name;

    /// <summary>CPU time used by every process of the sandbox since it booted, in seconds.</summary>
    public double CpuSeconds { get; set; }

    /// <summary>Memory in use (page cache included), in bytes.</summary>
    public long MemoryBytes { get; set; }

    /// <summary>Processes and threads running.</summary>
    public long Pids { get; set; }

    /// <summary>Bytes the sandbox has written to its own filesystem layer.</summary>
    public long DiskBytes { get; set; }

    /// <summary><see cref="MemoryBytes"/> in MiB, for display.</summary>
    [JsonIgnore]
    public double MemoryMB => Math.Round(MemoryBytes / (1024.0 * 1024.0), 1);

    /// <summary><see cref="DiskBytes"/> in MiB, for display.</summary>
    [JsonIgnore]
    public double DiskMB => Math.Round(DiskBytes / (1024.0 * 1024.0), 1);

    /// <summary>The endpoint of the connection that returned it (set by the client; not on the wire).</summary>
    [JsonIgnore]
    public string? Endpoint { get; set; }

    /// <summary>The name.</summary>
    public override string ToString() => Name;
}
