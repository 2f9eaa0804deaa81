namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Renames a sandbox.</para>
/// </summary>
[Cmdlet(VerbsCommon.Rename, "Sandbox", HelpUri = HelpLinks.Base + "Rename-Sandbox.md", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class RenameSandboxCommand : RenameResourceCmdlet<Sandbox.Client.Sandbox>
{
    /// <summary><para type="description">The sandbox's current name.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [Alias("SandboxName")]
    [ArgumentCompleter(typeof(SandboxNameCompleter))]
    [ValidateNotNullOrEmpty]
    public override string Name { get; set; } = "";
}
