namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Renames a container registry (its id, which snapshots refer to it by, stays).</para>
/// </summary>
[Cmdlet(VerbsCommon.Rename, "SandboxRegistry", HelpUri = HelpLinks.Base + "Rename-SandboxRegistry.md", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxRegistry))]
public sealed class RenameSandboxRegistryCommand : RenameResourceCmdlet<SandboxRegistry>;
