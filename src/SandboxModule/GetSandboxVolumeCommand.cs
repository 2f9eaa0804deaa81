namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets sandbox volumes by name or wildcard pattern.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxVolume", HelpUri = HelpLinks.Base + "Get-SandboxVolume.md")]
[OutputType(typeof(SandboxVolume))]
public sealed class GetSandboxVolumeCommand : GetResourceCmdlet<SandboxVolume>;
