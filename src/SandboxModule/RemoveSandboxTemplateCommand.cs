using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Deletes sandbox templates.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SandboxTemplate", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxTemplate))]
public sealed class RemoveSandboxTemplateCommand : SandboxConnectedCmdlet
{
    private const string ByName = "ByName";
    private const string ByInputObject = "ByInputObject";

    /// <summary><para type="description">Names or wildcard patterns of the templates to delete.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("TemplateName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(TemplateNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    /// <summary><para type="description">Templates from Get-SandboxTemplate.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByInputObject)]
    [ValidateNotNull]
    public SandboxTemplate[] InputObject { get; set; } = [];

    /// <summary><para type="description">Deletes without asking for confirmation.</para></summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary><para type="description">Returns each deleted template as it was before deletion.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (ParameterSetName == ByInputObject)
        {
            foreach (var template in InputObject) Remove(template.Name, template);
            return;
        }
        foreach (var pattern in Name)
            TryItem(pattern, () =>
            {
                foreach (var name in ExpandTemplateNames(pattern)) Remove(name, null);
            });
    }

    private void Remove(string name, SandboxTemplate? known)
    {
        if (!ShouldProcessItem(name, "Delete template", Force)) return;
        TryItem(name, () =>
        {
            Await(Client.DeleteTemplateAsync(name, null, CancellationToken));
            if (PassThru) WriteObject(known ?? new SandboxTemplate { Name = name });
        });
    }
}
