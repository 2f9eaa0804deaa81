namespace SandboxModule;

/// <summary>
/// Lets a <c>-Sandbox</c> parameter take a sandbox object or a name: a string becomes a sandbox known only by its name
/// (fetched when it is used), so that <c>-Sandbox mybox</c> and binding by the property <c>Name</c> or <c>SandboxName</c> work.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class SandboxTransformationAttribute : ArgumentTransformationAttribute
{
    /// <summary>Converts a name to a sandbox; leaves everything else to the binder.</summary>
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value switch
        {
            Sandbox.Client.Sandbox => value,
            string name when !string.IsNullOrWhiteSpace(name) => new Sandbox.Client.Sandbox { Name = name.Trim() },
            _ => inputData,
        };
    }
}

/// <summary>
/// Lets a duration parameter take seconds (<c>600</c>), units (<c>10m</c>, <c>1h30m</c>, <c>2d</c>), <c>hh:mm:ss</c> or a
/// <see cref="TimeSpan"/> (a bare number is seconds, not ticks).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class DurationTransformationAttribute : ArgumentTransformationAttribute
{
    /// <summary>Converts the value to a <see cref="TimeSpan"/>.</summary>
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (value is null) return inputData!;
        // PowerShell reads an unquoted 2d as the decimal literal 2 (the d suffix means decimal), which would be 2 seconds.
        if (value is decimal)
            throw new ArgumentTransformationMetadataException($"'{value}' is a decimal number: PowerShell reads an unquoted number ending in d (2d) as a decimal, not as days. Quote the duration ('2d'), or give seconds (600) or another unit (90s, 10m, 1h30m)");
        if (DurationParser.TryParse(value, out var span)) return span;
        throw new ArgumentTransformationMetadataException($"'{value}' is not a duration: use seconds (600), a unit (90s, 10m, 1h30m, 2d) or hh:mm:ss");
    }
}

/// <summary>
/// The wire fields a parameter is sent as (<c>ttl_seconds</c> for -TimeToLive), so that a server's complaint about a field
/// is reported under the parameter the user typed (<see cref="SandboxCmdlet"/>'s error records).
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class WireFieldAttribute(params string[] fields) : Attribute
{
    /// <summary>The fields, dotted for nested ones (<c>network_policy.allow_cidrs</c>).</summary>
    public IReadOnlyList<string> Fields { get; } = fields;
}

/// <summary>
/// Where Get-Help -Online goes: each cmdlet's page in the repository, docs/cmdlets/&lt;Verb-Noun&gt;.md on main. The same
/// URL is the 'online version' of each page's front matter (and so the first link of the MAML); Help.Tests.ps1 holds the
/// two together and checks the file exists.
/// </summary>
internal static class HelpLinks
{
    /// <summary>The repository's docs/cmdlets folder on main; a cmdlet's HelpUri is this plus "&lt;Verb-Noun&gt;.md".</summary>
    public const string Base = "https://github.com/sandbox-module/Sandbox/blob/main/docs/cmdlets/";
}
