using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets sandbox templates by name or wildcard pattern.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxTemplate")]
[OutputType(typeof(SandboxTemplate))]
public sealed class GetSandboxTemplateCommand : GetResourceCmdlet<SandboxTemplate>
{
    /// <summary><para type="description">Names or wildcard patterns. A name without wildcards that does not exist is an error (TemplateNotFound); a pattern that matches nothing is not. Default: every template.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("TemplateName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(TemplateNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string[]? Name { get; set; }

    private protected override ResourceKind<SandboxTemplate> Kind => ResourceKinds.Template;
}
