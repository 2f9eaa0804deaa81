using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Renames a sandbox template.</para>
/// </summary>
[Cmdlet(VerbsCommon.Rename, "SandboxTemplate", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxTemplate))]
public sealed class RenameSandboxTemplateCommand : SandboxConnectedCmdlet
{
    private const string ByName = "ByName";
    private const string ByInputObject = "ByInputObject";

    /// <summary><para type="description">The template's current name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("TemplateName")]
    [ArgumentCompleter(typeof(TemplateNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">A template from Get-SandboxTemplate.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByInputObject)]
    [ValidateNotNull]
    public SandboxTemplate? InputObject { get; set; }

    /// <summary><para type="description">The new name (lowercase letters, digits and hyphens).</para></summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string NewName { get; set; } = "";

    /// <summary><para type="description">Returns the renamed template.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var name = InputObject?.Name ?? Name;
        if (!ShouldProcess(name, $"Rename template to '{NewName}'")) return;
        TryItem(name, () =>
        {
            var renamed = Await(Client.RenameTemplateAsync(name, NewName, null, CancellationToken));
            if (PassThru) WriteObject(renamed);
        });
    }
}
