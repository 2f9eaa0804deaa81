using System.Management.Automation;

namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Starts stopped sandboxes again.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "Sandbox", SupportsShouldProcess = true, DefaultParameterSetName = ByName)]
[OutputType(typeof(Sandbox.Client.Sandbox))]
public sealed class StartSandboxCommand : SandboxActionCmdlet
{
    /// <inheritdoc />
    protected override void ProcessSandbox(string name)
    {
        if (!ShouldProcess(name, "Start sandbox")) return;
        var started = Await(Client.Sandboxes.StartAsync(name, null, CancellationToken));
        if (PassThru) WriteObject(started);
    }
}
