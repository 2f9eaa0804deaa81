namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Deletes sandbox templates.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "SandboxTemplate", HelpUri = HelpLinks.Base + "Remove-SandboxTemplate.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxTemplate))]
public sealed class RemoveSandboxTemplateCommand : RemoveResourceCmdlet<SandboxTemplate>;
