using System.Management.Automation;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Pauses sandboxes: every process is frozen with its memory kept, and no CPU is used.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Suspend, "Sandbox", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class SuspendSandboxCommand : SandboxActionCmdlet
{
    /// <inheritdoc />
    protected override void ProcessSandbox(string name)
    {
        if (!ShouldProcess(name, "Pause sandbox")) return;
        var paused = Await(Client.Sandboxes.PauseAsync(name, null, CancellationToken));
        if (PassThru) WriteObject(paused);
    }
}
