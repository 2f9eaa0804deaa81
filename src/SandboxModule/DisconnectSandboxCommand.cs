namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Closes a sandbox connection and stops it being the runspace's default.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Disconnect, "Sandbox")]
[OutputType(typeof(SandboxConnection))]
public sealed class DisconnectSandboxCommand : SandboxCmdlet
{
    /// <summary><para type="description">The connection to close. Default: the runspace's default connection.</para></summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public SandboxConnection? Connection { get; set; }

    /// <summary><para type="description">Returns the closed connection.</para></summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var state = ModuleState.Current;
        SandboxConnection? target;
        lock (state.Gate)
        {
            target = Connection ?? state.Default ?? state.Implicit;
            if (target is not null)
            {
                if (ReferenceEquals(state.Default, target)) state.Default = null;
                if (ReferenceEquals(state.Implicit, target)) state.Implicit = null;
            }
        }
        if (target is null)
        {
            WriteError(new ErrorRecord(new InvalidOperationException("there is no sandbox connection to close: Connect-Sandbox makes one"),
                "SandboxNotConnected", ErrorCategory.ObjectNotFound, null));
            return;
        }
        target.Dispose();
        if (PassThru) WriteObject(target);
    }
}
