namespace SandboxModule;

/// <summary>
/// <para type="synopsis">Closes a sandbox connection and stops it being the default.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Disconnect, "Sandbox", HelpUri = HelpLinks.Base + "Disconnect-Sandbox.md")]
[OutputType(typeof(SandboxConnection))]
public sealed class DisconnectSandboxCommand : SandboxCmdlet
{
    /// <summary><para type="description">The connection to close. Default: the default connection (Connect-Sandbox), else the configuration chain's.</para></summary>
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
        SandboxConnection? target = Connection ?? state.Default;
        if (target is null)
        {
            try
            {
                target = ModuleState.ChainConnectionFor(SandboxConnectionSettings.Resolve());
            }
            catch (ArgumentException)
            {
                // A malformed SANDBOX_ENDPOINT: there is no chain connection to close.
            }
        }
        if (target is not null) state.Forget(target);
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
