using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Deletes warm pools; their idle sandboxes end, sandboxes already handed out stay.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SandboxPool", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxPool))]
public sealed class RemoveSandboxPoolCommand : RemoveResourceCmdlet<SandboxPool>
{
    /// <summary><para type="description">Names or wildcard patterns of the pools to delete.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("PoolName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(PoolNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string[] Name { get; set; } = [];

    private protected override ResourceKind<SandboxPool> Kind => ResourceKinds.Pool;

    private protected override string Action => "Delete pool and end its idle sandboxes";
}
