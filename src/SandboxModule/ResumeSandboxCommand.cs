using System.Management.Automation;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Resumes paused sandboxes: their processes go on where they stopped.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Resume, "Sandbox", DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class ResumeSandboxCommand : SandboxActionCmdlet
{
    /// <inheritdoc />
    protected override void ProcessSandbox(string name)
    {
        var resumed = Await(Client.Sandboxes.ResumeAsync(name, null, CancellationToken));
        if (PassThru) WriteObject(resumed);
    }
}
