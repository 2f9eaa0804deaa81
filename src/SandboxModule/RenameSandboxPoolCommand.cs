namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Renames a warm pool.</para>
/// </summary>
[Cmdlet(VerbsCommon.Rename, "SandboxPool", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxPool))]
public sealed class RenameSandboxPoolCommand : RenameResourceCmdlet<SandboxPool>;
