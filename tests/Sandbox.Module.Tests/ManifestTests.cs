namespace Sandbox.Module.Tests;

/// <summary>The staged manifest has what Import-Module and the PowerShell Gallery need.</summary>
[Collection(StagedModuleCollection.Name)]
public sealed class ManifestTests(StagedModule module)
{
    /// <summary>The product has well over 20 cmdlets; fewer means the list was cut (or the tests would pass vacuously).</summary>
    public const int MinimumCmdlets = 20;

    [Fact]
    public void Manifest_is_staged_and_parses()
    {
        module.RequireLoaded();
        Assert.NotEmpty(module.Manifest);
    }

    [Fact]
    public void RootModule_is_the_staged_cmdlet_assembly()
    {
        module.RequireLoaded();
        var root = module.Manifest.GetValueOrDefault("RootModule") as string;
        Assert.True(root == StagedModule.CmdletAssemblyFile, $"Sandbox.psd1: RootModule is '{root}', expected '{StagedModule.CmdletAssemblyFile}'");
        Assert.True(File.Exists(Path.Combine(module.StageDir, root!)), $"RootModule '{root}' is not in {module.StageDir}");
    }

    [Fact]
    public void CmdletsToExport_is_an_explicit_list_of_at_least_20_cmdlets()
    {
        module.RequireLoaded();
        Assert.True(module.Manifest.ContainsKey("CmdletsToExport"), "Sandbox.psd1 has no CmdletsToExport");
        var cmdlets = module.ExportedCmdlets;
        var problems = new List<string>();
        foreach (var name in cmdlets)
        {
            if (name.IndexOfAny(['*', '?', '[']) >= 0) problems.Add($"'{name}' is a wildcard; list every cmdlet by name");
            else if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z]+-[A-Za-z0-9]+$")) problems.Add($"'{name}' is not a Verb-Noun name");
        }
        foreach (var dup in cmdlets.GroupBy(c => c, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            problems.Add($"'{dup.Key}' is listed {dup.Count()} times");
        if (cmdlets.Count < MinimumCmdlets)
            problems.Add($"only {cmdlets.Count} cmdlet(s) exported ({string.Join(", ", cmdlets)}); the module has at least {MinimumCmdlets}");
        Assert.True(problems.Count == 0, "Sandbox.psd1 CmdletsToExport:\n  " + string.Join("\n  ", problems));
    }

    [Theory]
    [InlineData("FunctionsToExport")]
    [InlineData("AliasesToExport")]
    [InlineData("VariablesToExport")]
    public void Other_exports_are_not_wildcards(string key)
    {
        module.RequireLoaded();
        if (!module.Manifest.TryGetValue(key, out var value)) return;  // absent: nothing exported by a binary module
        var items = PowerShellDataFile.StringList(value) ?? [];
        Assert.True(!items.Any(i => i.Contains('*')), $"Sandbox.psd1: {key} = {string.Join(", ", items)}; a wildcard makes Import-Module slow and auto-loading unreliable");
    }

    [Fact]
    public void FormatsToProcess_points_at_staged_format_files()
    {
        module.RequireLoaded();
        var formats = PowerShellDataFile.StringList(module.Manifest.GetValueOrDefault("FormatsToProcess")) ?? [];
        Assert.True(formats.Count > 0, "Sandbox.psd1 has no FormatsToProcess (the output types need their table views)");
        foreach (var f in formats)
            Assert.True(File.Exists(Path.Combine(module.StageDir, f)), $"Sandbox.psd1: FormatsToProcess '{f}' is not staged in {module.StageDir}");
    }

    [Fact]
    public void PowerShellVersion_is_7_4_and_edition_is_Core()
    {
        module.RequireLoaded();
        Assert.True(module.Manifest.GetValueOrDefault("PowerShellVersion") as string == "7.4",
            $"Sandbox.psd1: PowerShellVersion is '{module.Manifest.GetValueOrDefault("PowerShellVersion")}', expected '7.4'");
        var editions = PowerShellDataFile.StringList(module.Manifest.GetValueOrDefault("CompatiblePSEditions")) ?? [];
        Assert.True(editions.Contains("Core", StringComparer.OrdinalIgnoreCase), $"Sandbox.psd1: CompatiblePSEditions is [{string.Join(", ", editions)}], expected Core");
    }

    [Fact]
    public void Gallery_metadata_is_complete()
    {
        module.RequireLoaded();
        var problems = new List<string>();
        foreach (var key in new[] { "ModuleVersion", "GUID", "Author", "Description" })
            if (module.Manifest.GetValueOrDefault(key) is not string { Length: > 0 }) problems.Add($"{key} is missing or empty");
        if (module.Manifest.GetValueOrDefault("ModuleVersion") is string v && !Version.TryParse(v, out _)) problems.Add($"ModuleVersion '{v}' is not a version");
        if (module.Manifest.GetValueOrDefault("GUID") is string g && !Guid.TryParse(g, out _)) problems.Add($"GUID '{g}' is not a GUID");

        var psData = (module.Manifest.GetValueOrDefault("PrivateData") as Dictionary<string, object?>)?.GetValueOrDefault("PSData") as Dictionary<string, object?>;
        if (psData is null)
        {
            problems.Add("PrivateData.PSData is missing");
        }
        else
        {
            var tags = PowerShellDataFile.StringList(psData.GetValueOrDefault("Tags")) ?? [];
            if (tags.Count == 0) problems.Add("PrivateData.PSData.Tags is empty");
            if (tags.Any(t => t.Contains(' '))) problems.Add($"PrivateData.PSData.Tags has a tag with a space ({string.Join(", ", tags.Where(t => t.Contains(' ')))}); the Gallery rejects it");
            foreach (var key in new[] { "ProjectUri", "LicenseUri" })
            {
                if (psData.GetValueOrDefault(key) is not string uri || !Uri.TryCreate(uri, UriKind.Absolute, out var u) || (u.Scheme != "https" && u.Scheme != "http"))
                    problems.Add($"PrivateData.PSData.{key} is not an absolute http(s) URI ('{psData.GetValueOrDefault(key)}')");
            }
        }
        Assert.True(problems.Count == 0, "Sandbox.psd1:\n  " + string.Join("\n  ", problems));
    }
}
