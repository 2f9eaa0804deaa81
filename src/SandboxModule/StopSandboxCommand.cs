using System.Management.Automation;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Stops sandboxes: every process ends, the filesystem is kept.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "Sandbox", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class StopSandboxCommand : SandboxActionCmdlet
{
    /// <inheritdoc />
    protected override void ProcessSandbox(string name)
    {
        if (!ShouldProcess(name, "Stop sandbox")) return;
        var stopped = Await(Client.Sandboxes.StopAsync(name, null, CancellationToken));
        if (PassThru) WriteObject(stopped);
    }
}
