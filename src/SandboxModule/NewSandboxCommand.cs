namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Creates a sandbox from a template, a snapshot or the server's default.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "Sandbox", HelpUri = HelpLinks.Base + "New-Sandbox.md", SupportsShouldProcess = true, DefaultParameterSetName = FromTemplate)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class NewSandboxCommand : SandboxCreationCmdlet
{
    /// <summary><para type="description">The template to create the sandbox from. Without -Template and -Snapshot the server boots its default (the local server: the built-in python snapshot). Binds by property name from Get-SandboxTemplate output.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = FromTemplate)]
    [Alias("TemplateName")]
    [ArgumentCompleter(typeof(TemplateNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string? Template { get; set; }

    /// <summary><para type="description">Returns at once, while the sandbox is still provisioning (see Wait-Sandbox).</para></summary>
    [Parameter]
    public SwitchParameter NoWait { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var target = Name ?? $"(new sandbox from {SourceText})";
        if (!ShouldProcess(target, $"Create sandbox from {SourceText}")) return;
        var request = BuildRequest(Name, waitForReady: !NoWait);
        TryItem(Name ?? Source, () => WriteObject(Await(Client.Sandboxes.CreateAsync(request, null, CancellationToken)).Sandbox));
    }
}
