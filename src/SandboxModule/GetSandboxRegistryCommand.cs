namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets container registries by name or wildcard pattern (their credentials are never shown).</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxRegistry", HelpUri = HelpLinks.Base + "Get-SandboxRegistry.md")]
[OutputType(typeof(SandboxRegistry))]
public sealed class GetSandboxRegistryCommand : GetResourceCmdlet<SandboxRegistry>;
