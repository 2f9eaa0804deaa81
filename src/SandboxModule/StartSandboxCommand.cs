namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Starts stopped sandboxes again.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "Sandbox", HelpUri = HelpLinks.Base + "Start-Sandbox.md", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class StartSandboxCommand : SandboxLifecycleCmdlet
{
    private protected override Task<Sandbox.Client.Sandbox> ChangeAsync(string name) => Client.Sandboxes.StartAsync(name, null, CancellationToken);
}
