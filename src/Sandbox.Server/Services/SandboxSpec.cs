using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary>What a request sets of a sandbox's resources; null leaves the template's.</summary>
/// <param name="CpuMillicores">CPU quota in thousandths of a core (the current generation's <c>cpu_millicores</c>); wins over <paramref name="Vcpus"/>.</param>
public sealed record ResourceOverrides(long? Vcpus = null, long? MemBytes = null, long? FsCapacityBytes = null, long? CpuMillicores = null)
{
    public static readonly ResourceOverrides None = new();
}

/// <summary>
/// The resources a sandbox gets: the one place where a template's quantities become numbers (a cold create, a pool's
/// replica and a claim of one all go through <see cref="FromTemplate"/>, so they never disagree).
/// </summary>
/// <param name="Vcpus">Whole CPUs as reported: the request's, else the template's cpu rounded up (at least 1).</param>
/// <param name="CpuLimit">CPU quota in cores: the request's vcpus, else the template's cpu (which may be fractional).</param>
/// <param name="MemBytes">Memory limit.</param>
/// <param name="FsCapacityBytes">Size of the writable filesystem; null for the runtime's default.</param>
public sealed record SandboxSpec(int Vcpus, double CpuLimit, long MemBytes, long? FsCapacityBytes)
{
    public static SandboxSpec FromTemplate(TemplateRecord template, ResourceOverrides overrides)
    {
        Quantity.TryParse(template.Cpu, out var cpu);
        Quantity.TryParse(template.Memory, out var memory);
        long? storage = template.Storage is not null && Quantity.TryParse(template.Storage, out var s) ? (long)s : null;
        if (overrides.CpuMillicores is { } milli) cpu = milli / 1000.0;
        return new SandboxSpec(
            overrides.CpuMillicores is null && overrides.Vcpus is { } v ? (int)v : Math.Max(1, (int)Math.Ceiling(cpu)),
            overrides.CpuMillicores is null ? overrides.Vcpus ?? Math.Max(0.01, cpu) : cpu,
            overrides.MemBytes ?? (long)memory,
            overrides.FsCapacityBytes ?? storage);
    }
}
