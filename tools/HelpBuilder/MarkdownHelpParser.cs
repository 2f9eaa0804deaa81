using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace HelpBuilder;

/// <summary>
/// Reads one cmdlet help file in platyPS's markdown schema 2.0.0:
/// <code>
/// ---                              front matter (YAML): external help file, Module Name, schema: 2.0.0
/// # Verb-Noun
/// ## SYNOPSIS                      required, non-empty
/// ## SYNTAX                        required: one code block, or "### SetName [(Default)]" + code block per set
/// ## DESCRIPTION                   required, non-empty
/// ## EXAMPLES                      required: at least one "### Example ..." with a code block
/// ## PARAMETERS                    required: "### -Name", description, ```yaml block(s); "### CommonParameters"
/// ## INPUTS / ## OUTPUTS           required: "### TypeName" + optional description
/// ## NOTES / ## RELATED LINKS      optional
/// </code>
/// Every problem found is collected (with file, line and section) and reported at once as a
/// <see cref="HelpDocException"/>.
/// </summary>
public static partial class MarkdownHelpParser
{
    public const string SupportedSchema = "2.0.0";

    private static readonly string[] RequiredSections = ["SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS"];
    private static readonly string[] OptionalSections = ["NOTES", "RELATED LINKS"];

    // Keys platyPS writes in each parameter's yaml block. All are required so that a hand-edited block that
    // drops one fails here instead of producing help that silently says "Required? false".
    private static readonly string[] RequiredParameterKeys =
        ["Type", "Parameter Sets", "Aliases", "Required", "Position", "Default value", "Accept pipeline input", "Accept wildcard characters"];
    private static readonly string[] OptionalParameterKeys = ["Accepted values", "Applicable"];

    public static CommandHelp ParseFile(string path, string? displayPath = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HelpDocException([new HelpDocError(displayPath ?? path, 1, "file", $"cannot read the file: {e.Message}")]);
        }
        return Parse(text, displayPath ?? path, Path.GetFileNameWithoutExtension(path));
    }

    /// <param name="text">The markdown.</param>
    /// <param name="file">The file name used in error messages.</param>
    /// <param name="expectedName">The command name the file name implies (Verb-Noun), or null to skip that check.</param>
    public static CommandHelp Parse(string text, string file, string? expectedName)
    {
        var errors = new List<HelpDocError>();
        void Error(int line, string section, string message) => errors.Add(new HelpDocError(file, line, section, message));

        var lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
        if (lines.Length > 0 && lines[0].StartsWith('\uFEFF')) lines[0] = lines[0][1..];

        // Front matter.
        var frontMatter = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int bodyStart = 0;
        if (lines.Length == 0 || lines[0].Trim() != "---")
        {
            Error(1, "front matter", "the file must start with a '---' YAML front matter block (external help file, Module Name, schema: 2.0.0)");
        }
        else
        {
            int end = Array.FindIndex(lines, 1, l => l.Trim() == "---");
            if (end < 0)
            {
                Error(1, "front matter", "the front matter opened on line 1 is never closed with '---'");
                bodyStart = lines.Length;
            }
            else
            {
                bodyStart = end + 1;
                ParseFrontMatter(string.Join('\n', lines[1..end]), frontMatter, m => Error(1, "front matter", m));
                if (!frontMatter.TryGetValue("schema", out var schema) || string.IsNullOrWhiteSpace(schema))
                    Error(1, "front matter", $"missing 'schema: {SupportedSchema}'");
                else if (schema.Trim() != SupportedSchema)
                    Error(1, "front matter", $"schema '{schema}' is not supported; this builder reads platyPS schema {SupportedSchema}");
                if (!frontMatter.TryGetValue("external help file", out var helpFile) || string.IsNullOrWhiteSpace(helpFile))
                    Error(1, "front matter", "missing 'external help file' (e.g. SandboxModule.dll-Help.xml)");
                if (!frontMatter.TryGetValue("Module Name", out var module) || string.IsNullOrWhiteSpace(module))
                    Error(1, "front matter", "missing 'Module Name'");
            }
        }

        // Title and sections.
        var doc = SplitSections(lines, bodyStart, Error);
        string name = doc.Title ?? "";
        if (doc.Title is null)
        {
            Error(bodyStart + 1, "title", "missing the '# Verb-Noun' title line");
        }
        else if (!VerbNounRegex().IsMatch(name))
        {
            Error(doc.TitleLine, "title", $"the title '{name}' is not a Verb-Noun command name");
        }
        else if (expectedName is not null && !string.Equals(name, expectedName, StringComparison.OrdinalIgnoreCase))
        {
            Error(doc.TitleLine, "title", $"the title '{name}' does not match the file name '{expectedName}.md'");
        }

        var help = new CommandHelp { Name = name, SourceFile = file, FrontMatter = frontMatter };

        foreach (var required in RequiredSections)
        {
            if (!doc.Sections.Any(s => s.Name == required))
                Error(doc.TitleLine > 0 ? doc.TitleLine : bodyStart + 1, required, $"missing required section '## {required}'");
        }
        foreach (var section in doc.Sections)
        {
            if (!RequiredSections.Contains(section.Name) && !OptionalSections.Contains(section.Name))
                Error(section.Line, section.Name, $"unknown section '## {section.Name}' (platyPS schema {SupportedSchema} has {string.Join(", ", RequiredSections.Concat(OptionalSections))})");
            if (doc.Sections.Count(s => s.Name == section.Name) > 1 && doc.Sections.First(s => s.Name == section.Name) != section)
                Error(section.Line, section.Name, $"section '## {section.Name}' appears more than once");
        }

        foreach (var section in doc.Sections.DistinctBy(s => s.Name))
        {
            switch (section.Name)
            {
                case "SYNOPSIS":
                    RequireNoSubsections(section, Error);
                    help.Synopsis.AddRange(Paragraphs(section.Body));
                    RequireText(help.Synopsis, section.Line, "SYNOPSIS", "the synopsis is empty", Error);
                    break;
                case "DESCRIPTION":
                    RequireNoSubsections(section, Error);
                    help.Description.AddRange(Paragraphs(section.Body));
                    RequireText(help.Description, section.Line, "DESCRIPTION", "the description is empty", Error);
                    break;
                case "SYNTAX":
                    ParseSyntax(section, name, help, Error);
                    break;
                case "EXAMPLES":
                    ParseExamples(section, help, Error);
                    break;
                case "PARAMETERS":
                    ParseParameters(section, help, Error);
                    break;
                case "INPUTS":
                    ParseTypes(section, help.Inputs, Error);
                    break;
                case "OUTPUTS":
                    ParseTypes(section, help.Outputs, Error);
                    break;
                case "NOTES":
                    RequireNoSubsections(section, Error);
                    help.Notes.AddRange(Paragraphs(section.Body).Where(p => !IsPlaceholder(p)));
                    break;
                case "RELATED LINKS":
                    ParseLinks(section, help, Error);
                    break;
            }
        }

        CrossCheck(help, doc, Error);

        if (errors.Count > 0) throw new HelpDocException(errors);
        return help;
    }

    // ---------------------------------------------------------------- structure

    private sealed record Line(int Number, string Text, bool InCode);

    private sealed class Subsection(string title, int line)
    {
        public string Title { get; } = title;
        public int Line { get; } = line;
        public List<Line> Body { get; } = [];
    }

    private sealed class Section(string name, int line)
    {
        public string Name { get; } = name;
        public int Line { get; } = line;
        public List<Line> Body { get; } = [];          // content before the first ###
        public List<Subsection> Subsections { get; } = [];
    }

    private sealed class Document
    {
        public string? Title { get; set; }
        public int TitleLine { get; set; }
        public List<Section> Sections { get; } = [];
    }

    private static Document SplitSections(string[] lines, int start, Action<int, string, string> error)
    {
        var doc = new Document();
        Section? section = null;
        Subsection? sub = null;
        string? fence = null;
        int fenceLine = 0;
        for (int i = start; i < lines.Length; i++)
        {
            string raw = lines[i];
            int number = i + 1;
            string trimmed = raw.TrimStart();
            if (fence is null && (trimmed.StartsWith("```") || trimmed.StartsWith("~~~")))
            {
                fence = trimmed[..3];
                fenceLine = number;
            }
            else if (fence is not null && trimmed.StartsWith(fence) && trimmed.Trim().Trim(fence[0]).Length == 0)
            {
                fence = null;
                Add(new Line(number, raw, true));
                continue;
            }
            bool inCode = fence is not null;
            if (!inCode && raw.StartsWith("# "))
            {
                if (doc.Title is not null)
                    error(number, "title", $"a second '# ' title line ('{raw.Trim()}'); each file documents one command");
                else if (section is not null)
                    error(number, "title", "the '# Verb-Noun' title must come before the first '##' section");
                else
                {
                    doc.Title = raw[2..].Trim();
                    doc.TitleLine = number;
                }
                continue;
            }
            if (!inCode && raw.StartsWith("## "))
            {
                section = new Section(raw[3..].Trim().ToUpperInvariant(), number);
                sub = null;
                doc.Sections.Add(section);
                continue;
            }
            if (!inCode && raw.StartsWith("### "))
            {
                if (section is null)
                {
                    error(number, "structure", $"'{raw.Trim()}' comes before any '##' section");
                    continue;
                }
                sub = new Subsection(raw[4..].Trim(), number);
                section.Subsections.Add(sub);
                continue;
            }
            Add(new Line(number, raw, inCode));
        }
        if (fence is not null)
            error(fenceLine, section?.Name ?? "structure", $"the code block opened on line {fenceLine} is never closed");
        return doc;

        void Add(Line line)
        {
            if (sub is not null) sub.Body.Add(line);
            else if (section is not null) section.Body.Add(line);
            else if (line.Text.Trim().Length > 0 && !line.Text.TrimStart().StartsWith("<!--"))
                error(line.Number, "structure", $"text before the first '##' section: '{Shorten(line.Text)}'");
        }
    }

    // ---------------------------------------------------------------- blocks

    private sealed record Block(bool IsCode, string Language, string Text, int Line);

    private static List<Block> Blocks(IEnumerable<Line> lines)
    {
        var blocks = new List<Block>();
        var para = new List<string>();
        int paraLine = 0;
        List<string>? code = null;
        string lang = "";
        int codeLine = 0;
        foreach (var line in lines)
        {
            string trimmed = line.Text.Trim();
            if (code is not null)
            {
                if (IsFenceEnd(trimmed))
                {
                    blocks.Add(new Block(true, lang, TrimBlankLines(code), codeLine));
                    code = null;
                }
                else
                {
                    code.Add(line.Text.TrimEnd());
                }
                continue;
            }
            if (line.InCode && (trimmed.StartsWith("```") || trimmed.StartsWith("~~~")))
            {
                FlushPara();
                code = [];
                lang = trimmed[3..].Trim().ToLowerInvariant();
                codeLine = line.Number;
                continue;
            }
            if (trimmed.Length == 0 || trimmed.StartsWith("<!--"))
            {
                FlushPara();
                continue;
            }
            if (para.Count == 0) paraLine = line.Number;
            para.Add(trimmed);
        }
        if (code is not null) blocks.Add(new Block(true, lang, TrimBlankLines(code), codeLine));
        FlushPara();
        return blocks;

        void FlushPara()
        {
            if (para.Count == 0) return;
            blocks.Add(new Block(false, "", JoinParagraph(para), paraLine));
            para.Clear();
        }

        static bool IsFenceEnd(string trimmed) =>
            (trimmed.StartsWith("```") || trimmed.StartsWith("~~~")) && trimmed.Trim(trimmed[0]).Length == 0;
    }

    private static string TrimBlankLines(List<string> code)
    {
        int first = code.FindIndex(l => l.Trim().Length > 0);
        int last = code.FindLastIndex(l => l.Trim().Length > 0);
        return first < 0 ? "" : string.Join('\n', code.GetRange(first, last - first + 1));
    }

    /// <summary>Lines of one markdown paragraph: soft breaks become spaces, list items keep their own lines.</summary>
    private static string JoinParagraph(List<string> lines)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            if (i > 0)
            {
                bool hardBreak = ListItemRegex().IsMatch(line) || lines[i - 1].EndsWith("  ") || lines[i - 1].EndsWith('\\');
                sb.Append(hardBreak ? "\n" : " ");
            }
            sb.Append(line);
        }
        return Inline(sb.ToString());
    }

    /// <summary>Markdown inline syntax to the plain text Get-Help prints.</summary>
    private static string Inline(string text)
    {
        text = LinkRegex().Replace(text, m =>
            m.Groups[2].Value.StartsWith("http", StringComparison.OrdinalIgnoreCase)
                ? $"{m.Groups[1].Value} ({m.Groups[2].Value})"
                : m.Groups[1].Value);
        text = text.Replace("**", "").Replace("__", "");
        text = EscapeRegex().Replace(text, "$1");
        return text;
    }

    /// <summary>The paragraphs of a body; code blocks are kept as their own paragraphs, verbatim.</summary>
    private static List<string> Paragraphs(IEnumerable<Line> lines) =>
        Blocks(lines).Select(b => b.Text).Where(t => t.Length > 0).ToList();

    private static bool IsPlaceholder(string text) => PlaceholderRegex().IsMatch(text);

    private static void RequireText(List<string> paragraphs, int line, string section, string message, Action<int, string, string> error)
    {
        if (paragraphs.Count == 0)
            error(line, section, message);
        else if (paragraphs.Any(IsPlaceholder))
            error(line, section, $"still holds a platyPS placeholder ('{Shorten(paragraphs.First(IsPlaceholder))}')");
    }

    private static void RequireNoSubsections(Section section, Action<int, string, string> error)
    {
        foreach (var sub in section.Subsections)
            error(sub.Line, section.Name, $"unexpected '### {sub.Title}' in '## {section.Name}'");
    }

    // ---------------------------------------------------------------- sections

    private static void ParseFrontMatter(string yaml, Dictionary<string, string> into, Action<string> error)
    {
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count == 0) return;
            if (stream.Documents[0].RootNode is not YamlMappingNode map)
            {
                error("the front matter is not a YAML mapping of 'key: value' lines");
                return;
            }
            foreach (var (key, value) in map.Children)
            {
                string k = ((key as YamlScalarNode)?.Value ?? key.ToString()).Trim();
                into[k] = value is YamlScalarNode scalar ? (scalar.Value ?? "").Trim() : value.ToString();
            }
        }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or InvalidOperationException or ArgumentException)
        {
            error($"the front matter is not valid YAML: {e.Message}");
        }
    }

    private static void ParseSyntax(Section section, string name, CommandHelp help, Action<int, string, string> error)
    {
        if (section.Subsections.Count == 0)
        {
            var code = Blocks(section.Body).Where(b => b.IsCode).ToList();
            if (code.Count != 1)
            {
                error(section.Line, "SYNTAX", code.Count == 0
                    ? "no syntax code block (expected one ``` block, or '### SetName' headings each with one)"
                    : "more than one syntax code block without '### SetName' headings");
                return;
            }
            help.Syntax.Add(new SyntaxSet(SyntaxSet.AllParameterSets, true, code[0].Text, code[0].Line));
        }
        else
        {
            if (Blocks(section.Body).Any(b => b.IsCode))
                error(section.Line, "SYNTAX", "a syntax code block outside the '### SetName' headings");
            foreach (var sub in section.Subsections)
            {
                var m = SetHeadingRegex().Match(sub.Title);
                string setName = m.Groups[1].Value.Trim();
                bool isDefault = m.Groups[2].Success;
                var code = Blocks(sub.Body).Where(b => b.IsCode).ToList();
                if (code.Count != 1)
                {
                    error(sub.Line, $"SYNTAX / {setName}", $"parameter set '{setName}' needs exactly one syntax code block, found {code.Count}");
                    continue;
                }
                if (help.Syntax.Any(s => string.Equals(s.Name, setName, StringComparison.OrdinalIgnoreCase)))
                    error(sub.Line, $"SYNTAX / {setName}", $"parameter set '{setName}' is listed twice");
                help.Syntax.Add(new SyntaxSet(setName, isDefault, code[0].Text, code[0].Line));
            }
            if (help.Syntax.Count(s => s.IsDefault) > 1)
                error(section.Line, "SYNTAX", "more than one parameter set is marked '(Default)'");
        }
        foreach (var set in help.Syntax)
        {
            string firstWord = set.Code.Split((char[])[' ', '\n', '\t'], 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            if (name.Length > 0 && !string.Equals(firstWord, name, StringComparison.OrdinalIgnoreCase))
                error(set.Line, $"SYNTAX / {set.Name}", $"the syntax should start with '{name}', not '{Shorten(firstWord)}'");
        }
    }

    private static void ParseExamples(Section section, CommandHelp help, Action<int, string, string> error)
    {
        if (section.Subsections.Count == 0)
        {
            error(section.Line, "EXAMPLES", "no examples: add at least one '### Example 1: ...' heading with a code block");
            return;
        }
        foreach (var sub in section.Subsections)
        {
            var blocks = Blocks(sub.Body);
            var code = blocks.Where(b => b.IsCode).Select(b => b.Text).ToList();
            var remarks = blocks.Where(b => !b.IsCode).Select(b => b.Text).ToList();
            if (code.Count == 0 || code.All(c => c.Trim().Length == 0))
                error(sub.Line, $"EXAMPLES / {sub.Title}", "the example has no code block");
            if (remarks.Any(IsPlaceholder) || IsPlaceholder(sub.Title) || code.Any(IsPlaceholder))
                error(sub.Line, $"EXAMPLES / {sub.Title}", "the example still holds a platyPS placeholder");
            string title = sub.Title.StartsWith("---") ? sub.Title : $"-------------------------- {sub.Title} --------------------------";
            help.Examples.Add(new ExampleHelp(title, string.Join("\n\n", code), remarks));
        }
    }

    private static void ParseParameters(Section section, CommandHelp help, Action<int, string, string> error)
    {
        if (Paragraphs(section.Body).Count > 0)
            error(section.Line, "PARAMETERS", "text outside a '### -ParameterName' heading");
        foreach (var sub in section.Subsections)
        {
            if (sub.Title is "CommonParameters" or "WorkflowCommonParameters")
            {
                help.HasCommonParameters = true;
                continue;
            }
            if (!sub.Title.StartsWith('-') || !ParameterNameRegex().IsMatch(sub.Title[1..]))
            {
                error(sub.Line, "PARAMETERS", $"'### {sub.Title}' is not a parameter heading (expected '### -Name' or '### CommonParameters')");
                continue;
            }
            string paramName = sub.Title[1..];
            string where = $"PARAMETERS / -{paramName}";
            if (help.FindParameter(paramName) is not null)
            {
                error(sub.Line, where, $"parameter -{paramName} is described twice");
                continue;
            }
            var parameter = new ParameterHelp { Name = paramName, Line = sub.Line };
            int yamlBlocks = 0;
            foreach (var block in Blocks(sub.Body))
            {
                if (block.IsCode && block.Language == "yaml")
                {
                    yamlBlocks++;
                    var metadata = ParseParameterYaml(block, where, error);
                    if (metadata is not null) parameter.Metadata.Add(metadata);
                }
                else if (yamlBlocks == 0)
                {
                    parameter.Description.Add(block.Text);
                }
                else if (!block.IsCode || block.Text.Length > 0)
                {
                    error(block.Line, where, "text after the yaml block; the description goes between the heading and the ```yaml block");
                }
            }
            if (parameter.Description.Count == 0 || parameter.Description.All(d => d.Trim().Length == 0))
                error(sub.Line, where, $"parameter -{paramName} has no description");
            else if (parameter.Description.Any(IsPlaceholder))
                error(sub.Line, where, $"parameter -{paramName} still has the platyPS placeholder description");
            if (yamlBlocks == 0)
                error(sub.Line, where, $"parameter -{paramName} has no ```yaml block (Type, Parameter Sets, Aliases, Required, Position, Default value, Accept pipeline input, Accept wildcard characters)");
            if (parameter.Metadata.Select(m => m.Type).Distinct(StringComparer.OrdinalIgnoreCase).Count() > 1)
                error(sub.Line, where, $"parameter -{paramName} has different types in its yaml blocks");
            help.Parameters.Add(parameter);
        }
    }

    private static ParameterMetadata? ParseParameterYaml(Block block, string where, Action<int, string, string> error)
    {
        // platyPS's "yaml" blocks are flat 'Key: value' lines that are not always valid YAML (values such as
        // '@{}' or '*'), so they are read line by line as platyPS itself does.
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int lineNo = block.Line;
        bool ok = true;
        foreach (var raw in block.Text.Split('\n'))
        {
            lineNo++;
            if (raw.Trim().Length == 0) continue;
            int colon = raw.IndexOf(':');
            if (colon <= 0)
            {
                error(lineNo, where, $"yaml line '{Shorten(raw)}' is not 'Key: value'");
                ok = false;
                continue;
            }
            string key = raw[..colon].Trim();
            string value = raw[(colon + 1)..].Trim();
            if (!RequiredParameterKeys.Contains(key, StringComparer.OrdinalIgnoreCase) && !OptionalParameterKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                error(lineNo, where, $"unknown yaml key '{key}' (platyPS writes {string.Join(", ", RequiredParameterKeys.Concat(OptionalParameterKeys))})");
                ok = false;
                continue;
            }
            if (!values.TryAdd(key, value))
            {
                error(lineNo, where, $"yaml key '{key}' appears twice");
                ok = false;
            }
        }
        foreach (var key in RequiredParameterKeys)
        {
            if (!values.ContainsKey(key))
            {
                error(block.Line, where, $"the yaml block has no '{key}:' line");
                ok = false;
            }
        }
        if (!ok) return null;

        string type = values["Type"];
        if (type.Length == 0)
        {
            error(block.Line, where, "'Type:' is empty");
            ok = false;
        }

        var sets = SplitList(values["Parameter Sets"]);
        if (sets.Count == 0)
        {
            error(block.Line, where, "'Parameter Sets:' is empty (use '(All)' for every set)");
            ok = false;
        }

        var aliases = SplitList(values["Aliases"]).Where(a => !a.Equals("None", StringComparison.OrdinalIgnoreCase)).ToList();

        // Required: True | False | "True (SetA, SetB) False (SetC)"
        var requiredBySet = new Dictionary<string, bool>(StringComparer.OrdinalIgnoreCase);
        bool requiredDefault = false;
        string required = values["Required"];
        if (bool.TryParse(required, out var r))
        {
            requiredDefault = r;
        }
        else
        {
            var matches = RequiredPerSetRegex().Matches(required);
            if (matches.Count == 0 || RequiredPerSetRegex().Replace(required, "").Trim(' ', ',').Length != 0)
            {
                error(block.Line, where, $"'Required: {required}' is neither True, False nor 'True (Set, ...) False (Set, ...)'");
                ok = false;
            }
            foreach (Match m in matches)
                foreach (var set in SplitList(m.Groups[2].Value))
                    requiredBySet[set] = bool.Parse(m.Groups[1].Value);
        }

        string position = values["Position"];
        if (position.Equals("named", StringComparison.OrdinalIgnoreCase))
            position = "Named";
        else if (!int.TryParse(position, out var pos) || pos < 0)
        {
            error(block.Line, where, $"'Position: {position}' is neither Named nor a number");
            ok = false;
        }

        string pipeline = values["Accept pipeline input"];
        if (!PipelineInputRegex().IsMatch(pipeline))
        {
            error(block.Line, where, $"'Accept pipeline input: {pipeline}' is not False, 'True (ByValue)', 'True (ByPropertyName)' or 'True (ByPropertyName, ByValue)'");
            ok = false;
        }
        else if (pipeline.StartsWith("f", StringComparison.OrdinalIgnoreCase))
        {
            pipeline = "False";
        }

        if (!bool.TryParse(values["Accept wildcard characters"], out var globbing))
        {
            error(block.Line, where, $"'Accept wildcard characters: {values["Accept wildcard characters"]}' is not True or False");
            ok = false;
        }

        string defaultValue = values["Default value"];
        if (defaultValue.Length == 0) defaultValue = "None";

        var accepted = values.TryGetValue("Accepted values", out var av) ? SplitList(av) : [];

        return ok
            ? new ParameterMetadata(type, sets, aliases, requiredBySet, requiredDefault, position, defaultValue, pipeline, globbing, accepted)
            : null;
    }

    private static void ParseTypes(Section section, List<TypeHelp> into, Action<int, string, string> error)
    {
        if (Paragraphs(section.Body).Count > 0)
            error(section.Line, section.Name, $"text outside a '### TypeName' heading (write '### None' when there is no {section.Name.ToLowerInvariant()[..^1]})");
        if (section.Subsections.Count == 0)
            error(section.Line, section.Name, $"no '### TypeName' heading (write '### None' when there is none)");
        foreach (var sub in section.Subsections)
        {
            var description = Paragraphs(sub.Body);
            if (description.Any(IsPlaceholder))
                error(sub.Line, $"{section.Name} / {sub.Title}", "still holds a platyPS placeholder");
            into.Add(new TypeHelp(sub.Title, description));
        }
    }

    private static void ParseLinks(Section section, CommandHelp help, Action<int, string, string> error)
    {
        RequireNoSubsections(section, error);
        foreach (var line in section.Body)
        {
            string text = line.Text.Trim();
            if (text.Length == 0 || text.StartsWith("<!--")) continue;
            if (text.StartsWith("- ") || text.StartsWith("* ")) text = text[2..].Trim();
            var m = FullLinkRegex().Match(text);
            if (m.Success)
                help.Links.Add(new LinkHelp(m.Groups[1].Value.Trim(), m.Groups[2].Value.Trim()));
            else if (text.Contains("](") || text.StartsWith('['))
                error(line.Number, "RELATED LINKS", $"'{Shorten(text)}' is not a '[text](uri)' link");
            else
                help.Links.Add(new LinkHelp(text, ""));
        }
    }

    private static void CrossCheck(CommandHelp help, Document doc, Action<int, string, string> error)
    {
        if (help.Syntax.Count == 0 || !doc.Sections.Any(s => s.Name == "PARAMETERS")) return;
        bool namedSets = help.Syntax.All(s => s.Name != SyntaxSet.AllParameterSets);

        foreach (var parameter in help.Parameters)
        {
            foreach (var metadata in parameter.Metadata)
            {
                if (!namedSets || metadata.AllSets) continue;
                foreach (var set in metadata.ParameterSets)
                {
                    if (!help.Syntax.Any(s => string.Equals(s.Name, set, StringComparison.OrdinalIgnoreCase)))
                        error(parameter.Line, $"PARAMETERS / -{parameter.Name}", $"names parameter set '{set}', which SYNTAX does not list ({string.Join(", ", help.Syntax.Select(s => s.Name))})");
                }
            }
            foreach (var set in help.Syntax)
            {
                if (parameter.Metadata.Count(m => m.InSet(set.Name)) > 1 && namedSets)
                    error(parameter.Line, $"PARAMETERS / -{parameter.Name}", $"more than one yaml block applies to parameter set '{set.Name}'");
            }
        }

        // Every -Parameter a syntax line shows must be described (the reverse of what Get-Help prints).
        foreach (var set in help.Syntax)
        {
            foreach (Match m in SyntaxParameterRegex().Matches(set.Code))
            {
                string p = m.Groups[1].Value;
                if (help.FindParameter(p) is null)
                    error(set.Line, $"SYNTAX / {set.Name}", $"the syntax shows -{p}, which PARAMETERS does not describe");
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private static List<string> SplitList(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static string Shorten(string s)
    {
        s = s.Trim();
        return s.Length <= 60 ? s : s[..57] + "...";
    }

    [GeneratedRegex(@"^[A-Za-z]+-[A-Za-z0-9]+$")]
    private static partial Regex VerbNounRegex();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex ParameterNameRegex();

    [GeneratedRegex(@"^(.*?)(\s*\(Default\))?$", RegexOptions.IgnoreCase)]
    private static partial Regex SetHeadingRegex();

    [GeneratedRegex(@"(True|False)\s*\(([^)]*)\)", RegexOptions.IgnoreCase)]
    private static partial Regex RequiredPerSetRegex();

    [GeneratedRegex(@"^(False|True\s*\(\s*(ByValue|ByPropertyName)(\s*,\s*(ByValue|ByPropertyName))?\s*\))$", RegexOptions.IgnoreCase)]
    private static partial Regex PipelineInputRegex();

    [GeneratedRegex(@"\{\{.*\}\}", RegexOptions.Singleline)]
    private static partial Regex PlaceholderRegex();

    [GeneratedRegex(@"^(\s*[-*+]\s|\s*\d+[.)]\s)")]
    private static partial Regex ListItemRegex();

    [GeneratedRegex(@"\[([^\]]+)\]\(([^)\s]+)\)")]
    private static partial Regex LinkRegex();

    [GeneratedRegex(@"^\[([^\]]+)\]\(([^)]*)\)$")]
    private static partial Regex FullLinkRegex();

    [GeneratedRegex(@"\\([\\`*_{}\[\]()#+\-.!<>|])")]
    private static partial Regex EscapeRegex();

    [GeneratedRegex(@"(?<![\w-])-([A-Za-z_][A-Za-z0-9_]*)\b")]
    private static partial Regex SyntaxParameterRegex();
}
