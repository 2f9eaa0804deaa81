namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Finds the lines of files in a sandbox that hold a text, without running a command.</para>
/// </summary>
[Cmdlet(VerbsCommon.Select, "SandboxString", HelpUri = HelpLinks.Base + "Select-SandboxString.md")]
[OutputType(typeof(SandboxMatchInfo))]
public sealed class SelectSandboxStringCommand : SandboxSearchCmdlet
{
    /// <summary><para type="description">The text to find: literal and case-sensitive (not a regular expression), at most 1024 characters.</para></summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    [WireField("pattern")]
    public string Pattern { get; set; } = "";

    /// <summary><para type="description">The directory whose files are searched, at any depth (relative paths are relative to /home/user; default /home/user).</para></summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    [WireField("path")]
    public override string Path { get; set; } = SandboxDefaults.WorkingDirectory;

    /// <summary><para type="description">Only files matching this glob: without a / their names at any depth (*.py), with one their path relative to -Path (src/**/*.cs).</para></summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [WireField("glob")]
    public string? Include { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() =>
        Search("the search", sandbox => Client.Files.GrepAsync(sandbox, new SandboxGrepRequest { Path = SearchDirectory, Pattern = Pattern, Glob = Include, Limit = Limit }, null, CancellationToken),
            _ => true);
}
