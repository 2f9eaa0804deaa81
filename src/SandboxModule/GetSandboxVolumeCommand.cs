using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets sandbox volumes by name or wildcard pattern.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxVolume")]
[OutputType(typeof(SandboxVolume))]
public sealed class GetSandboxVolumeCommand : GetResourceCmdlet<SandboxVolume>
{
    /// <summary><para type="description">Names or wildcard patterns. A name without wildcards that does not exist is an error (VolumeNotFound); a pattern that matches nothing is not. Default: every volume.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("VolumeName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VolumeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string[]? Name { get; set; }

    private protected override ResourceKind<SandboxVolume> Kind => ResourceKinds.Volume;
}
