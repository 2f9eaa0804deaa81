namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Gets the connection the sandbox cmdlets use in this runspace.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SandboxConnection")]
[OutputType(typeof(SandboxConnection))]
public sealed class GetSandboxConnectionCommand : SandboxCmdlet
{
    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var state = ModuleState.Current;
        SandboxConnection? current;
        lock (state.Gate) current = state.Default is { IsOpen: true } d ? d : state.Implicit is { IsOpen: true } i ? i : null;
        if (current is not null)
        {
            WriteObject(current);
            return;
        }
        // Nothing connected yet: show what the configuration chain would use, without starting a server.
        try
        {
            var settings = SandboxConnectionSettings.Resolve();
            WriteObject(new SandboxConnection(settings, settings.IsLocalServer));
        }
        catch (ArgumentException e)
        {
            WriteError(ErrorFor(e, null));
        }
    }
}
