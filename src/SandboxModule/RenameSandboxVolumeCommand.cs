namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Renames a sandbox volume.</para>
/// </summary>
[Cmdlet(VerbsCommon.Rename, "SandboxVolume", HelpUri = HelpLinks.Base + "Rename-SandboxVolume.md", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxVolume))]
public sealed class RenameSandboxVolumeCommand : RenameResourceCmdlet<SandboxVolume>;
