using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Renames a sandbox template.</para>
/// </summary>
[Cmdlet(VerbsCommon.Rename, "SandboxTemplate", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxTemplate))]
public sealed class RenameSandboxTemplateCommand : RenameResourceCmdlet<SandboxTemplate>
{
    /// <summary><para type="description">The template's current name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("TemplateName")]
    [ArgumentCompleter(typeof(TemplateNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string Name { get; set; } = "";

    private protected override ResourceKind<SandboxTemplate> Kind => ResourceKinds.Template;
}
