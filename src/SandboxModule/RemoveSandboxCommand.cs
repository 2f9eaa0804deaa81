namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Deletes sandboxes: their processes, filesystem and name.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "Sandbox", HelpUri = HelpLinks.Base + "Remove-Sandbox.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class RemoveSandboxCommand : RemoveResourceCmdlet<Sandbox.Client.Sandbox>
{
    /// <summary><para type="description">Names or wildcard patterns of the sandboxes to delete.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("SandboxName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string[] Name { get; set; } = [];
}
