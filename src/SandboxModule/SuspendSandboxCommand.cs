namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Pauses sandboxes: every process is frozen with its memory kept, and no CPU is used.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Suspend, "Sandbox", HelpUri = HelpLinks.Base + "Suspend-Sandbox.md", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class SuspendSandboxCommand : SandboxLifecycleCmdlet
{
    private protected override Task<Sandbox.Client.Sandbox> ChangeAsync(string name) => Client.Sandboxes.PauseAsync(name, null, CancellationToken);
}
