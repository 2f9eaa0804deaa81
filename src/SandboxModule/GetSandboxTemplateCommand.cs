namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets sandbox templates by name or wildcard pattern.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxTemplate")]
[OutputType(typeof(SandboxTemplate))]
public sealed class GetSandboxTemplateCommand : GetResourceCmdlet<SandboxTemplate>;
