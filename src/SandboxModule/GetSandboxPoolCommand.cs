namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets warm pools by name or wildcard pattern, with their ready and desired sandbox counts.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxPool", HelpUri = HelpLinks.Base + "Get-SandboxPool.md")]
[OutputType(typeof(SandboxPool))]
public sealed class GetSandboxPoolCommand : GetResourceCmdlet<SandboxPool>;
