using System.Text;
using System.Xml;

namespace HelpBuilder;

/// <summary>
/// Writes MAML (<c>&lt;helpItems schema="maml"&gt;</c>, one <c>command:command</c> per cmdlet) in the shape
/// platyPS's New-ExternalHelp produces, which is what Get-Help reads from
/// <c>en-US/&lt;Assembly&gt;.dll-Help.xml</c>.
/// </summary>
public static class MamlWriter
{
    public const string MamlNs = "http://schemas.microsoft.com/maml/2004/10";
    public const string CommandNs = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    public const string DevNs = "http://schemas.microsoft.com/maml/dev/2004/10";
    public const string MsHelpNs = "http://msdn.microsoft.com/mshelp";

    public static string Render(IEnumerable<CommandHelp> commands)
    {
        var sb = new StringBuilder();
        var settings = new XmlWriterSettings
        {
            Indent = true,
            IndentChars = "  ",
            NewLineChars = "\n",
            Encoding = new UTF8Encoding(false),
            OmitXmlDeclaration = true,
        };
        sb.Append("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        using (var w = XmlWriter.Create(sb, settings))
        {
            w.WriteStartElement("helpItems");
            w.WriteAttributeString("schema", "maml");
            foreach (var command in commands.OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase))
                WriteCommand(w, command);
            w.WriteEndElement();
        }
        sb.Append('\n');
        return sb.ToString();
    }

    public static void WriteFile(IEnumerable<CommandHelp> commands, string path)
    {
        string xml = Render(commands);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        // Leave an identical file alone so that its time stamp (and everything incremental after it) is kept.
        if (File.Exists(path) && File.ReadAllText(path) == xml)
        {
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
            return;
        }
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, xml, new UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
    }

    private static void WriteCommand(XmlWriter w, CommandHelp c)
    {
        w.WriteStartElement("command", "command", CommandNs);
        w.WriteAttributeString("xmlns", "maml", null, MamlNs);
        w.WriteAttributeString("xmlns", "command", null, CommandNs);
        w.WriteAttributeString("xmlns", "dev", null, DevNs);
        w.WriteAttributeString("xmlns", "MSHelp", null, MsHelpNs);

        w.WriteStartElement("command", "details", CommandNs);
        w.WriteElementString("command", "name", CommandNs, c.Name);
        w.WriteElementString("command", "verb", CommandNs, c.Verb);
        w.WriteElementString("command", "noun", CommandNs, c.Noun);
        Description(w, c.Synopsis);
        w.WriteEndElement();

        Description(w, c.Description);

        w.WriteStartElement("command", "syntax", CommandNs);
        foreach (var set in OrderedSets(c))
        {
            w.WriteStartElement("command", "syntaxItem", CommandNs);
            w.WriteElementString("maml", "name", MamlNs, c.Name);
            var inSet = c.Parameters
                .Select((p, index) => (p, index, m: p.ForSet(set.Name)))
                .Where(x => x.m is not null)
                .OrderBy(x => x.m!.IsPositional ? 0 : 1)
                .ThenBy(x => x.m!.IsPositional ? int.Parse(x.m.Position) : 0)
                .ThenBy(x => x.index);
            foreach (var (p, _, m) in inSet)
                Parameter(w, p, m!, m!.RequiredIn(set.Name), inSyntax: true);
            w.WriteEndElement();
        }
        w.WriteEndElement();

        w.WriteStartElement("command", "parameters", CommandNs);
        foreach (var p in c.Parameters)
        {
            if (p.Metadata.Count == 0) continue;
            var first = p.Metadata[0];
            // One entry per parameter: required if it is required in any set, the first position it has.
            bool required = c.Syntax.Any(s => p.ForSet(s.Name)?.RequiredIn(s.Name) == true) ||
                            p.Metadata.Any(m => m.RequiredDefault || m.RequiredBySet.Values.Any(v => v));
            var positional = p.Metadata.FirstOrDefault(m => m.IsPositional) ?? first;
            var pipeline = p.Metadata.Select(m => m.PipelineInput).FirstOrDefault(x => x != "False") ?? "False";
            var merged = first with
            {
                Position = positional.Position,
                PipelineInput = pipeline,
                Aliases = p.Metadata.SelectMany(m => m.Aliases).Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
                Globbing = p.Metadata.Any(m => m.Globbing),
            };
            Parameter(w, p, merged, required, inSyntax: false);
        }
        w.WriteEndElement();

        TypeList(w, "inputTypes", "inputType", c.Inputs);
        TypeList(w, "returnValues", "returnValue", c.Outputs);

        w.WriteStartElement("maml", "alertSet", MamlNs);
        w.WriteStartElement("maml", "alert", MamlNs);
        Paras(w, c.Notes);
        w.WriteEndElement();
        w.WriteEndElement();

        w.WriteStartElement("command", "examples", CommandNs);
        foreach (var example in c.Examples)
        {
            w.WriteStartElement("command", "example", CommandNs);
            w.WriteElementString("maml", "title", MamlNs, example.Title);
            w.WriteElementString("dev", "code", DevNs, example.Code);
            w.WriteStartElement("dev", "remarks", DevNs);
            Paras(w, example.Remarks);
            w.WriteEndElement();
            w.WriteEndElement();
        }
        w.WriteEndElement();

        // maml:relatedLinks, as in the MAML schema and PowerShell's own help; the first link is the one
        // Get-Help -Online opens, so the front matter's 'online version' goes first.
        w.WriteStartElement("maml", "relatedLinks", MamlNs);
        var links = new List<LinkHelp>();
        if (c.FrontMatter.TryGetValue("online version", out var online) && !string.IsNullOrWhiteSpace(online))
            links.Add(new LinkHelp("Online Version:", online.Trim()));
        foreach (var link in c.Links)
        {
            if (links.Count == 1 && links[0].Uri == link.Uri) continue;  // the online link listed again
            // A link to another markdown file means nothing to Get-Help: keep its text, drop the relative uri.
            links.Add(Uri.IsWellFormedUriString(link.Uri, UriKind.Absolute) ? link : link with { Uri = "" });
        }
        foreach (var link in links)
        {
            w.WriteStartElement("maml", "navigationLink", MamlNs);
            w.WriteElementString("maml", "linkText", MamlNs, link.Text);
            w.WriteElementString("maml", "uri", MamlNs, link.Uri);
            w.WriteEndElement();
        }
        w.WriteEndElement();

        w.WriteEndElement(); // command:command
    }

    private static IEnumerable<SyntaxSet> OrderedSets(CommandHelp c) =>
        c.Syntax.Where(s => s.IsDefault).Concat(c.Syntax.Where(s => !s.IsDefault));

    private static void Parameter(XmlWriter w, ParameterHelp p, ParameterMetadata m, bool required, bool inSyntax)
    {
        string type = m.IsSwitch ? "SwitchParameter" : m.Type;
        w.WriteStartElement("command", "parameter", CommandNs);
        w.WriteAttributeString("required", required ? "true" : "false");
        w.WriteAttributeString("variableLength", "true");
        w.WriteAttributeString("globbing", m.Globbing ? "true" : "false");
        w.WriteAttributeString("pipelineInput", m.PipelineInput);
        w.WriteAttributeString("position", m.IsPositional ? m.Position : "named");
        w.WriteAttributeString("aliases", m.Aliases.Count > 0 ? string.Join(", ", m.Aliases) : "none");

        w.WriteElementString("maml", "name", MamlNs, p.Name);
        Description(w, p.Description);

        if (inSyntax && m.AcceptedValues.Count > 0)
        {
            w.WriteStartElement("command", "parameterValueGroup", CommandNs);
            foreach (var value in m.AcceptedValues)
            {
                w.WriteStartElement("command", "parameterValue", CommandNs);
                w.WriteAttributeString("required", "false");
                w.WriteAttributeString("variableLength", "false");
                w.WriteString(value);
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }

        // platyPS leaves the value out of switches in syntax items so Get-Help prints "[-Force]".
        if (!inSyntax || !m.IsSwitch)
        {
            w.WriteStartElement("command", "parameterValue", CommandNs);
            w.WriteAttributeString("required", m.IsSwitch ? "false" : "true");
            w.WriteAttributeString("variableLength", "false");
            w.WriteString(type);
            w.WriteEndElement();
        }

        w.WriteStartElement("dev", "type", DevNs);
        w.WriteElementString("maml", "name", MamlNs, type);
        w.WriteElementString("maml", "uri", MamlNs, "");
        w.WriteEndElement();
        w.WriteElementString("dev", "defaultValue", DevNs, m.DefaultValue);
        w.WriteEndElement();
    }

    private static void TypeList(XmlWriter w, string listName, string itemName, List<TypeHelp> types)
    {
        w.WriteStartElement("command", listName, CommandNs);
        foreach (var t in types)
        {
            w.WriteStartElement("command", itemName, CommandNs);
            w.WriteStartElement("dev", "type", DevNs);
            w.WriteElementString("maml", "name", MamlNs, t.TypeName);
            w.WriteEndElement();
            Description(w, t.Description);
            w.WriteEndElement();
        }
        w.WriteEndElement();
    }

    private static void Description(XmlWriter w, IReadOnlyList<string> paragraphs)
    {
        w.WriteStartElement("maml", "description", MamlNs);
        Paras(w, paragraphs);
        w.WriteEndElement();
    }

    private static void Paras(XmlWriter w, IReadOnlyList<string> paragraphs)
    {
        if (paragraphs.Count == 0)
        {
            w.WriteElementString("maml", "para", MamlNs, "");
            return;
        }
        foreach (var para in paragraphs)
            w.WriteElementString("maml", "para", MamlNs, para);
    }
}
