using System.Management.Automation;
using Sandbox.Client;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Renames a sandbox volume.</para>
/// </summary>
[Cmdlet(VerbsCommon.Rename, "SandboxVolume", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxVolume))]
public sealed class RenameSandboxVolumeCommand : RenameResourceCmdlet<SandboxVolume>
{
    /// <summary><para type="description">The volume's current name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("VolumeName")]
    [ArgumentCompleter(typeof(VolumeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string Name { get; set; } = "";

    private protected override ResourceKind<SandboxVolume> Kind => ResourceKinds.Volume;
}
