using System.Xml.Linq;
using HelpBuilder;

namespace Sandbox.Module.Tests;

/// <summary>tools/HelpBuilder: platyPS markdown in, MAML out; malformed docs fail naming file and section.</summary>
public sealed class HelpBuilderTests
{
    private static readonly XNamespace Maml = MamlWriter.MamlNs;
    private static readonly XNamespace Cmd = MamlWriter.CommandNs;
    private static readonly XNamespace Dev = MamlWriter.DevNs;

    private static string FixtureDir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "help");
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(FixtureDir, name));

    private static XElement BuildCommand(string fixture)
    {
        var help = MarkdownHelpParser.Parse(Fixture(fixture), fixture, Path.GetFileNameWithoutExtension(fixture));
        var doc = XDocument.Parse(MamlWriter.Render([help]));
        return doc.Root!.Element(Cmd + "command")!;
    }

    private static XElement Param(XElement parent, string name) =>
        parent.Elements(Cmd + "parameter").Single(p => p.Element(Maml + "name")!.Value == name);

    private static string Paras(XElement? e) => string.Join("|", e!.Elements(Maml + "para").Select(p => p.Value));

    // ------------------------------------------------------------------ the MAML shape

    [Fact]
    public void Renders_helpItems_with_one_command_per_doc_sorted()
    {
        var a = MarkdownHelpParser.Parse(Fixture("Remove-Widget.md"), "Remove-Widget.md", "Remove-Widget");
        var b = MarkdownHelpParser.Parse(Fixture("Get-Sandbox.md"), "Get-Sandbox.md", "Get-Sandbox");
        var doc = XDocument.Parse(MamlWriter.Render([a, b]));
        Assert.Equal("helpItems", doc.Root!.Name.LocalName);
        Assert.Equal("maml", (string?)doc.Root.Attribute("schema"));
        Assert.Equal(["Get-Sandbox", "Remove-Widget"],
            doc.Root.Elements(Cmd + "command").Select(c => c.Element(Cmd + "details")!.Element(Cmd + "name")!.Value));
    }

    [Fact]
    public void Details_hold_name_verb_noun_and_synopsis()
    {
        var c = BuildCommand("Get-Sandbox.md");
        var details = c.Element(Cmd + "details")!;
        Assert.Equal("Get-Sandbox", details.Element(Cmd + "name")!.Value);
        Assert.Equal("Get", details.Element(Cmd + "verb")!.Value);
        Assert.Equal("Sandbox", details.Element(Cmd + "noun")!.Value);
        Assert.Equal("Gets sandboxes.", Paras(details.Element(Maml + "description")));
    }

    [Fact]
    public void Description_is_plain_text_paragraphs()
    {
        var c = BuildCommand("Get-Sandbox.md");
        var paras = c.Element(Maml + "description")!.Elements(Maml + "para").Select(p => p.Value).ToList();
        Assert.Equal("The Get-Sandbox cmdlet gets sandboxes from the server.", paras[0]);   // ** gone, soft break joined
        Assert.Equal("It accepts wildcards:\n- `*` matches anything\n- `?` matches one character", paras[1]);  // list lines kept
    }

    [Fact]
    public void Syntax_has_one_item_per_parameter_set_default_first_with_its_parameters()
    {
        var c = BuildCommand("Get-Sandbox.md");
        var items = c.Element(Cmd + "syntax")!.Elements(Cmd + "syntaxItem").ToList();
        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.Equal("Get-Sandbox", i.Element(Maml + "name")!.Value));
        Assert.Equal(["Name", "Status", "Connection"], items[0].Elements(Cmd + "parameter").Select(p => p.Element(Maml + "name")!.Value));
        Assert.Equal(["InputObject", "Connection"], items[1].Elements(Cmd + "parameter").Select(p => p.Element(Maml + "name")!.Value));

        var name = Param(items[0], "Name");
        Assert.Equal("false", (string?)name.Attribute("required"));
        Assert.Equal("0", (string?)name.Attribute("position"));
        Assert.Equal("true", (string?)name.Attribute("globbing"));
        Assert.Equal("True (ByPropertyName)", (string?)name.Attribute("pipelineInput"));
        Assert.Equal("SandboxName", (string?)name.Attribute("aliases"));
        Assert.Equal("String[]", name.Element(Cmd + "parameterValue")!.Value);
        Assert.Equal("String[]", name.Element(Dev + "type")!.Element(Maml + "name")!.Value);

        var status = Param(items[0], "Status");
        Assert.Equal("named", (string?)status.Attribute("position"));
        Assert.Equal("none", (string?)status.Attribute("aliases"));
        Assert.Equal(["Running", "Stopped"], status.Element(Cmd + "parameterValueGroup")!.Elements(Cmd + "parameterValue").Select(v => v.Value));

        Assert.Equal("true", (string?)Param(items[1], "InputObject").Attribute("required"));
        Assert.Equal("True (ByValue)", (string?)Param(items[1], "InputObject").Attribute("pipelineInput"));
    }

    [Fact]
    public void Single_set_syntax_and_switches_render_as_platyPS_does()
    {
        var c = BuildCommand("Remove-Widget.md");
        var item = Assert.Single(c.Element(Cmd + "syntax")!.Elements(Cmd + "syntaxItem"));
        Assert.Equal(["Name", "Force", "WhatIf", "Confirm"], item.Elements(Cmd + "parameter").Select(p => p.Element(Maml + "name")!.Value));
        // In syntax a switch has no value (Get-Help prints [-Force]); in the parameter list it is a SwitchParameter.
        Assert.Null(Param(item, "Force").Element(Cmd + "parameterValue"));
        var force = Param(c.Element(Cmd + "parameters")!, "Force");
        Assert.Equal("SwitchParameter", force.Element(Cmd + "parameterValue")!.Value);
        Assert.Equal("False", force.Element(Dev + "defaultValue")!.Value);
        Assert.Equal("cf", (string?)Param(item, "Confirm").Attribute("aliases"));
        Assert.Equal("True (ByPropertyName, ByValue)", (string?)Param(item, "Name").Attribute("pipelineInput"));
    }

    [Fact]
    public void Parameters_list_every_parameter_once_with_description_type_and_default()
    {
        var c = BuildCommand("Get-Sandbox.md");
        var ps = c.Element(Cmd + "parameters")!.Elements(Cmd + "parameter").ToList();
        Assert.Equal(["Name", "Status", "InputObject", "Connection"], ps.Select(p => p.Element(Maml + "name")!.Value));
        Assert.Equal("The names of the sandboxes. Wildcards are allowed.", Paras(Param(c.Element(Cmd + "parameters")!, "Name").Element(Maml + "description")));
        Assert.Equal("@{}", Param(c.Element(Cmd + "parameters")!, "Connection").Element(Dev + "defaultValue")!.Value);
        Assert.Equal("None", Param(c.Element(Cmd + "parameters")!, "Name").Element(Dev + "defaultValue")!.Value);
        Assert.Equal("true", (string?)Param(c.Element(Cmd + "parameters")!, "InputObject").Attribute("required"));
    }

    [Fact]
    public void Inputs_outputs_notes_examples_and_links()
    {
        var c = BuildCommand("Get-Sandbox.md");
        var input = Assert.Single(c.Element(Cmd + "inputTypes")!.Elements(Cmd + "inputType"));
        Assert.Equal("System.String[]", input.Element(Dev + "type")!.Element(Maml + "name")!.Value);
        Assert.Equal("Names.", Paras(input.Element(Maml + "description")));
        var output = Assert.Single(c.Element(Cmd + "returnValues")!.Elements(Cmd + "returnValue"));
        Assert.Equal("Sandbox.Client.Sandbox", output.Element(Dev + "type")!.Element(Maml + "name")!.Value);
        Assert.Equal("Needs a server.", Paras(c.Element(Maml + "alertSet")!.Element(Maml + "alert")));

        var examples = c.Element(Cmd + "examples")!.Elements(Cmd + "example").ToList();
        Assert.Equal(2, examples.Count);
        Assert.Contains("Example 1: Get all sandboxes", examples[0].Element(Maml + "title")!.Value);
        Assert.Equal("PS> Get-Sandbox", examples[0].Element(Dev + "code")!.Value);
        Assert.Equal("Gets every sandbox.", Paras(examples[0].Element(Dev + "remarks")));

        var links = c.Element(Maml + "relatedLinks")!.Elements(Maml + "navigationLink").ToList();
        Assert.Equal(["Online Version:", "Remove-Sandbox", "about_Sandbox"], links.Select(l => l.Element(Maml + "linkText")!.Value));
        Assert.Equal("https://example.invalid/Get-Sandbox", links[0].Element(Maml + "uri")!.Value);
        Assert.Equal("", links[1].Element(Maml + "uri")!.Value);   // a relative .md link means nothing to Get-Help
    }

    [Fact]
    public void Text_is_escaped_not_interpreted()
    {
        var c = BuildCommand("Remove-Widget.md");
        Assert.Equal("Removes a widget & its parts <for good>.", Paras(c.Element(Maml + "description")));
    }

    // ------------------------------------------------------------------ malformed docs

    private static HelpDocException Broken(string fixture, Func<string, string> edit, string file = "docs/cmdlets/Get-Sandbox.md")
    {
        string text = edit(Fixture(fixture));
        return Assert.Throws<HelpDocException>(() => MarkdownHelpParser.Parse(text, file, Path.GetFileNameWithoutExtension(fixture)));
    }

    private static void AssertError(HelpDocException e, string section, string messagePart)
    {
        Assert.True(e.Errors.Any(x => x.Section == section && x.Message.Contains(messagePart, StringComparison.OrdinalIgnoreCase)),
            $"expected an error in [{section}] containing '{messagePart}', got:\n{e.Message}");
        Assert.All(e.Errors, x => Assert.Equal("docs/cmdlets/Get-Sandbox.md", x.File));
    }

    [Fact]
    public void Missing_required_section_names_file_and_section()
    {
        var e = Broken("Get-Sandbox.md", t => t.Replace("## DESCRIPTION\n", "## DESCRIPTON\n"));
        AssertError(e, "DESCRIPTION", "missing required section '## DESCRIPTION'");
        AssertError(e, "DESCRIPTON", "unknown section");
        Assert.Contains("docs/cmdlets/Get-Sandbox.md(", e.Message);
        Assert.Contains("error HELP001: [DESCRIPTION]", e.Message);
    }

    [Theory]
    [InlineData("SYNOPSIS")]
    [InlineData("SYNTAX")]
    [InlineData("EXAMPLES")]
    [InlineData("PARAMETERS")]
    [InlineData("INPUTS")]
    [InlineData("OUTPUTS")]
    public void Each_required_section_is_required(string section)
    {
        var e = Broken("Get-Sandbox.md", t => t.Replace($"## {section}\n", "## NOTES2\n"));
        AssertError(e, section, $"missing required section '## {section}'");
    }

    [Fact]
    public void Empty_synopsis_is_an_error()
    {
        var e = Broken("Get-Sandbox.md", t => t.Replace("Gets sandboxes.\n", ""));
        AssertError(e, "SYNOPSIS", "empty");
    }

    [Fact]
    public void Placeholder_left_by_platyPS_is_an_error()
    {
        var e = Broken("Get-Sandbox.md", t => t.Replace("Only sandboxes in this state.", "{{ Fill Status Description }}"));
        AssertError(e, "PARAMETERS / -Status", "placeholder");
    }

    [Fact]
    public void Examples_need_code()
    {
        var e = Broken("Get-Sandbox.md", t => t.Replace("```powershell\nPS> Get-Sandbox\n```\n", "Just text.\n"));
        AssertError(e, "EXAMPLES / Example 1: Get all sandboxes", "no code block");
    }

    [Fact]
    public void Parameter_without_description_is_an_error()
    {
        var e = Broken("Get-Sandbox.md", t => t.Replace("A sandbox to refresh.\n", ""));
        AssertError(e, "PARAMETERS / -InputObject", "has no description");
    }

    [Fact]
    public void Parameter_yaml_missing_a_key_is_an_error()
    {
        var e = Broken("Get-Sandbox.md", t => t.Replace("Position: 0\n", ""));
        AssertError(e, "PARAMETERS / -Name", "no 'Position:' line");
    }

    [Theory]
    [InlineData("Accept pipeline input: True (ByPropertyName)", "Accept pipeline input: Sometimes", "Accept pipeline input")]
    [InlineData("Position: 0", "Position: first", "Position: first")]
    [InlineData("Accept wildcard characters: True", "Accept wildcard characters: maybe", "Accept wildcard characters")]
    [InlineData("Required: True", "Required: perhaps", "Required: perhaps")]
    [InlineData("Type: String[]", "Type: String[]\nColour: blue", "unknown yaml key 'Colour'")]
    [InlineData("Parameter Sets: ByName\nAliases: SandboxName", "Parameter Sets: ByNam\nAliases: SandboxName", "parameter set 'ByNam'")]
    public void Malformed_parameter_yaml_names_the_parameter(string from, string to, string messagePart)
    {
        var e = Broken("Get-Sandbox.md", t => ReplaceFirst(t, from, to));
        Assert.True(e.Errors.Any(x => x.Section.StartsWith("PARAMETERS / -") && x.Message.Contains(messagePart)), e.Message);
    }

    [Fact]
    public void Syntax_showing_an_undescribed_parameter_is_an_error()
    {
        var e = Broken("Get-Sandbox.md", t => t.Replace("[-Status <String>]", "[-Status <String>] [-Colour <String>]"));
        AssertError(e, "SYNTAX / ByName", "-Colour");
    }

    [Fact]
    public void Syntax_for_another_command_is_an_error()
    {
        var e = Broken("Get-Sandbox.md", t => t.Replace("Get-Sandbox -InputObject", "Get-Sandboxes -InputObject"));
        AssertError(e, "SYNTAX / ByInputObject", "should start with 'Get-Sandbox'");
    }

    [Fact]
    public void Duplicate_parameter_is_an_error()
    {
        var e = Broken("Get-Sandbox.md", t => t.Replace("### -Connection\n", "### -Status\n"));
        AssertError(e, "PARAMETERS / -Status", "described twice");
    }

    [Fact]
    public void Front_matter_is_checked()
    {
        AssertError(Broken("Get-Sandbox.md", t => t.Replace("schema: 2.0.0", "schema: 1.0.0")), "front matter", "not supported");
        AssertError(Broken("Get-Sandbox.md", t => t.Replace("Module Name: Sandbox\n", "")), "front matter", "Module Name");
        AssertError(Broken("Get-Sandbox.md", t => t[t.IndexOf("# Get-Sandbox", StringComparison.Ordinal)..]), "front matter", "must start with a '---'");
        AssertError(Broken("Get-Sandbox.md", t => t.Replace("Module Name: Sandbox", "Module Name: [Sandbox")), "front matter", "not valid YAML");
    }

    [Fact]
    public void Title_must_match_the_file()
    {
        var e = Broken("Get-Sandbox.md", t => t.Replace("# Get-Sandbox\n", "# Get-Sandboxes\n"));
        AssertError(e, "title", "does not match the file name");
    }

    [Fact]
    public void Unclosed_code_block_is_an_error()
    {
        var e = Broken("Get-Sandbox.md", t => t[..t.LastIndexOf("```", StringComparison.Ordinal)]);
        Assert.Contains(e.Errors, x => x.Message.Contains("never closed"));
    }

    [Fact]
    public void Errors_carry_line_numbers()
    {
        var e = Broken("Get-Sandbox.md", t => t.Replace("Position: Named\nDefault value: @{}", "Position: later\nDefault value: @{}"));
        var error = Assert.Single(e.Errors);
        int line = Fixture("Get-Sandbox.md").Split('\n').ToList().FindIndex(l => l == "### -Connection") + 1;
        Assert.InRange(error.Line, line, line + 15);
        Assert.StartsWith($"docs/cmdlets/Get-Sandbox.md({error.Line}): error HELP001: [PARAMETERS / -Connection]", error.ToString());
    }

    private static string ReplaceFirst(string text, string from, string to)
    {
        int i = text.IndexOf(from, StringComparison.Ordinal);
        Assert.True(i >= 0, $"fixture has no '{from}'");
        return text[..i] + to + text[(i + from.Length)..];
    }

    // ------------------------------------------------------------------ the command line

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Cli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Cli_writes_the_MAML_file()
    {
        string dir = Directory.CreateTempSubdirectory("helpbuilder-").FullName;
        try
        {
            string output = Path.Combine(dir, "en-US", "SandboxModule.dll-Help.xml");
            var (code, stdout, stderr) = Run("--docs", FixtureDir, "--out", output, "--module", "Sandbox");
            Assert.True(code == 0, stderr);
            Assert.Contains("2 command(s)", stdout);
            var doc = XDocument.Load(output);
            Assert.Equal(2, doc.Root!.Elements(Cmd + "command").Count());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Cli_fails_on_a_malformed_doc_naming_file_and_section_and_writes_nothing()
    {
        string dir = Directory.CreateTempSubdirectory("helpbuilder-").FullName;
        try
        {
            string docs = Directory.CreateDirectory(Path.Combine(dir, "docs")).FullName;
            File.WriteAllText(Path.Combine(docs, "Get-Sandbox.md"), Fixture("Get-Sandbox.md").Replace("## EXAMPLES\n", "## EXAMPLE\n"));
            File.WriteAllText(Path.Combine(docs, "Remove-Widget.md"), Fixture("Remove-Widget.md"));
            string output = Path.Combine(dir, "SandboxModule.dll-Help.xml");
            var (code, _, stderr) = Run(docs, output);
            Assert.Equal(1, code);
            Assert.Matches(@"Get-Sandbox\.md\(\d+\): error HELP001: \[EXAMPLES\] missing required section", stderr);
            Assert.DoesNotContain("Remove-Widget.md", stderr);
            Assert.False(File.Exists(output));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Cli_rejects_docs_for_another_help_file_or_module()
    {
        string dir = Directory.CreateTempSubdirectory("helpbuilder-").FullName;
        try
        {
            var (code, _, stderr) = Run("--docs", FixtureDir, "--out", Path.Combine(dir, "Other.dll-Help.xml"));
            Assert.Equal(1, code);
            Assert.Contains("does not match the help file being built", stderr);

            (code, _, stderr) = Run("--docs", FixtureDir, "--out", Path.Combine(dir, "SandboxModule.dll-Help.xml"), "--module", "Other");
            Assert.Equal(1, code);
            Assert.Contains("'Module Name: Sandbox' is not 'Other'", stderr);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Cli_usage_and_empty_docs()
    {
        Assert.Equal(2, Run().Code);
        Assert.Equal(2, Run("--bogus").Code);
        string dir = Directory.CreateTempSubdirectory("helpbuilder-").FullName;
        try
        {
            var (code, _, stderr) = Run(dir, Path.Combine(dir, "x.xml"));
            Assert.Equal(1, code);
            Assert.Contains("no cmdlet help", stderr);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
