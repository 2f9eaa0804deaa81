namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Renames a sandbox template.</para>
/// </summary>
[Cmdlet(VerbsCommon.Rename, "SandboxTemplate", HelpUri = HelpLinks.Base + "Rename-SandboxTemplate.md", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(SandboxTemplate))]
public sealed class RenameSandboxTemplateCommand : RenameResourceCmdlet<SandboxTemplate>;
