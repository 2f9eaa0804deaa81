namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Creates a sandbox from a template, a snapshot or the server's default.</para>
/// </summary>
[Cmdlet(VerbsCommon.New, "Sandbox", HelpUri = HelpLinks.Base + "New-Sandbox.md", SupportsShouldProcess = true, DefaultParameterSetName = FromTemplate)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class NewSandboxCommand : SandboxCreationCmdlet
{
    /// <summary><para type="description">The template to create the sandbox from. Without -Template and -Snapshot the server boots its default (the local server: the built-in python snapshot). Binds by property name (Template, TemplateName) from Get-SandboxTemplate output and Import-Csv rows; not by value, so that a row's other columns (Name, Snapshot) bind as they are named.</para></summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = FromTemplate)]
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
            // The job gets the name this record means (not a piped snapshot's own) and the snapshot by its id alone.
            StartAsJob(new Dictionary<string, object?> { [nameof(Name)] = RequestedName, [nameof(InputSnapshot)] = null, [nameof(InputTemplateSource)] = null });
            return;
        }
        var name = RequestedName;
        var target = name ?? $"(new sandbox from {SourceText})";
        if (!ShouldProcess(target, $"Create sandbox from {SourceText}")) return;
        var request = BuildRequest(name, waitForReady: !NoWait);
        TryItem(name ?? Source, () => WriteObject(Await(Client.Sandboxes.CreateAsync(request, null, CancellationToken)).Sandbox));
    }
}
