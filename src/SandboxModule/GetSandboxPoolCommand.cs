using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets warm pools by name or wildcard pattern, with their ready and desired sandbox counts.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxPool")]
[OutputType(typeof(SandboxPool))]
public sealed class GetSandboxPoolCommand : GetResourceCmdlet<SandboxPool>
{
    /// <summary><para type="description">Names or wildcard patterns. A name without wildcards that does not exist is an error (PoolNotFound); a pattern that matches nothing is not. Default: every pool.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("PoolName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(PoolNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string[]? Name { get; set; }

    private protected override ResourceKind<SandboxPool> Kind => ResourceKinds.Pool;
}
