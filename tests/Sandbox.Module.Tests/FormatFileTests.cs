using System.Xml;
using System.Xml.Linq;

namespace Sandbox.Module.Tests;

/// <summary>The staged format file loads and names real types; the output types have views.</summary>
[Collection(StagedModuleCollection.Name)]
public sealed class FormatFileTests(StagedModule module)
{
    private IReadOnlyList<string> FormatFiles()
    {
        module.RequireLoaded();
        var files = PowerShellDataFile.StringList(module.Manifest.GetValueOrDefault("FormatsToProcess")) ?? [];
        Assert.True(files.Count > 0, "Sandbox.psd1 has no FormatsToProcess");
        return files.Select(f => Path.Combine(module.StageDir, f)).ToList();
    }

    private static XDocument Load(string path)
    {
        Assert.True(File.Exists(path), $"the format file {path} is not staged");
        try
        {
            return XDocument.Load(path);
        }
        catch (XmlException e)
        {
            Assert.Fail($"{path} is not well-formed XML: line {e.LineNumber}, column {e.LinePosition}: {e.Message}");
            throw;
        }
    }

    private static List<string> TypeNames(XDocument doc) =>
        doc.Descendants().Where(e => e.Name.LocalName == "TypeName").Select(e => e.Value.Trim()).ToList();

    [Fact]
    public void Format_file_is_well_formed_and_every_TypeName_exists()
    {
        var problems = new List<string>();
        int typeNames = 0;
        foreach (var path in FormatFiles())
        {
            var doc = Load(path);
            if (doc.Root?.Name.LocalName != "Configuration") problems.Add($"{Path.GetFileName(path)}: the root element is <{doc.Root?.Name.LocalName}>, expected <Configuration>");
            foreach (var name in TypeNames(doc))
            {
                typeNames++;
                if (module.FindType(name) is null)
                    problems.Add($"{Path.GetFileName(path)}: <TypeName>{name}</TypeName> is not a type in the staged assemblies ({string.Join(", ", module.StagedAssemblies.Select(a => a.GetName().Name))})");
            }
        }
        Assert.True(typeNames > 0, "the format file names no <TypeName>: the output types have no views");
        Assert.True(problems.Count == 0, "format file:\n  " + string.Join("\n  ", problems));
    }

    [Fact]
    public void Every_declared_output_type_of_the_module_has_a_view()
    {
        var named = FormatFiles().SelectMany(p => TypeNames(Load(p))).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var name in module.ExportedCmdlets)
        {
            if (!module.Cmdlets.TryGetValue(name, out var cmdlet)) continue;
            foreach (var output in cmdlet.OutputTypes)
            {
                var type = output.Type ?? module.FindType(output.Name);
                // Only the module's own types: System.String and friends format themselves.
                if (type is null || !module.StagedAssemblies.Any(a => a.FullName == type.Assembly.FullName)) continue;
                if (!named.Contains(type.FullName!))
                    problems.Add($"{name}: output type {type.FullName} has no view in the format file");
            }
        }
        Assert.True(problems.Count == 0, "views:\n  " + string.Join("\n  ", problems.Distinct()));
    }
}
