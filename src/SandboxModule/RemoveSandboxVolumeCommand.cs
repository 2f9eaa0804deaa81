namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Deletes sandbox volumes and their data.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SandboxVolume", HelpUri = HelpLinks.Base + "Remove-SandboxVolume.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxVolume))]
public sealed class RemoveSandboxVolumeCommand : RemoveResourceCmdlet<SandboxVolume>;
