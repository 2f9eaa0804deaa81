namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Lists the files and directories in a sandbox that match a glob pattern, without running a command.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxChildItem", HelpUri = HelpLinks.Base + "Get-SandboxChildItem.md")]
[OutputType(typeof(SandboxFileEntry))]
public sealed class GetSandboxChildItemCommand : SandboxSearchCmdlet
{
    /// <summary><para type="description">The directory to list (relative paths are relative to /home/user; default /home/user).</para></summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [WireField("path")]
    public override string Path { get; set; } = SandboxDefaults.WorkingDirectory;

    /// <summary><para type="description">A glob pattern matched against each entry's path relative to -Path: * and ? within one level, [a-z] classes, ** as a whole segment for any number of levels (src/**/*.py). Default *. Hidden entries match too.</para></summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [WireField("pattern")]
    public string Filter { get; set; } = "*";

    /// <summary><para type="description">Lists entries at any depth below -Path (the pattern gets a leading **/).</para></summary>
    [Parameter]
    public SwitchParameter Recurse { get; set; }

    /// <summary><para type="description">Only directories.</para></summary>
    [Parameter]
    public SwitchParameter Directory { get; set; }

    /// <summary><para type="description">Only files (everything that is not a directory).</para></summary>
    [Parameter]
    public SwitchParameter File { get; set; }

    /// <inheritdoc />
    protected override void Begin()
    {
        if (Directory && File) FailArgument("-Directory and -File exclude each other: give one, or neither for both", "SandboxInvalidArgument", null);
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var pattern = Recurse && !Filter.StartsWith("**/", StringComparison.Ordinal) && Filter != "**" ? "**/" + Filter : Filter;
        Search("the listing", sandbox => Client.Files.GlobAsync(sandbox, new SandboxGlobRequest { Path = SearchDirectory, Pattern = pattern, Limit = Limit }, null, CancellationToken),
            entry => (!Directory || entry.IsDir) && (!File || !entry.IsDir));
    }
}
