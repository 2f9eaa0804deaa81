using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Deletes sandbox templates.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SandboxTemplate", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxTemplate))]
public sealed class RemoveSandboxTemplateCommand : RemoveResourceCmdlet<SandboxTemplate>
{
    /// <summary><para type="description">Names or wildcard patterns of the templates to delete.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("TemplateName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(TemplateNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string[] Name { get; set; } = [];

    private protected override ResourceKind<SandboxTemplate> Kind => ResourceKinds.Template;

    private protected override string Action => "Delete template";
}
