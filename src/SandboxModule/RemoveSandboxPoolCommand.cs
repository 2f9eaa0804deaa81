namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Deletes warm pools; their idle sandboxes end, sandboxes already handed out stay.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SandboxPool", HelpUri = HelpLinks.Base + "Remove-SandboxPool.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxPool))]
public sealed class RemoveSandboxPoolCommand : RemoveResourceCmdlet<SandboxPool>;
