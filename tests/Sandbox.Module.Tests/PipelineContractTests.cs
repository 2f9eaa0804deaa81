namespace Sandbox.Module.Tests;

/// <summary>
/// The chains users type bind: from a declared [OutputType] of the first cmdlet to a parameter of the second, by
/// value (a ValueFromPipeline parameter whose type is assignable from the output type) or by property name (a
/// ValueFromPipelineByPropertyName parameter whose name or [Alias] is a public property of the output type).
/// </summary>
[Collection(StagedModuleCollection.Name)]
public sealed class PipelineContractTests(StagedModule module, Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>Parameter types that accept anything: binding to them by value proves nothing about the chain.</summary>
    private static readonly string[] CatchAllTypes = ["System.Object", "System.Management.Automation.PSObject"];

    public static TheoryData<string, string, string> Chains => new()
    {
        // first cmdlet, second cmdlet, the parameters of the second that may receive the object (module-design.md)
        { "New-Sandbox", "Invoke-SandboxCommand", "Sandbox,Name,SandboxName" },
        { "Get-Sandbox", "Remove-Sandbox", "Name,Sandbox,InputObject,SandboxName" },
        { "Get-Sandbox", "Stop-Sandbox", "Name,Sandbox,InputObject,SandboxName" },
        { "Get-Sandbox", "Suspend-Sandbox", "Name,InputObject,SandboxName" },
        { "Get-Sandbox", "Resume-Sandbox", "Name,InputObject,SandboxName" },
        { "Get-Sandbox", "Get-SandboxMetric", "Name,InputObject,SandboxName" },
        { "Get-SandboxTemplate", "New-Sandbox", "Template,TemplateName" },
        { "New-Sandbox", "Copy-SandboxItem", "Sandbox,Name,SandboxName" },
        { "Get-Sandbox", "Enter-Sandbox", "Sandbox,Name,SandboxName" },
    };

    [Theory]
    [MemberData(nameof(Chains))]
    public void Pipeline_binds(string first, string second, string intendedTargets)
    {
        module.RequireLoaded();
        string chain = $"{first} | {second}";
        Assert.True(module.Cmdlets.TryGetValue(first, out var from), $"{chain}: no cmdlet {first} in {StagedModule.CmdletAssemblyFile}");
        Assert.True(module.Cmdlets.TryGetValue(second, out var to), $"{chain}: no cmdlet {second} in {StagedModule.CmdletAssemblyFile}");
        Assert.True(from!.OutputTypes.Count > 0, $"{chain}: {first} declares no [OutputType], so nothing is known to bind");

        var intended = intendedTargets.Split(',');
        var bindings = new List<string>();
        var wrong = new List<string>();
        var unresolved = new List<string>();
        foreach (var declared in from.OutputTypes)
        {
            var type = declared.Type ?? module.FindType(declared.Name);
            if (type is null)
            {
                unresolved.Add(declared.Name);
                continue;
            }
            foreach (var binding in Bindings(type, to!))
            {
                if (intended.Any(i => binding.Parameter.Answers(i))) bindings.Add($"{type.FullName} -> -{binding.Parameter.Name} {binding.How}");
                else wrong.Add($"{type.FullName} -> -{binding.Parameter.Name} {binding.How}");
            }
        }

        foreach (var b in bindings) output.WriteLine($"{chain}: {b}");
        Assert.True(bindings.Count > 0,
            $"{chain} does not bind: no declared output type of {first} [{string.Join(", ", from.OutputTypes.Select(o => o.Name))}] " +
            $"binds to {second} -{string.Join("/-", intended)} by value or by property name." +
            (wrong.Count > 0 ? $"\nIt would bind only to the wrong parameter(s): {string.Join("; ", wrong)}" : "") +
            (unresolved.Count > 0 ? $"\nOutput types not found in the staged assemblies: {string.Join(", ", unresolved)}" : "") +
            $"\n{second}'s pipeline parameters: {Describe(to!)}" +
            $"\nproperties of the output type: {string.Join(", ", from.OutputTypes.Select(o => o.Type ?? module.FindType(o.Name)).OfType<Type>().SelectMany(PublicProperties).Distinct())}");
    }

    private sealed record Binding(ParameterModel Parameter, string How);

    private static IEnumerable<Binding> Bindings(Type output, CmdletModel to)
    {
        var properties = PublicProperties(output).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var p in to.Parameters)
        {
            if (p.ValueFromPipeline)
            {
                var target = p.Type.IsArray ? p.Type.GetElementType()! : p.Type;
                if (!CatchAllTypes.Contains(target.FullName) && target.IsAssignableFrom(output))
                    yield return new Binding(p, "by value");
            }
            if (p.ValueFromPipelineByPropertyName)
            {
                var match = p.Aliases.Prepend(p.Name).FirstOrDefault(properties.Contains);
                if (match is not null) yield return new Binding(p, $"by property name ({output.Name}.{match})");
            }
        }
    }

    private static IEnumerable<string> PublicProperties(Type t)
    {
        var names = new List<string>();
        for (var x = t; x is not null && x.FullName != "System.Object"; x = x.BaseType)
            names.AddRange(x.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.DeclaredOnly)
                .Where(pi => pi.GetMethod is { IsPublic: true }).Select(pi => pi.Name));
        return names.Distinct();
    }

    private static string Describe(CmdletModel c)
    {
        var ps = c.Parameters.Where(p => p.ValueFromPipeline || p.ValueFromPipelineByPropertyName)
            .Select(p => $"-{p.Name} [{p.Type.Name}]" +
                         (p.ValueFromPipeline ? " ByValue" : "") +
                         (p.ValueFromPipelineByPropertyName ? " ByPropertyName" : "") +
                         (p.Aliases.Count > 0 ? $" (aliases {string.Join(", ", p.Aliases)})" : ""))
            .ToList();
        return ps.Count == 0 ? "none" : string.Join("; ", ps);
    }
}
