using System.Reflection;
using System.Runtime.InteropServices;

namespace Sandbox.Module.Tests;

/// <summary>
/// The module as staged in out/Sandbox, read without running it: the manifest parsed as data and the cmdlet
/// assembly inspected through a <see cref="MetadataLoadContext"/> (the runtime's assemblies + the staged folder
/// + PowerShellStandard.Library's reference System.Management.Automation.dll). Loaded once for all tests; a
/// problem loading it is kept in <see cref="LoadError"/> so that every test fails with that message instead of
/// crashing.
/// </summary>
public sealed class StagedModule : IDisposable
{
    public const string ManifestFile = "Sandbox.psd1";
    public const string CmdletAssemblyFile = "SandboxModule.dll";

    private readonly MetadataLoadContext? _context;

    public string StageDir { get; } = TestEnvironment.StageDir;
    public string? LoadError { get; }
    public Dictionary<string, object?> Manifest { get; } = new(StringComparer.OrdinalIgnoreCase);
    public IReadOnlyList<string> ExportedCmdlets { get; } = [];
    public Assembly? CmdletAssembly { get; }
    public IReadOnlyList<Assembly> StagedAssemblies { get; } = [];
    /// <summary>Every public class with [Cmdlet] in the cmdlet assembly, by Verb-Noun.</summary>
    public IReadOnlyDictionary<string, CmdletModel> Cmdlets { get; } = new Dictionary<string, CmdletModel>();

    public StagedModule()
    {
        var problems = new List<string>();
        string manifestPath = Path.Combine(StageDir, ManifestFile);
        string dllPath = Path.Combine(StageDir, CmdletAssemblyFile);
        if (!Directory.Exists(StageDir))
        {
            LoadError = $"The module is not staged: {StageDir} does not exist. Build src/SandboxModule (its Module.targets stages out/Sandbox).";
            return;
        }
        if (!File.Exists(manifestPath)) problems.Add($"{manifestPath} is missing");
        if (!File.Exists(dllPath)) problems.Add($"{dllPath} is missing");
        string? smaDir = TestEnvironment.PowerShellStandardDir;
        if (smaDir is null) problems.Add("PowerShellStandard.Library 5.1.0-preview-06 (System.Management.Automation.dll) is not in the NuGet package cache; run dotnet restore");
        if (problems.Count > 0)
        {
            LoadError = "The staged module cannot be inspected: " + string.Join("; ", problems) + ".";
            return;
        }

        try
        {
            Manifest = PowerShellDataFile.ParseFile(manifestPath);
            ExportedCmdlets = PowerShellDataFile.StringList(Manifest.GetValueOrDefault("CmdletsToExport")) ?? [];
        }
        catch (FormatException e)
        {
            LoadError = $"{manifestPath} does not parse as a PowerShell data file: {e.Message}";
            return;
        }

        try
        {
            var paths = new List<string>();
            paths.AddRange(Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll"));
            paths.AddRange(Directory.GetFiles(StageDir, "*.dll"));
            paths.Add(Path.Combine(smaDir!, "System.Management.Automation.dll"));
            // The staged folder and SMA win over a runtime assembly of the same name.
            var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var path in paths) byName[Path.GetFileNameWithoutExtension(path)] = path;
            _context = new MetadataLoadContext(new PathAssemblyResolver(byName.Values), "System.Runtime");
            CmdletAssembly = _context.LoadFromAssemblyPath(dllPath);
            StagedAssemblies = Directory.GetFiles(StageDir, "*.dll").Select(_context.LoadFromAssemblyPath).ToList();

            var cmdlets = new Dictionary<string, CmdletModel>(StringComparer.OrdinalIgnoreCase);
            foreach (var type in CmdletAssembly.GetTypes())
            {
                var model = CmdletModel.TryCreate(type);
                if (model is null) continue;
                if (!cmdlets.TryAdd(model.Name, model))
                    problems.Add($"two classes declare [Cmdlet] {model.Name}: {cmdlets[model.Name].Type.FullName} and {type.FullName}");
            }
            Cmdlets = cmdlets;
            if (problems.Count > 0) LoadError = string.Join("; ", problems);
        }
        catch (Exception e)
        {
            // Any failure here must fail the tests with this message, not crash the fixture.
            LoadError = $"Reading {dllPath} with MetadataLoadContext failed: {e.GetType().Name}: {e.Message}\n{e.StackTrace}";
        }
    }

    /// <summary>Fails the calling test with the load problem, if there is one.</summary>
    public void RequireLoaded()
    {
        if (LoadError is not null) Assert.Fail(LoadError);
    }

    /// <summary>A type by full name from any staged assembly (or SMA / the runtime through the resolver).</summary>
    public Type? FindType(string fullName)
    {
        foreach (var assembly in StagedAssemblies)
        {
            var t = assembly.GetType(fullName, throwOnError: false, ignoreCase: false);
            if (t is not null) return t;
        }
        return null;
    }

    public void Dispose() => _context?.Dispose();
}

[CollectionDefinition(Name)]
public sealed class StagedModuleCollection : ICollectionFixture<StagedModule>
{
    public const string Name = "staged module";
}

/// <summary>What PowerShell would see of a cmdlet class: its [Cmdlet], [OutputType] and parameters.</summary>
public sealed class CmdletModel
{
    public required Type Type { get; init; }
    public required string Verb { get; init; }
    public required string Noun { get; init; }
    public string Name => $"{Verb}-{Noun}";
    public bool SupportsShouldProcess { get; init; }
    /// <summary>ConfirmImpact as its name (None, Low, Medium, High); PowerShell's default is Medium.</summary>
    public string ConfirmImpact { get; init; } = "Medium";
    public string? DefaultParameterSetName { get; init; }
    public IReadOnlyList<OutputTypeModel> OutputTypes { get; init; } = [];
    public IReadOnlyList<ParameterModel> Parameters { get; init; } = [];

    public ParameterModel? FindParameter(string name) =>
        Parameters.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    private static readonly string[] ConfirmImpactNames = ["None", "Low", "Medium", "High"];

    public static CmdletModel? TryCreate(Type type)
    {
        var cmdlet = type.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == "System.Management.Automation.CmdletAttribute");
        if (cmdlet is null) return null;
        string verb = cmdlet.ConstructorArguments.ElementAtOrDefault(0).Value as string ?? "";
        string noun = cmdlet.ConstructorArguments.ElementAtOrDefault(1).Value as string ?? "";
        bool shouldProcess = Named(cmdlet, "SupportsShouldProcess") is true;
        string impact = Named(cmdlet, "ConfirmImpact") is { } v && Convert.ToInt32(v) is var i && i >= 0 && i < ConfirmImpactNames.Length
            ? ConfirmImpactNames[i]
            : "Medium";

        var outputs = new List<OutputTypeModel>();
        foreach (var attr in type.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "System.Management.Automation.OutputTypeAttribute"))
        {
            var sets = Named(attr, "ParameterSetName") is IEnumerable<CustomAttributeTypedArgument> s
                ? s.Select(x => x.Value as string ?? "").ToList()
                : [];
            foreach (var arg in attr.ConstructorArguments)
            {
                var values = arg.Value is IEnumerable<CustomAttributeTypedArgument> many ? many.Select(m => m.Value) : [arg.Value];
                foreach (var value in values)
                {
                    if (value is Type t) outputs.Add(new OutputTypeModel(t.FullName ?? t.Name, t, sets));
                    else if (value is string name) outputs.Add(new OutputTypeModel(name, null, sets));
                }
            }
        }

        return new CmdletModel
        {
            Type = type,
            Verb = verb,
            Noun = noun,
            SupportsShouldProcess = shouldProcess,
            ConfirmImpact = impact,
            DefaultParameterSetName = Named(cmdlet, "DefaultParameterSetName") as string,
            OutputTypes = outputs,
            Parameters = ParameterModel.Read(type),
        };
    }

    internal static object? Named(CustomAttributeData attr, string name)
    {
        foreach (var n in attr.NamedArguments)
            if (n.MemberName == name) return n.TypedValue.Value;
        return null;
    }
}

public sealed record OutputTypeModel(string Name, Type? Type, IReadOnlyList<string> ParameterSets);

/// <summary>One [Parameter] attribute of a parameter: its set and how it binds there.</summary>
public sealed record ParameterSetModel(string SetName, bool Mandatory, int Position, bool ValueFromPipeline, bool ValueFromPipelineByPropertyName, string? HelpMessage);

public sealed class ParameterModel
{
    public required string Name { get; init; }
    public required Type Type { get; init; }
    public required IReadOnlyList<string> Aliases { get; init; }
    public required IReadOnlyList<ParameterSetModel> Sets { get; init; }
    public required string DeclaringType { get; init; }
    /// <summary>True when every [Parameter] of it says DontShow: a binding device users never type, so it has no help.</summary>
    public bool Hidden { get; init; }

    public bool ValueFromPipeline => Sets.Any(s => s.ValueFromPipeline);
    public bool ValueFromPipelineByPropertyName => Sets.Any(s => s.ValueFromPipelineByPropertyName);
    public bool IsSwitch => Type.FullName == "System.Management.Automation.SwitchParameter";

    public bool Answers(string name) =>
        string.Equals(Name, name, StringComparison.OrdinalIgnoreCase) || Aliases.Any(a => string.Equals(a, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Public instance properties and fields with [Parameter], the most derived declaration winning.</summary>
    public static IReadOnlyList<ParameterModel> Read(Type type)
    {
        var result = new List<ParameterModel>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var t = type; t is not null && t.FullName != "System.Object"; t = t.BaseType)
        {
            var members = t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Cast<MemberInfo>()
                .Concat(t.GetFields(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly));
            foreach (var member in members)
            {
                var attrs = member.GetCustomAttributesData();
                var parameterAttrs = attrs.Where(a => a.AttributeType.FullName == "System.Management.Automation.ParameterAttribute").ToList();
                if (parameterAttrs.Count == 0 || !seen.Add(member.Name)) continue;
                var aliases = attrs
                    .Where(a => a.AttributeType.FullName == "System.Management.Automation.AliasAttribute")
                    .SelectMany(a => a.ConstructorArguments)
                    .SelectMany(arg => arg.Value is IEnumerable<CustomAttributeTypedArgument> many ? many.Select(m => m.Value as string) : [arg.Value as string])
                    .OfType<string>()
                    .ToList();
                var sets = parameterAttrs.Select(a => new ParameterSetModel(
                    CmdletModel.Named(a, "ParameterSetName") as string ?? "__AllParameterSets",
                    CmdletModel.Named(a, "Mandatory") is true,
                    CmdletModel.Named(a, "Position") is int p ? p : int.MinValue,
                    CmdletModel.Named(a, "ValueFromPipeline") is true,
                    CmdletModel.Named(a, "ValueFromPipelineByPropertyName") is true,
                    CmdletModel.Named(a, "HelpMessage") as string)).ToList();
                result.Add(new ParameterModel
                {
                    Name = member.Name,
                    Type = member is PropertyInfo pi ? pi.PropertyType : ((FieldInfo)member).FieldType,
                    Aliases = aliases,
                    Sets = sets,
                    DeclaringType = t.FullName ?? t.Name,
                    Hidden = parameterAttrs.All(a => CmdletModel.Named(a, "DontShow") is true),
                });
            }
        }
        return result;
    }
}
