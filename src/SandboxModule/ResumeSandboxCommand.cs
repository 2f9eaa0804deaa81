namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Resumes paused sandboxes: their processes go on where they stopped.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Resume, "Sandbox", DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class ResumeSandboxCommand : SandboxLifecycleCmdlet
{
    private protected override Task<Sandbox.Client.Sandbox> ChangeAsync(string name) => Client.ResumeSandboxAsync(name, null, CancellationToken);
}
