namespace HelpBuilder;

/// <summary>One cmdlet's help, as read from a platyPS (schema 2.0.0) markdown file.</summary>
public sealed class CommandHelp
{
    public required string Name { get; init; }
    public required string SourceFile { get; init; }
    public IReadOnlyDictionary<string, string> FrontMatter { get; init; } = new Dictionary<string, string>();
    public List<string> Synopsis { get; } = [];
    public List<string> Description { get; } = [];
    public List<SyntaxSet> Syntax { get; } = [];
    public List<ExampleHelp> Examples { get; } = [];
    public List<ParameterHelp> Parameters { get; } = [];
    public bool HasCommonParameters { get; set; }
    public List<TypeHelp> Inputs { get; } = [];
    public List<TypeHelp> Outputs { get; } = [];
    public List<string> Notes { get; } = [];
    public List<LinkHelp> Links { get; } = [];

    public string Verb => Name[..Name.IndexOf('-')];
    public string Noun => Name[(Name.IndexOf('-') + 1)..];

    public ParameterHelp? FindParameter(string name) =>
        Parameters.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>One parameter set from SYNTAX. <see cref="Name"/> is <c>__AllParameterSets</c> when SYNTAX has no set headings.</summary>
public sealed record SyntaxSet(string Name, bool IsDefault, string Code, int Line)
{
    public const string AllParameterSets = "__AllParameterSets";
}

public sealed record ExampleHelp(string Title, string Code, IReadOnlyList<string> Remarks);

public sealed class ParameterHelp
{
    public required string Name { get; init; }
    public required int Line { get; init; }
    public List<string> Description { get; } = [];
    /// <summary>One entry per yaml block (platyPS writes one block per distinct metadata across parameter sets).</summary>
    public List<ParameterMetadata> Metadata { get; } = [];

    /// <summary>The metadata that applies in the given parameter set, or null if the parameter is not in it.</summary>
    public ParameterMetadata? ForSet(string setName) =>
        Metadata.FirstOrDefault(m => m.InSet(setName));

    public bool IsSwitch => Metadata.Count > 0 && Metadata[0].IsSwitch;
}

public sealed record ParameterMetadata(
    string Type,
    IReadOnlyList<string> ParameterSets,
    IReadOnlyList<string> Aliases,
    IReadOnlyDictionary<string, bool> RequiredBySet,
    bool RequiredDefault,
    string Position,
    string DefaultValue,
    string PipelineInput,
    bool Globbing,
    IReadOnlyList<string> AcceptedValues)
{
    public bool AllSets => ParameterSets.Any(s => s == "(All)");

    public bool InSet(string setName) =>
        AllSets || setName == SyntaxSet.AllParameterSets ||
        ParameterSets.Any(s => string.Equals(s, setName, StringComparison.OrdinalIgnoreCase));

    public bool RequiredIn(string setName) =>
        RequiredBySet.TryGetValue(setName, out var required) ? required : RequiredDefault;

    public bool IsSwitch =>
        Type.Equals("SwitchParameter", StringComparison.OrdinalIgnoreCase) ||
        Type.Equals("Switch", StringComparison.OrdinalIgnoreCase) ||
        Type.Equals("System.Management.Automation.SwitchParameter", StringComparison.OrdinalIgnoreCase);

    public bool IsPositional => !Position.Equals("Named", StringComparison.OrdinalIgnoreCase);
}

public sealed record TypeHelp(string TypeName, IReadOnlyList<string> Description);

public sealed record LinkHelp(string Text, string Uri);

/// <summary>A problem in a help markdown file: where it is and what is wrong.</summary>
public sealed record HelpDocError(string File, int Line, string Section, string Message)
{
    /// <summary>Canonical MSBuild/compiler format, so that an Exec'ing build shows it as an error on the file.</summary>
    public override string ToString() =>
        $"{File}({Line}): error HELP001: [{Section}] {Message}";
}

public sealed class HelpDocException(IReadOnlyList<HelpDocError> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<HelpDocError> Errors { get; } = errors;
}
