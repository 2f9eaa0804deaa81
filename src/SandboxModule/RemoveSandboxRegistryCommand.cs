namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Deletes container registries and their stored credentials; snapshots that name them keep their files.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SandboxRegistry", HelpUri = HelpLinks.Base + "Remove-SandboxRegistry.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxRegistry))]
public sealed class RemoveSandboxRegistryCommand : RemoveResourceCmdlet<SandboxRegistry>;
