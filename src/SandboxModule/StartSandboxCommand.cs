namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Starts stopped sandboxes again.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "Sandbox", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class StartSandboxCommand : SandboxLifecycleCmdlet
{
    private protected override Task<Sandbox.Client.Sandbox> ChangeAsync(string name) => Client.StartSandboxAsync(name, null, CancellationToken);
}
