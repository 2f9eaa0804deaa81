using System.Xml.Linq;
using HelpBuilder;

namespace Sandbox.Module.Tests;

/// <summary>What Get-Help shows for every exported cmdlet: the markdown source and the staged MAML.</summary>
[Collection(StagedModuleCollection.Name)]
public sealed class HelpContractTests(StagedModule module)
{
    private static readonly XNamespace Maml = MamlWriter.MamlNs;
    private static readonly XNamespace Command = MamlWriter.CommandNs;

    /// <summary>Parameters PowerShell adds itself; docs may describe them (platyPS does) but need not.</summary>
    private static readonly string[] AddedByPowerShell = ["WhatIf", "Confirm", "ProgressAction"];

    private string MamlPath => Path.Combine(module.StageDir, "en-US", "SandboxModule.dll-Help.xml");

    private XDocument LoadMaml()
    {
        Assert.True(File.Exists(MamlPath), $"the MAML help {MamlPath} is not staged");
        try
        {
            return XDocument.Load(MamlPath);
        }
        catch (System.Xml.XmlException e)
        {
            Assert.Fail($"{MamlPath} is not well-formed XML: {e.Message}");
            throw;
        }
    }

    private static string Text(XElement? e) => e is null ? "" : string.Join(" ", e.Descendants(Maml + "para").Select(p => p.Value.Trim())).Trim();

    [Fact]
    public void Every_parameter_has_help_in_docs_cmdlets()
    {
        module.RequireLoaded();
        Assert.NotEmpty(module.ExportedCmdlets);
        var problems = new List<string>();
        int checkedParameters = 0;
        foreach (var name in module.ExportedCmdlets)
        {
            if (!module.Cmdlets.TryGetValue(name, out var cmdlet)) continue;
            string doc = Path.Combine(TestEnvironment.DocsDir, name + ".md");
            if (!File.Exists(doc))
            {
                problems.Add($"{name}: docs/cmdlets/{name}.md is missing");
                continue;
            }
            CommandHelp help;
            try
            {
                help = MarkdownHelpParser.ParseFile(doc, $"docs/cmdlets/{name}.md");
            }
            catch (HelpDocException e)
            {
                problems.AddRange(e.Errors.Select(x => $"{name}: {x}"));
                continue;
            }
            foreach (var p in cmdlet.Parameters.Where(p => !p.Hidden))
            {
                checkedParameters++;
                var ph = help.FindParameter(p.Name);
                if (ph is null) problems.Add($"{name} -{p.Name}: not described in docs/cmdlets/{name}.md (add '### -{p.Name}')");
                else if (ph.Description.All(d => d.Trim().Length == 0)) problems.Add($"{name} -{p.Name}: empty description in docs/cmdlets/{name}.md");
            }
            foreach (var ph in help.Parameters)
            {
                if (cmdlet.FindParameter(ph.Name) is null && !AddedByPowerShell.Contains(ph.Name, StringComparer.OrdinalIgnoreCase))
                    problems.Add($"{name}: docs/cmdlets/{name}.md describes -{ph.Name}, which the cmdlet does not have");
                if (ph.Name is "WhatIf" or "Confirm" && !cmdlet.SupportsShouldProcess)
                    problems.Add($"{name}: docs/cmdlets/{name}.md describes -{ph.Name} but the cmdlet does not support ShouldProcess");
            }
        }
        Assert.True(problems.Count == 0, "parameter help in docs/cmdlets:\n  " + string.Join("\n  ", problems));
        Assert.True(checkedParameters > 0, "no parameter was checked");
    }

    [Fact]
    public void Every_parameter_has_help_in_the_staged_MAML()
    {
        module.RequireLoaded();
        Assert.NotEmpty(module.ExportedCmdlets);
        var maml = LoadMaml();
        var problems = new List<string>();
        int checkedParameters = 0;
        foreach (var name in module.ExportedCmdlets)
        {
            if (!module.Cmdlets.TryGetValue(name, out var cmdlet)) continue;
            var command = FindCommand(maml, name);
            if (command is null)
            {
                problems.Add($"{name}: no <command:command> in {Path.GetFileName(MamlPath)}");
                continue;
            }
            var parameters = command.Element(Command + "parameters")?.Elements(Command + "parameter").ToList() ?? [];
            foreach (var p in cmdlet.Parameters.Where(p => !p.Hidden))
            {
                checkedParameters++;
                var mp = parameters.FirstOrDefault(x => string.Equals(x.Element(Maml + "name")?.Value.Trim(), p.Name, StringComparison.OrdinalIgnoreCase));
                if (mp is null) problems.Add($"{name} -{p.Name}: not in the MAML's <command:parameters>");
                else if (Text(mp.Element(Maml + "description")).Length == 0) problems.Add($"{name} -{p.Name}: empty description in the MAML");
            }
        }
        Assert.True(problems.Count == 0, "parameter help in the staged MAML:\n  " + string.Join("\n  ", problems));
        Assert.True(checkedParameters > 0, "no parameter was checked");
    }

    [Fact]
    public void Every_cmdlet_has_synopsis_description_and_an_example_in_the_MAML()
    {
        module.RequireLoaded();
        Assert.NotEmpty(module.ExportedCmdlets);
        var maml = LoadMaml();
        Assert.True(maml.Root?.Name.LocalName == "helpItems" && (string?)maml.Root.Attribute("schema") == "maml",
            $"{MamlPath}: the root is not <helpItems schema=\"maml\">");
        var problems = new List<string>();
        foreach (var name in module.ExportedCmdlets)
        {
            var command = FindCommand(maml, name);
            if (command is null)
            {
                problems.Add($"{name}: no <command:command>");
                continue;
            }
            if (Text(command.Element(Command + "details")?.Element(Maml + "description")).Length == 0) problems.Add($"{name}: no synopsis");
            if (Text(command.Element(Maml + "description")).Length == 0) problems.Add($"{name}: no description");
            var examples = command.Element(Command + "examples")?.Elements(Command + "example").ToList() ?? [];
            if (examples.Count == 0) problems.Add($"{name}: no example");
            else if (examples.Any(e => (e.Element(XName.Get("code", MamlWriter.DevNs))?.Value.Trim() ?? "").Length == 0)) problems.Add($"{name}: an example without code");
            if (command.Element(Command + "syntax")?.Elements(Command + "syntaxItem").Any() != true) problems.Add($"{name}: no syntax");
        }
        Assert.True(problems.Count == 0, "Get-Help content:\n  " + string.Join("\n  ", problems));
    }

    private static XElement? FindCommand(XDocument maml, string name) =>
        maml.Root?.Elements(Command + "command").FirstOrDefault(c =>
            string.Equals(c.Element(Command + "details")?.Element(Command + "name")?.Value.Trim(), name, StringComparison.OrdinalIgnoreCase));
}
