namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets sandbox templates by name or wildcard pattern, or the template a sandbox was created from.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxTemplate", HelpUri = HelpLinks.Base + "Get-SandboxTemplate.md", DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxTemplate))]
public sealed class GetSandboxTemplateCommand : GetResourceCmdlet<SandboxTemplate>
{
    private const string ByName = "ByName";
    private const string BySandbox = "BySandbox";

    /// <summary><para type="description">Names or wildcard patterns. A name without wildcards that does not exist is an error (TemplateNotFound); a pattern that matches nothing is not. Default: every template.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CommandResourceNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string[]? Name { get; set; }

    /// <summary><para type="description">A sandbox (from Get-Sandbox or New-Sandbox): gets the template it was created from. A sandbox piped in binds here, so its own Name is never taken for a template's.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = BySandbox)]
    [ValidateNotNull]
    public Sandbox.Client.Sandbox? Sandbox { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (Sandbox is not { } sandbox)
        {
            base.ProcessRecord();
            return;
        }
        if (string.IsNullOrEmpty(sandbox.TemplateName))
        {
            WriteError(new ErrorRecord(
                new InvalidOperationException($"sandbox '{sandbox.Name}' was not created from a template (it started from {(sandbox.SnapshotId is { } id ? $"snapshot {id}" : "the server's default")}); Get-SandboxSnapshot shows snapshots"),
                "SandboxHasNoTemplate", ErrorCategory.ObjectNotFound, sandbox));
            return;
        }
        TryItem(sandbox.TemplateName, () => WriteObject(Await(Client.Templates.GetAsync(sandbox.TemplateName, null, CancellationToken))));
    }
}
