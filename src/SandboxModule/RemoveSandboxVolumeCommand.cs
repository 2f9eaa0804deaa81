using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Deletes sandbox volumes and their data.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SandboxVolume", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxVolume))]
public sealed class RemoveSandboxVolumeCommand : RemoveResourceCmdlet<SandboxVolume>
{
    /// <summary><para type="description">Names or wildcard patterns of the volumes to delete.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("VolumeName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(VolumeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string[] Name { get; set; } = [];

    private protected override ResourceKind<SandboxVolume> Kind => ResourceKinds.Volume;

    private protected override string Action => "Delete volume and its data";
}
