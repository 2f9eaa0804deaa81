namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Resumes paused sandboxes: their processes go on where they stopped.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Resume, "Sandbox", HelpUri = HelpLinks.Base + "Resume-Sandbox.md", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class ResumeSandboxCommand : SandboxLifecycleCmdlet
{
    private protected override Task<Sandbox.Client.Sandbox> ChangeAsync(string name) => Client.Sandboxes.ResumeAsync(name, null, CancellationToken);
}
