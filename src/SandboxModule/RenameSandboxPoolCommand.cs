namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Renames a warm pool.</para>
/// </summary>
[Cmdlet(VerbsCommon.Rename, "SandboxPool", HelpUri = HelpLinks.Base + "Rename-SandboxPool.md", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxPool))]
public sealed class RenameSandboxPoolCommand : RenameResourceCmdlet<SandboxPool>;
