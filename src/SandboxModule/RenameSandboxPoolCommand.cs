using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Renames a warm pool.</para>
/// </summary>
[Cmdlet(VerbsCommon.Rename, "SandboxPool", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxPool))]
public sealed class RenameSandboxPoolCommand : RenameResourceCmdlet<SandboxPool>
{
    /// <summary><para type="description">The pool's current name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("PoolName")]
    [ArgumentCompleter(typeof(PoolNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string Name { get; set; } = "";

    private protected override ResourceKind<SandboxPool> Kind => ResourceKinds.Pool;
}
