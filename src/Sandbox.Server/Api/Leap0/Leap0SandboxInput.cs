using Sandbox.Server.Services;

namespace Sandbox.Server.Api.Leap0;

/// <summary>
/// leap0's create body, both generations: <c>memory</c> (MiB) / <c>timeout</c> (s) and the seed's <c>memory_mib</c> /
/// <c>timeout_min</c>, with leap0's ranges (vcpu 1-8, memory 512-8192 and even, timeout up to 8 h).
/// </summary>
public static class Leap0SandboxInput
{
    /// <summary>The template leap0's SDKs send when none is given; the local server runs it as its <c>base</c> template.</summary>
    public const string DefaultTemplate = "system/debian:bookworm";
    public const long DefaultMemoryMiB = 1024, DefaultTimeoutSeconds = 300;
    private const long MiB = 1L << 20;

    public static CreateSandboxRequest Create(JsonInput body)
    {
        var template = body.String("template_name") ?? DefaultTemplate;
        var vcpu = body.Integer("vcpu", 1, 8) ?? 1;
        var memory = OneOf(body, "memory", "memory_mib", 512, 8192, 1);
        if (memory is { } m && m % 2 != 0) body.Fail(body.Has("memory") ? "memory" : "memory_mib", "must be an even number of MiB between 512 and 8192");
        var timeout = OneOf(body, "timeout", "timeout_min", 1, 28800, 60);
        var autoPause = body.Bool("auto_pause") ?? false;
        var env = body.Environment("env_vars");
        if ((body.Bool("otel_export") ?? false) || (body.Bool("telemetry") ?? false))
            body.Fail(body.Has("otel_export") ? "otel_export" : "telemetry", "not supported by the local server: put OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_HEADERS into env_vars (the SDKs do)");
        if (body.Raw("mounts") is { ValueKind: System.Text.Json.JsonValueKind.Array } mounts && mounts.GetArrayLength() > 0)
            body.Fail("mounts", "object-storage mounts are not supported by the local server");
        RefuseTransforms(body);
        var network = NetworkPolicyInput.Read(body);
        body.ThrowIfInvalid();
        return new CreateSandboxRequest
        {
            TemplateName = LocalTemplate(template),
            Vcpus = vcpu,
            MemBytes = (memory ?? DefaultMemoryMiB) * MiB,
            TtlSeconds = timeout ?? DefaultTimeoutSeconds,
            AutoPause = autoPause,
            Env = env ?? [],
            NetworkPolicy = network,
        };
    }

    /// <summary><c>network_policy.transforms</c> (header injection): a 400 naming it, the local server has no proxy to inject with.</summary>
    public static void RefuseTransforms(JsonInput body)
    {
        if (body.Object("network_policy") is { } policy && policy.Raw("transforms") is { ValueKind: System.Text.Json.JsonValueKind.Array } t && t.GetArrayLength() > 0)
            policy.Fail("transforms", "request transforms (header injection) are not supported by the local server");
    }

    /// <summary>leap0's prefix of the templates it provides; the local built-ins are listed under it.</summary>
    public const string SystemPrefix = "system/";

    /// <summary>
    /// <c>system/debian:bookworm</c> is the local <c>base</c>, <c>system/NAME</c> the built-in NAME (<c>system/python</c>);
    /// any other name is a local template of that name.
    /// </summary>
    public static string LocalTemplate(string name) =>
        name == DefaultTemplate ? "base"
        : name.StartsWith(SystemPrefix, StringComparison.Ordinal) && TemplateCatalog.BuiltIns.ContainsKey(name[SystemPrefix.Length..]) ? name[SystemPrefix.Length..]
        : name;

    // The current generation's field, or the seed's (in its unit, times `scale`); both at once is refused.
    private static long? OneOf(JsonInput body, string current, string seed, long min, long max, long scale)
    {
        if (body.Has(current) && body.Has(seed)) body.Fail(seed, $"give one of {current} and {seed} ({seed} is the older name)");
        return body.Integer(current, min, max) ?? body.Integer(seed, (min + scale - 1) / scale, max / scale) * scale;
    }
}
