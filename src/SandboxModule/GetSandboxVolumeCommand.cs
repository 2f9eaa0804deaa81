namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets sandbox volumes by name or wildcard pattern.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxVolume")]
[OutputType(typeof(SandboxVolume))]
public sealed class GetSandboxVolumeCommand : GetResourceCmdlet<SandboxVolume>;
