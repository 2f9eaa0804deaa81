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

    /// <summary><para type="description">Runs the command as a background job and returns the job at once (a SandboxJob, seen by Get-Job, Receive-Job, Wait-Job and Stop-Job; Stop-Job cancels it as Ctrl+C would). The job uses the connection this command would use and the current directory.</para></summary>
    [Parameter]
    public SwitchParameter AsJob { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (AsJob)
        {
            StartAsJob();
            return;
        }
        var target = Name ?? $"(new sandbox from {SourceText})";
        if (!ShouldProcess(target, $"Create sandbox from {SourceText}")) return;
        var request = BuildRequest(Name, waitForReady: !NoWait);
        TryItem(Name ?? Source, () => WriteObject(Await(Client.Sandboxes.CreateAsync(request, null, CancellationToken)).Sandbox));
    }
}
