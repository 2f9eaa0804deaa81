namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Stops sandboxes: every process ends, the filesystem is kept.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "Sandbox", HelpUri = HelpLinks.Base + "Stop-Sandbox.md", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class StopSandboxCommand : SandboxLifecycleCmdlet
{
    private protected override Task<Sandbox.Client.Sandbox> ChangeAsync(string name) => Client.Sandboxes.StopAsync(name, null, CancellationToken);
}
